"""The search benchmark's scaling table (issue 27): which archive sizes it measures, its targets,
and when a term class fails for growing faster than the data. The timings themselves are the
bench's (`make bench --only search`); the smoke test runs it end to end at 1,000 posts."""

from __future__ import annotations

from lokdarpan_db.devtools.bench import search


def test_stages_are_1m_and_3m_and_the_requested_size():
    assert search.stages(1000) == (1000,)  # --quick: one small stage, no scaling rows
    assert search.stages(1_000_000) == (1_000_000, 3_000_000)
    assert search.stages(10_000_000) == (1_000_000, 3_000_000, 10_000_000)


def test_targets_are_10_ms_to_3m_posts_and_25_ms_beyond():
    assert search.target_ms(3_000_000) == 10.0
    assert search.target_ms(10_000_000) == 25.0


def test_every_term_class_is_measured():
    names = [name for name, calls in search.cases(["GHMC-001", "GHMC-002"], 7)]
    assert names == ["common term, all wards", "rare term, all wards", "term only in old posts", "phrase",
                     "multi-word AND", "common term, one ward", "rare term, one ward"]


def test_a_class_whose_p95_grows_faster_than_the_data_fails():
    seen = {
        "steady": [(1_000_000, {"p50_ms": 2.0, "p95_ms": 3.0}), (3_000_000, {"p50_ms": 2.5, "p95_ms": 4.0})],
        "grows": [(1_000_000, {"p50_ms": 4.0, "p95_ms": 2.0}), (3_000_000, {"p50_ms": 8.0, "p95_ms": 6.5})],
        "slow": [(1_000_000, {"p50_ms": 9.0, "p95_ms": 11.0}), (3_000_000, {"p50_ms": 9.0, "p95_ms": 11.0})],
        "one size": [(1000, {"p50_ms": 1.0, "p95_ms": 1.0})],
    }
    rows = {m.name.split(",")[0].removeprefix("scaling: "): m for m in search._scaling(seen)}
    assert set(rows) == {"steady", "grows", "slow"}  # one size has no growth to report
    assert rows["steady"].met and rows["steady"].value == 1.33
    assert rows["grows"].met is False and rows["grows"].value == 3.25  # 3.25x for 3x the posts
    assert rows["slow"].met is False  # flat, but over the 10 ms target
    assert "1M p50 2 p95 3 ms; 3M p50 2.5 p95 4 ms" in rows["steady"].note
