"""The partitions section of `make bench`: the same posts read from a plain `post` and from the
monthly-partitioned one, side by side in one run.

Database A: the plan deployed up to the change before maintenance/partitions (post is one plain
table), the 150 GHMC wards and the search bench's synthetic posts (same generator and seed).
Database B: a copy of A (CREATE DATABASE … TEMPLATE), then the in-place migration (deploy
maintenance/partitions), timed. Both VACUUM ANALYZEd. Then every call is made on A and on B in
turn (A, B, A, B, …), so whatever else the machine does falls on both alike:

- search_posts(): a common term over all wards, a rare term over all wards, a common term in one ward;
- the ward dashboard reads: summary row, 90-day trend, competitive analysis over 30 days.

Target (issue 14): partitioned no more than 10 % slower than unpartitioned at p95.
"""

from __future__ import annotations

import random
import time

import psycopg

from ...importers.wards import import_wards
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ..scratch import create_database, drop_database
from ..synthetic import news as synthetic_news
from . import search
from .deploy import ROOT
from .report import Measurement

SECTION = "partitions"
CHANGE = "maintenance/partitions"
MAX_SLOWDOWN = 1.10
WARMUP = 20


def _cases(wards: list[str], calls: int) -> list[tuple[str, str, list[dict]]]:
    rnd = random.Random(11)
    common, rare = synthetic_news.COMMON_TERMS, synthetic_news.RARE_TERMS
    search_sql = "select * from search_posts(%(term)s, %(ward)s, 50)"
    picks = [rnd.choice(wards) for _ in range(calls)]
    return [
        ("search_posts, common term, all wards", search_sql,
         [{"term": common[i % len(common)], "ward": None} for i in range(calls)]),
        ("search_posts, rare term, all wards", search_sql,
         [{"term": rare[i % len(rare)], "ward": None} for i in range(calls)]),
        ("search_posts, common term, one ward", search_sql,
         [{"term": common[i % len(common)], "ward": picks[i]} for i in range(calls)]),
        ("ward summary row", "select * from ward_analytics_summary where ward_id = %(ward)s",
         [{"ward": w} for w in picks]),
        ("ward 90-day trend", "select * from daily_ward_trends where ward_id = %(ward)s order by trend_date",
         [{"ward": w} for w in picks]),
        ("get_ward_competitive_analysis(ward, 30)",
         "select * from get_ward_competitive_analysis(%(ward)s, 30)", [{"ward": w} for w in picks]),
    ]


def _timed(cur: psycopg.Cursor, sql: str, args: dict) -> float:
    start = time.perf_counter()
    cur.execute(sql, args)
    cur.fetchall()
    return (time.perf_counter() - start) * 1000.0


def _side_by_side(plain: psycopg.Connection, parted: psycopg.Connection,
                  cases: list[tuple[str, str, list[dict]]]) -> dict[str, tuple[dict, dict]]:
    out = {}
    with plain.cursor() as a, parted.cursor() as b:
        for name, sql, args in cases:
            for x in args[:WARMUP]:  # caches and plans warm on both sides first
                _timed(a, sql, x)
                _timed(b, sql, x)
            times_a, times_b = [], []
            for i, x in enumerate(args):  # alternate which side goes first
                if i % 2:
                    times_b.append(_timed(b, sql, x))
                    times_a.append(_timed(a, sql, x))
                else:
                    times_a.append(_timed(a, sql, x))
                    times_b.append(_timed(b, sql, x))
            out[name] = (search._summary(times_a), search._summary(times_b))
    return out


def run(admin_url: str, posts: int, calls: int = 200) -> list[Measurement]:
    plan = plan_mod.load(ROOT / "db" / "sqitch.plan")
    change = plan.find(CHANGE)
    assert change is not None and change.index > 0, f"{CHANGE} is not in the plan"
    before = plan.changes[change.index - 1].name
    committer = Committer("bench", "bench@lokdarpan.in")
    url_a = create_database(admin_url, "bench", operator=True)
    url_b = None
    try:
        with psycopg.connect(url_a, autocommit=True) as conn:
            Engine(conn, plan, committer).deploy(to=before)
            import_wards(conn)
            out = [search._load(url_a, conn, posts, 7)]
            conn.execute("vacuum analyze")
            wards = [r[0] for r in conn.execute("select ward_id from ward order by ward_no").fetchall()]
        url_b = create_database(admin_url, "bench", operator=True, template=url_a)
        with psycopg.connect(url_b, autocommit=True) as conn:
            start = time.perf_counter()
            Engine(conn, plan, committer).deploy(to=CHANGE)
            migration = time.perf_counter() - start
            parts = conn.execute(
                "select count(*) from pg_inherits where inhparent = 'public.post'::regclass"
            ).fetchone()[0]  # type: ignore[index]
            conn.execute("vacuum analyze")
            # Both copies' loads and the migration leave gigabytes dirty: write them out now, so no
            # checkpoint lands inside the measurements.
            conn.execute("checkpoint")
        out.append(Measurement(
            SECTION, f"migrate {posts:,} posts in place to monthly partitions", round(migration, 1), "s",
            note=f"{parts} partitions (default included); ACCESS EXCLUSIVE on post for the whole copy",
            details={"rows_per_s": round(posts / migration)},
        ))
        cases = _cases(wards, calls)
        with psycopg.connect(url_a, autocommit=True) as a, psycopg.connect(url_b, autocommit=True) as b:
            results = _side_by_side(a, b, cases)
        for name, _sql, args in cases:
            sa, sb = results[name]
            ratio = sb["p95_ms"] / sa["p95_ms"] if sa["p95_ms"] else float("inf")
            out.append(Measurement(
                SECTION, f"{name}: p95 partitioned / unpartitioned", round(ratio, 2), "x",
                f"<= {MAX_SLOWDOWN:.2f}", ratio <= MAX_SLOWDOWN,
                note=(f"ratio {ratio:.3f}; p95 {sa['p95_ms']} -> {sb['p95_ms']} ms; "
                      f"p50 {sa['p50_ms']} -> {sb['p50_ms']} ms"),
                details={"calls": float(len(args))},
            ))
        return out
    finally:
        if url_b:
            drop_database(admin_url, url_b)
        drop_database(admin_url, url_a)
