"""What a store holds: each backup's manifest and dump, paired, with a structural status (the
cryptographic check is `verify_backup`, which reads every chunk)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .crypto import IntegrityError
from .manifest import DUMP_SUFFIX, ID_RE, MANIFEST_SUFFIX, Manifest, manifest_name
from .store import Store, StoredObject


@dataclass
class Entry:
    backup_id: str
    manifest: Manifest | None
    dump: StoredObject | None
    problem: str | None = None

    @property
    def good(self) -> bool:
        return self.problem is None

    @property
    def when(self) -> datetime:
        if self.manifest:
            return self.manifest.started_at
        return datetime.strptime(self.backup_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    @property
    def scope(self) -> str:
        return self.backup_id.split("-")[1]

    def as_dict(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or datetime.now(UTC)
        m = self.manifest
        return {
            "backup_id": self.backup_id,
            "scope": self.scope,
            "when": self.when.isoformat(),
            "age_hours": round((now - self.when).total_seconds() / 3600, 2),
            "stored_bytes": self.dump.size if self.dump else None,
            "dump_bytes": m.dump_bytes if m else None,
            "plan_change": m.plan_change if m else None,
            "project": m.project if m else None,
            "key_ids": m.key_ids if m else [],
            "good": self.good,
            "problem": self.problem,
        }


def list_backups(store: Store) -> list[Entry]:
    """Every backup in the store, oldest first."""
    objects = {o.name: o for o in store.list()}
    ids = {n[: -len(s)] for n in objects for s in (DUMP_SUFFIX, MANIFEST_SUFFIX) if n.endswith(s)}
    entries = []
    for bid in sorted(i for i in ids if ID_RE.match(i)):
        dump = objects.get(bid + DUMP_SUFFIX)
        manifest, problem = None, None
        if bid + MANIFEST_SUFFIX in objects:
            try:
                manifest = Manifest.parse(store.get(manifest_name(bid)), manifest_name(bid))
            except IntegrityError as exc:
                problem = str(exc)
        else:
            problem = "no manifest (an interrupted or damaged backup)"
        if problem is None:
            if dump is None:
                problem = "the dump is missing"
            elif manifest and dump.size != manifest.stored_bytes:
                problem = f"the dump is {dump.size:,} bytes, the manifest says {manifest.stored_bytes:,}"
            elif manifest and manifest.backup_id != bid:
                problem = f"the manifest names another backup ({manifest.backup_id})"
        entries.append(Entry(bid, manifest, dump, problem))
    return sorted(entries, key=lambda e: e.when)


def find(store: Store, ref: str, scope: str = "full") -> Entry:
    """A backup by id, or `latest` (the newest good backup of `scope`)."""
    from ..errors import BadInputError

    entries = list_backups(store)
    if ref == "latest":
        good = [e for e in entries if e.good and e.scope == scope]
        if not good:
            raise BadInputError(f"no good {scope} backup in {store.location}")
        return good[-1]
    if not ID_RE.match(ref):
        raise BadInputError(f"{ref!r} is not a backup id (like 20261125T233000Z-full-1a2b3c4d) or `latest`")
    for e in entries:
        if e.backup_id == ref:
            return e
    raise BadInputError(f"no backup {ref} in {store.location}")
