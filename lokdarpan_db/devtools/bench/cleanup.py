"""Cleanup benchmark (`--only cleanup`), on a fresh database with the whole plan deployed:

`rows` expired execution rows (default 1M) spread set-based over four old monthly partitions, plus
current ones; `lokdarpan-db cleanup` (one batch per transaction) runs while a thread inserts
executions one statement at a time as the application does. Reported: the cleanup's time, the
longest insert wait (target <= 100 ms) and the longest ACCESS EXCLUSIVE hold on ai_model_execution
seen by a monitor sampling pg_locks every ~2 ms.
"""

from __future__ import annotations

import statistics
import threading
import time

import psycopg

from ...devtools.scratch import create_database, drop_database
from ...maintenance import cleanup as cleanup_mod
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ...paths import PROJECT
from .report import Measurement

SECTION = "cleanup"
OLD_MONTHS = 4  # months 12 to 9 before this one: wholly older than the 6-month retention


def run(admin_url: str, rows: int = 1_000_000, quick: bool = False) -> list[Measurement]:
    rows = 20_000 if quick else rows
    url = create_database(admin_url, "bench", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(
                conn, plan_mod.load(PROJECT / "db" / "sqitch.plan"), Committer("bench", "bench@lokdarpan.in")
            ).deploy()
            _load(conn, rows)
        return _measure(url, rows)
    finally:
        drop_database(admin_url, url)


def _load(conn: psycopg.Connection, rows: int) -> None:
    conn.execute("select count(*) from public.ai_execution_ensure_partitions(3, "
                 "date_trunc('month', now(), 'UTC') - interval '12 months')")
    conn.execute(
        """insert into public.ai_model_execution (request_id, operation_type, provider, model_name,
               input_tokens, output_tokens, cost_usd, latency_ms, success_status, created_at)
           select 'old-' || g, 'report_generation', 'openai', 'gpt-4o', 1000, 500, 0.0075, 900, 'success',
                  date_trunc('month', now(), 'UTC') - interval '12 months'
                  + (g %% %(months)s) * interval '1 month' + (g / %(months)s %% 2419200) * interval '1 second'
           from generate_series(0, %(rows)s - 1) as g""",
        {"rows": rows, "months": OLD_MONTHS},
    )
    conn.execute(
        """insert into public.ai_model_execution (request_id, operation_type, provider, model_name, cost_usd,
               success_status, created_at)
           select 'new-' || g, 'embedding', 'openai', 'text-embedding-3-small', 0.00001, 'success',
                  now() - (g %% 150) * interval '1 day'
           from generate_series(1, %(n)s) as g""",
        {"n": max(rows // 10, 1000)},
    )
    conn.execute("analyze public.ai_model_execution")


def _measure(url: str, rows: int) -> list[Measurement]:
    done = threading.Event()
    waits: list[float] = []
    holds: list[float] = []
    errors: list[str] = []

    def insert_loop() -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                i = 0
                while not done.is_set():
                    i += 1
                    t = time.perf_counter()
                    conn.execute(
                        """insert into public.ai_model_execution (request_id, operation_type, provider,
                               model_name, input_tokens, output_tokens, cost_usd, latency_ms, success_status)
                           values (%s, 'report_generation', 'openai', 'gpt-4o', 1200, 400, 0.007, 850,
                                   'success')""",
                        (f"live-{i}",),
                    )
                    waits.append(time.perf_counter() - t)
        except Exception as exc:  # reported, not swallowed
            errors.append(f"{type(exc).__name__}: {exc}")

    def lock_monitor() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            since: float | None = None
            while not done.is_set():
                held = conn.execute(
                    "select exists (select from pg_locks where mode = 'AccessExclusiveLock' and granted "
                    "and relation = 'public.ai_model_execution'::regclass)").fetchone()
                now = time.perf_counter()
                if held and held[0]:
                    since = since if since is not None else now
                elif since is not None:
                    holds.append(now - since)
                    since = None
                time.sleep(0.002)

    threads = [threading.Thread(target=insert_loop), threading.Thread(target=lock_monitor)]
    for th in threads:
        th.start()
    time.sleep(0.5)  # the inserter's steady state first
    before = len(waits)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            report = cleanup_mod.cleanup(conn)
    finally:
        time.sleep(0.2)
        done.set()
        for th in threads:
            th.join(30)
    if errors:
        raise RuntimeError(errors[0])
    during = waits[before:]
    execs = next(r for r in report.rules if r.rule == "executions_retention")
    longest = max(during) * 1000 if during else 0.0
    p99 = statistics.quantiles(during, n=100)[98] * 1000 if len(during) >= 100 else longest
    details: dict[str, float | str] = {
        "rows_dropped": execs.rows, "partitions_dropped": execs.partitions_dropped,
        "steps": report.steps, "inserts_during_cleanup": len(during),
    }
    return [
        Measurement(SECTION, f"cleanup of {rows:,} expired execution rows (lokdarpan-db cleanup)",
                    report.seconds, "s", details=details),
        Measurement(SECTION, "longest application insert wait during cleanup", longest, "ms",
                    target="<= 100 ms", met=longest <= 100, details={"p99_ms": round(p99, 2)}),
        Measurement(SECTION, "longest ACCESS EXCLUSIVE hold on ai_model_execution (sampled ~2 ms)",
                    max(holds) * 1000 if holds else 0.0, "ms", details={"holds_seen": len(holds)}),
    ]
