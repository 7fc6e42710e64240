"""Grandfather-father-son retention over two years of nightly backups, and its safety rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lokdarpan_db.backup.catalog import Entry
from lokdarpan_db.backup.retention import Policy, decide
from lokdarpan_db.errors import BadInputError


def entry(when: datetime, scope: str = "full", problem: str | None = None) -> Entry:
    return Entry(f"{when:%Y%m%dT%H%M%SZ}-{scope}-0000abcd", None, None, problem)


def nightly(days: int, end: datetime = datetime(2026, 11, 25, 2, tzinfo=UTC)) -> list[Entry]:
    return [entry(end - timedelta(days=d)) for d in range(days)]


def test_seed_policy_over_two_years_of_nightlies():
    entries = nightly(730)
    d = decide(entries, Policy())
    kept = {e.when for e, _ in d.keep}
    assert len(kept) + len(d.delete) == 730
    newest = max(e.when for e in entries)
    daily = {newest - timedelta(days=i) for i in range(7)}
    assert daily <= kept
    months = {(t.year, t.month) for t in kept}
    assert len(months) >= 12  # 12 monthly keepers (plus the weeks and days inside them)
    years = {t.year for t in kept}
    assert years == {2024, 2025, 2026}
    # 7 daily + up to 4 weekly + 12 monthly + 3 yearly, overlapping: never more than 26 kept
    assert 12 <= len(kept) <= 26
    assert all(e.when not in kept for e in d.delete)


def test_scopes_are_retained_separately():
    t = datetime(2026, 11, 25, 2, tzinfo=UTC)
    d = decide([entry(t, "full"), entry(t + timedelta(hours=1), "ai")], Policy(0, 0, 0, 0))
    assert {e.scope for e, _ in d.keep} == {"full", "ai"} and not d.delete


def test_the_only_verified_backup_is_never_deleted():
    t = datetime(2026, 11, 25, 2, tzinfo=UTC)
    good = entry(t - timedelta(days=400))
    damaged = [entry(t - timedelta(days=i), problem="no manifest") for i in range(3)]
    d = decide([good, *damaged], Policy(0, 0, 0, 0))
    assert [e for e, _ in d.keep if e.verified] == [good]
    assert not d.delete  # unverified ones are kept for inspection unless asked
    d = decide([good, *damaged], Policy(0, 0, 0, 0), include_unverified=True)
    assert len(d.delete) == 3 and all(e.status == "unverified" for e in d.delete)
    assert [e for e, _ in d.keep] == [good]


def test_unverified_backups_never_take_a_verified_ones_slot():
    """Planted future-dated backups fill no daily slot: before, they were the newest `good` ones
    and both real backups were deleted."""
    t = datetime(2026, 11, 25, 2, tzinfo=UTC)
    real = [entry(t - timedelta(days=1)), entry(t)]
    planted = [entry(t + timedelta(days=i), problem="MAC does not verify") for i in range(1, 6)]
    d = decide([*real, *planted], Policy(2, 0, 0, 0))
    assert not d.delete
    assert {e.backup_id for e, why in d.keep if "daily" in why} == {e.backup_id for e in real}
    d = decide([*real, *planted], Policy(2, 0, 0, 0), include_unverified=True)
    assert d.delete == planted and [e for e, _ in d.keep] == real


def test_retention_refuses_entries_nobody_could_verify():
    t = datetime(2026, 11, 25, 2, tzinfo=UTC)
    unchecked = Entry(f"{t:%Y%m%dT%H%M%SZ}-full-0000abcd", None, None, None, key_checked=False)
    assert unchecked.status == "unknown" and unchecked.state == "unknown (no key)"
    with pytest.raises(BadInputError, match="needs the backup key"):
        decide([unchecked], Policy())


def test_same_day_backups_keep_the_newest():
    t = datetime(2026, 11, 25, 2, tzinfo=UTC)
    entries = [entry(t), entry(t + timedelta(hours=6))]
    d = decide(entries, Policy(1, 0, 0, 0))
    assert [e.when for e, _ in d.keep] == [t + timedelta(hours=6)]


def test_policy_values_are_range_checked():
    with pytest.raises(BadInputError, match=r"--daily must be 0\.\.1000, got -1"):
        Policy(daily=-1)
