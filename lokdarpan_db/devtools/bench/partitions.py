"""The partitions section of `make bench`: the same posts read before and after post is partitioned
by month, in one run.

One database: the plan deployed up to the change before maintenance/partitions (post is one plain
table), the 150 GHMC wards, the search bench's synthetic posts (same generator and seed). Then:

1. p95 of search_posts() (common term over all wards, rare term over all wards, common term in one
   ward) and of the ward dashboard reads (summary row, 90-day trend, competitive analysis 30/7 days);
2. the in-place migration itself (deploy maintenance/partitions): its time for that many posts;
3. the same calls, in the same order, on the partitioned table.

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


def _p95s(conn: psycopg.Connection, cases: list[tuple[str, str, list[dict]]]) -> dict[str, dict[str, float]]:
    out = {}
    with conn.cursor() as cur:
        for name, sql, args in cases:
            for a in args[:20]:  # warm the caches and the plans first
                cur.execute(sql, a)
                cur.fetchall()
            times = []
            for a in args:
                start = time.perf_counter()
                cur.execute(sql, a)
                cur.fetchall()
                times.append((time.perf_counter() - start) * 1000.0)
            out[name] = search._summary(times)
    return out


def run(admin_url: str, posts: int, calls: int = 200) -> list[Measurement]:
    url = create_database(admin_url, "bench", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            plan = plan_mod.load(ROOT / "db" / "sqitch.plan")
            engine = Engine(conn, plan, Committer("bench", "bench@lokdarpan.in"))
            change = plan.find(CHANGE)
            assert change is not None and change.index > 0, f"{CHANGE} is not in the plan"
            before = plan.changes[change.index - 1].name
            engine.deploy(to=before)
            import_wards(conn)
            out = [search._load(url, conn, posts, 7)]
            conn.execute("vacuum analyze")
            wards = [r[0] for r in conn.execute("select ward_id from ward order by ward_no").fetchall()]
            cases = _cases(wards, calls)
            plain = _p95s(conn, cases)

            start = time.perf_counter()
            engine.deploy(to=CHANGE)
            migration = time.perf_counter() - start
            parts = conn.execute(
                "select count(*) from pg_inherits where inhparent = 'public.post'::regclass"
            ).fetchone()[0]  # type: ignore[index]
            out.append(Measurement(
                SECTION, f"migrate {posts:,} posts in place to monthly partitions", round(migration, 1), "s",
                note=f"{parts} partitions (default included); ACCESS EXCLUSIVE on post for the whole copy",
                details={"rows_per_s": round(posts / migration)},
            ))
            conn.execute("vacuum analyze")
            partitioned = _p95s(conn, cases)
        for name, _sql, _args in cases:
            a, b = plain[name], partitioned[name]
            ratio = b["p95_ms"] / a["p95_ms"] if a["p95_ms"] else float("inf")
            out.append(Measurement(
                SECTION, f"{name}: p95 partitioned / unpartitioned", round(ratio, 2), "x",
                f"<= {MAX_SLOWDOWN:.2f}", ratio <= MAX_SLOWDOWN,
                note=(f"ratio {ratio:.3f}; p95 {a['p95_ms']} -> {b['p95_ms']} ms; "
                      f"p50 {a['p50_ms']} -> {b['p50_ms']} ms"),
                details={"calls": float(len(_args))},
            ))
        return out
    finally:
        drop_database(admin_url, url)
