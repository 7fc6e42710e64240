"""`lokdarpan-db cleanup`: ai_cleanup_expired_data()'s rules driven one batch per transaction.

The database holds the settings and the run record (db/deploy/maintenance/cleanup.sql) and the rules
(the code changes db/deploy/code/maintenance/cleanup/*.sql);
this module starts a run with ai_cleanup_start(), calls ai_cleanup_step() in its own transaction
until it returns false (so no row lock and no partition lock outlives one batch), and reads the
per-rule result with ai_cleanup_report().
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ..errors import BadInputError
from ..facts import CLEANUP_DEFAULT_BATCH as DEFAULT_BATCH
from ..facts import CLEANUP_MAX_BATCH as MAX_BATCH


@dataclass(frozen=True)
class RuleResult:
    rule: str
    table: str
    action: str
    rows: int
    partitions_dropped: int
    partitions: list[str]
    skipped: list[str]
    setting: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "table": self.table, "action": self.action, "rows": self.rows,
                "partitions_dropped": self.partitions_dropped, "partitions": self.partitions,
                "skipped": self.skipped, "setting": self.setting}


@dataclass
class CleanupReport:
    run_id: int
    dry_run: bool
    batch_size: int
    steps: int = 0
    seconds: float = 0.0
    rules: list[RuleResult] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(r.rows for r in self.rules)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "dry_run": self.dry_run, "batch_size": self.batch_size,
                "steps": self.steps, "seconds": round(self.seconds, 3), "total_rows": self.total_rows,
                "rules": [r.as_dict() for r in self.rules]}


def check_batch_size(batch_size: int) -> int:
    if not 1 <= batch_size <= MAX_BATCH:
        raise BadInputError(f"--batch-size must be between 1 and {MAX_BATCH:,}, got {batch_size}")
    return batch_size


def cleanup(conn: psycopg.Connection, dry_run: bool = False, batch_size: int = DEFAULT_BATCH,
            on_step: Callable[[int], None] | None = None) -> CleanupReport:
    """Run every cleanup rule; `conn` must be in autocommit mode (each step is its own transaction)."""
    check_batch_size(batch_size)
    if not conn.autocommit:
        raise BadInputError("cleanup needs an autocommit connection: each batch commits on its own")
    started = time.monotonic()
    row = conn.execute("select public.ai_cleanup_start(%s, %s)", (dry_run, batch_size)).fetchone()
    assert row is not None
    report = CleanupReport(run_id=row[0], dry_run=dry_run, batch_size=batch_size)
    while True:
        more = conn.execute("select public.ai_cleanup_step(%s)", (report.run_id,)).fetchone()
        report.steps += 1
        if on_step:
            on_step(report.steps)
        if not (more and more[0]):
            break
    report.seconds = time.monotonic() - started
    report.rules = [
        RuleResult(rule, table, action, rows, dropped, list(parts or []), list(skipped or []), setting)
        for rule, table, action, rows, dropped, parts, skipped, setting, _ in conn.execute(
            "select * from public.ai_cleanup_report(%s)", (report.run_id,)
        ).fetchall()
    ]
    return report
