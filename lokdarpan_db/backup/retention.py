"""Grandfather-father-son retention: keep the newest backup of each of the last N days, weeks,
months and years that have one (the seed: 7 daily, 4 weekly, 12 monthly, 3 yearly), per scope.

Safety: only verified backups (catalog: the operator's MAC verifies) count towards the policy, so
unverified ones (damaged, partial, planted, future-dated, under a key no longer held) can never
push a verified backup out of its slot; the newest verified backup of each scope is always kept,
whatever the policy says; unverified backups are kept for inspection and deleted only with
--include-unverified (they never count, so deleting them changes nothing for the verified).

What killed runs left behind (hidden partial files, unfinished S3 multipart uploads) is removed by
`clean_leftovers`, never anything a live backup may still be writing (store.Leftover.live)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import BadInputError
from .catalog import Entry
from .store import STALE_AFTER, Leftover, Store


@dataclass(frozen=True)
class Policy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12
    yearly: int = 3

    def __post_init__(self) -> None:
        for name in ("daily", "weekly", "monthly", "yearly"):
            v = getattr(self, name)
            if not 0 <= v <= 1000:
                raise BadInputError(f"--{name} must be 0..1000, got {v}")


PERIODS: dict[str, Callable[[datetime], tuple[int, ...]]] = {
    "daily": lambda t: (t.year, t.month, t.day),
    "weekly": lambda t: tuple(t.isocalendar()[:2]),
    "monthly": lambda t: (t.year, t.month),
    "yearly": lambda t: (t.year,),
}


@dataclass
class Decision:
    keep: list[tuple[Entry, list[str]]] = field(default_factory=list)
    delete: list[Entry] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "keep": [{"backup_id": e.backup_id, "because": why} for e, why in self.keep],
            "delete": [
                {"backup_id": e.backup_id, "status": e.status, "problem": e.problem} for e in self.delete
            ],
        }


def decide(entries: list[Entry], policy: Policy, include_unverified: bool = False) -> Decision:
    if any(e.status == "unknown" for e in entries):
        raise BadInputError("retention needs the backup key to verify manifests: give --key-file")
    decision = Decision()
    reasons: dict[str, list[str]] = {}
    for scope in sorted({e.scope for e in entries}):
        good = sorted(
            (e for e in entries if e.scope == scope and e.verified),
            key=lambda e: (e.when, e.backup_id),
            reverse=True,
        )
        for name, key in PERIODS.items():
            seen: list[tuple[int, ...]] = []
            for e in good:
                period = key(e.when)
                if period in seen:
                    continue
                if len(seen) >= getattr(policy, name):
                    break
                seen.append(period)
                reasons.setdefault(e.backup_id, []).append(name)
        if good:
            reasons.setdefault(good[0].backup_id, []).insert(0, "newest verified")
    for e in entries:
        if e.backup_id in reasons:
            decision.keep.append((e, reasons[e.backup_id]))
        elif e.verified or include_unverified:
            decision.delete.append(e)
        else:
            decision.keep.append(
                (e, ["unverified: kept for inspection, never counted (--include-unverified deletes it)"])
            )
    return decision


def backup_objects(entry: Entry) -> list[str]:
    """The store objects one backup is made of, its manifest first (deleted first, a half-deleted
    backup is no longer listed as one)."""
    return [entry.backup_id + ".manifest.json", entry.backup_id + ".dump.enc"]


def delete_backups(store: Store, entries: list[Entry]) -> None:
    """Delete each backup's objects from the store (backup_objects())."""
    for e in entries:
        for name in backup_objects(e):
            store.delete(name)


@dataclass
class Cleanup:
    removed: list[Leftover] = field(default_factory=list)  # or, in a dry run, would be
    kept: list[Leftover] = field(default_factory=list)  # a live backup may be writing them

    def as_dict(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "removed": [x.as_dict(now) for x in self.removed],
            "kept": [x.as_dict(now) for x in self.kept],
            "removed_bytes": sum(x.size for x in self.removed),
        }


def clean_leftovers(store: Store, stale_after: timedelta = STALE_AFTER, dry_run: bool = False) -> Cleanup:
    """Remove the partial files and unfinished uploads of killed runs. A leftover that is live (a
    process holds its lock; an upload active within `stale_after`) is kept, and the store checks
    again at removal, so a backup that is running meanwhile is never touched."""
    report = Cleanup()
    for x in store.leftovers(stale_after):
        if x.live:
            report.kept.append(x)
        elif dry_run or store.remove_leftover(x, stale_after):
            report.removed.append(x)
        else:
            report.kept.append(x)  # came alive, or went, since it was listed
    return report


@dataclass
class PruneReport:
    dry_run: bool
    decision: Decision
    cleanup: Cleanup

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, **self.decision.as_dict(), "leftovers": self.cleanup.as_dict()}


def prune(store: Store, entries: list[Entry], policy: Policy, include_unverified: bool = False,
          stale_after: timedelta = STALE_AFTER, dry_run: bool = False) -> PruneReport:
    """`backup prune`: decide what the policy keeps, delete the rest (unless `dry_run`), and clean
    what killed runs left (clean_leftovers())."""
    decision = decide(entries, policy, include_unverified)
    if not dry_run:
        delete_backups(store, decision.delete)
    return PruneReport(dry_run, decision, clean_leftovers(store, stale_after, dry_run))
