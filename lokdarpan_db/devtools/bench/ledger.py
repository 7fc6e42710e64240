"""AI ledger benchmark, on a fresh database with the whole plan deployed:

- budget reservations: 16 clients reserve, record the call and settle against one budget that runs
  out mid-run; reservation cycles per second (target >= 2,000/s) and the overspend against the
  execution rows (target exactly 0);
- report claiming: 8 workers drain 10,000 queued reports; none claimed twice; reports per second;
- cost views: `rows` executions (default 5M) over 12 monthly partitions; p95 of the 24-hour
  provider/model cost view (target <= 50 ms) and the partitions its plan reads.
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta
from decimal import Decimal

import psycopg

from ... import fieldcrypt
from ...devtools.scratch import create_database, drop_database
from ...ledger import demo_data, workload
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ...paths import PROJECT
from .report import Measurement

SECTION = "ledger"
VIEW = "select * from public.ai_cost_by_provider_24h"


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def run(admin_url: str, rows: int = 5_000_000, quick: bool = False) -> list[Measurement]:
    url = create_database(admin_url, "bench", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(
                conn, plan_mod.load(PROJECT / "db" / "sqitch.plan"), Committer("bench", "bench@lokdarpan.in")
            ).deploy()
        return _budgets(url, quick) + _claims(url, quick) + _views(url, 50_000 if quick else rows)
    finally:
        drop_database(admin_url, url)


def _budgets(url: str, quick: bool) -> list[Measurement]:
    total = Decimal("10.00") if quick else Decimal("60.00")  # 1,000 or 6,000 reservations of 0.01
    with psycopg.connect(url, autocommit=True) as conn:
        budget = workload.create_budget(conn, "bench", total)
    res = workload.reserve_and_settle(url, budget, clients=16, estimate_usd=Decimal("0.01"), tag="bench")
    if res.errors:
        raise RuntimeError(res.errors[0])
    with psycopg.connect(url) as conn:
        inconsistent = len(conn.execute("select * from public.ai_budget_consistency()").fetchall())
    details: dict[str, float | str] = {
        "reservations": res.reserved,
        "refused": res.refused,
        "budget_usd": str(res.budget_usd),
        "spent_usd": str(res.spent_usd),
        "consistency_rows": inconsistent,
    }
    return [
        Measurement(
            SECTION,
            "reserve+record+settle cycles, 16 clients",
            res.per_second,
            "/s",
            ">= 2,000/s",
            res.per_second >= 2000,
            "each cycle: reserve, insert execution, settle (3 round trips)",
            details,
        ),
        Measurement(
            SECTION,
            "overspend vs execution rows",
            float(res.overspend_usd),
            "USD",
            "exactly 0",
            res.overspend_usd == 0 and inconsistent == 0,
        ),
    ]


def _claims(url: str, quick: bool) -> list[Measurement]:
    count = 1000 if quick else 10_000
    with psycopg.connect(url, autocommit=True) as conn:
        uid = conn.execute(
            """insert into "user" (username, email, email_index, password_hash)
               values ('bench', %s, %s,
                   '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')
               returning id""",
            fieldcrypt.ephemeral().row_values("bench@example.org"),
        ).fetchone()[0]
        workload.queue_reports(conn, count, uid)
        conn.execute("vacuum analyze public.ai_geopolitical_report")
    res = workload.drain_reports(url, workers=8, batch=10)
    if res.errors:
        raise RuntimeError(res.errors[0])
    return [
        Measurement(
            SECTION,
            f"claim+complete {count:,} reports, 8 workers",
            res.per_second,
            "reports/s",
            None,
            None,
            "batches of 10 claimed with FOR UPDATE SKIP LOCKED, each completed",
        ),
        Measurement(
            SECTION,
            "reports claimed twice",
            res.claimed_twice,
            "",
            "0",
            res.claimed_twice == 0 and res.claimed == count,
            details={"claimed": res.claimed},
        ),
    ]


def _views(url: str, rows: int) -> list[Measurement]:
    with psycopg.connect(url, autocommit=True) as conn:
        now = conn.execute("select public.lokdarpan_now()").fetchone()[0]
        start = now - timedelta(days=365) + timedelta(days=31)  # 12 monthly partitions, this one included
        t = time.perf_counter()
        made = conn.execute(
            "select count(*) filter (where created) from public.ai_execution_ensure_partitions(1, %s)",
            (start,),
        ).fetchone()[0]
        part_s = time.perf_counter() - t
        t = time.perf_counter()
        demo_data.generate_executions(conn, rows, start, now, tag="bench")
        load_s = time.perf_counter() - t
        conn.execute("vacuum analyze public.ai_model_execution")
        months = (
            conn.execute("select count(distinct tableoid) from public.ai_model_execution").fetchone()[0]
            if rows <= 200_000
            else 12
        )
        plan = "\n".join(
            r[0] for r in conn.execute(f"explain (analyze, costs off, timing off) {VIEW}").fetchall()
        )
        scanned = sorted(set(re.findall(r"ai_model_execution_p\d{4}_\d{2}", plan)))
        removed = re.search(r"Subplans Removed: (\d+)", plan)
        for _ in range(20):
            conn.execute(VIEW).fetchall()
        samples = []
        for _ in range(200):
            t = time.perf_counter()
            conn.execute(VIEW).fetchall()
            samples.append((time.perf_counter() - t) * 1000)
        fn = []
        for _ in range(50):
            t = time.perf_counter()
            conn.execute("select * from public.ai_cost_by_provider()").fetchall()
            fn.append((time.perf_counter() - t) * 1000)
    p95 = _p95(samples)
    return [
        Measurement(
            SECTION,
            f"load {rows:,} executions over 12 months",
            rows / load_s,
            "rows/s",
            None,
            None,
            f"{made} partitions made in {part_s * 1000:.0f} ms",
            {"months_with_rows": months},
        ),
        Measurement(
            SECTION,
            "24-hour cost by provider/model (view), p95",
            p95,
            "ms",
            "<= 50 ms",
            p95 <= 50,
            f"median {statistics.median(samples):.1f} ms; function p95 {_p95(fn):.1f} ms",
            {
                "partitions_scanned": ",".join(scanned) or "?",
                "subplans_removed": removed.group(1) if removed else "0",
            },
        ),
    ]
