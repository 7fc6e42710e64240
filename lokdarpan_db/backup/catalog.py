"""What a store holds: each backup's manifest and dump, paired, with its status:

- verified: the manifest parses, names the backup its file is named after, its operator MAC
  verifies with a key of the keyring (crypto.manifest_auth), and the dump is there with the size
  the manifest says. Only verified backups count for `latest`, retention and rekey.
- unverified: anything else, with the reason (damaged, partial, planted, edited, another key).
- unknown: structurally sound, but no key was given to check the MAC (`backup list` without a
  key); never treated as verified.

Reading every chunk of the dump is `verify_backup`'s work, not the catalog's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .crypto import IntegrityError, Keyring
from .manifest import DUMP_SUFFIX, ID_RE, MANIFEST_SUFFIX, Manifest, manifest_name
from .store import Store, StoredObject

VERIFIED, UNVERIFIED, UNKNOWN = "verified", "unverified", "unknown"


@dataclass
class Entry:
    backup_id: str
    manifest: Manifest | None
    dump: StoredObject | None
    problem: str | None = None  # why it is not verified
    key_checked: bool = True  # False: no key was given, so the MAC could not be checked

    @property
    def status(self) -> str:
        if self.problem is not None:
            return UNVERIFIED
        return VERIFIED if self.key_checked else UNKNOWN

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED

    @property
    def state(self) -> str:
        """For people: `verified`, `unverified: <why>` or `unknown (no key)`."""
        if self.status == UNVERIFIED:
            return f"unverified: {self.problem}"
        return VERIFIED if self.verified else "unknown (no key)"

    @property
    def when(self) -> datetime:
        """The backup's time: the manifest's when it is verified, else the one in its id."""
        if self.manifest and self.verified:
            return self.manifest.started_at
        return datetime.strptime(self.backup_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    @property
    def scope(self) -> str:
        return self.backup_id.split("-")[1]

    def as_dict(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or datetime.now(UTC)
        m = self.manifest if self.status != UNVERIFIED else None  # nothing unverified is repeated
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
            "status": self.status,
            "verified": self.verified,
            "problem": self.problem,
        }


def _problem(bid: str, manifest: Manifest, dump: StoredObject | None, keyring: Keyring | None) -> str | None:
    if manifest.backup_id != bid:
        return f"the manifest names another backup ({manifest.backup_id[:40]})"
    if keyring is not None and (why := manifest.auth_problem(keyring)):
        return why
    if dump is None:
        return "the dump is missing"
    if dump.size != manifest.stored_bytes:
        return f"the dump is {dump.size:,} bytes, the manifest says {str(manifest.stored_bytes)[:20]}"
    return None


def list_backups(store: Store, keyring: Keyring | None) -> list[Entry]:
    """Every backup in the store, oldest first. With keyring None the manifests' MACs cannot be
    checked: sound entries are `unknown`, never `verified`."""
    objects = {o.name: o for o in store.list()}
    ids = {n[: -len(s)] for n in objects for s in (DUMP_SUFFIX, MANIFEST_SUFFIX) if n.endswith(s)}
    entries = []
    for bid in sorted(i for i in ids if ID_RE.match(i)):
        dump = objects.get(bid + DUMP_SUFFIX)
        manifest, problem = None, None
        if bid + MANIFEST_SUFFIX in objects:
            try:
                manifest = Manifest.parse(store.get(manifest_name(bid)), manifest_name(bid))
                problem = _problem(bid, manifest, dump, keyring)
            except IntegrityError as exc:
                problem = str(exc)
        else:
            problem = "no manifest (an interrupted or damaged backup)"
        entries.append(Entry(bid, manifest, dump, problem, key_checked=keyring is not None))
    return sorted(entries, key=lambda e: (e.when, e.backup_id))


def find(store: Store, ref: str, keyring: Keyring, scope: str = "full", project: str | None = None) -> Entry:
    """A backup by id, or `latest`: the newest verified backup of `scope` (of `project` if given);
    unverified backups are never candidates, however new they claim to be."""
    from ..errors import BadInputError

    entries = list_backups(store, keyring)
    if ref == "latest":
        good = [
            e
            for e in entries
            if e.verified
            and e.scope == scope
            and (project is None or (e.manifest is not None and e.manifest.project == project))
        ]
        if not good:
            raise BadInputError(f"no verified {scope} backup in {store.location}")
        return good[-1]
    if not ID_RE.match(ref):
        raise BadInputError(f"{ref!r} is not a backup id (like 20261125T233000Z-full-1a2b3c4d) or `latest`")
    for e in entries:
        if e.backup_id == ref:
            return e
    raise BadInputError(f"no backup {ref} in {store.location}")
