"""What `make demo` shows of backups: a drill of the demo database (an encrypted backup to a
temporary directory under a throwaway key, verified, restored into a scratch database, health
checked, dropped), with its timings."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from rich.console import Console

from ...backup import crypto
from ...backup.restore import drill
from ...backup.store.local import LocalStore
from ...migrate import plan as plan_mod
from ...paths import PLAN


def show_backup(conninfo: str, console: Console) -> None:
    key = crypto.Keyring((os.urandom(32),))
    where = Path(tempfile.mkdtemp(prefix="lokdarpan-demo-backup-"))
    try:
        plan = plan_mod.load(PLAN)
        r = drill(conninfo, LocalStore(where), key, plan.project, plan, jobs=2)
        m, h, s = r.create.manifest, r.restore.health, r.as_dict()["seconds"]
        console.print(
            f"\n[bold]backup drill[/bold]: {m.backup_id}: {m.dump_bytes / 2**20:.1f} MB dumped, "
            f"{m.stored_bytes / 2**20:.1f} MB stored encrypted ({m.chunks} AES-256-GCM chunks, key "
            f"{m.key_ids[0]}); restored into a scratch database in {s['restore']} s; health: plan at "
            f"{h.plan_change}, {h.verified} verify scripts passed, {h.tables_checked} tables' row counts "
            f"match; scratch dropped. (`lokdarpan-db backup drill` does this nightly.)"
        )
    finally:
        shutil.rmtree(where, ignore_errors=True)
