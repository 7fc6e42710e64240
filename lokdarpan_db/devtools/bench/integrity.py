"""The integrity section of `make bench`: validate_data_integrity() at the bench size (issue 14):
1,000,000 posts (the search bench's synthetic posts, COPY through every trigger), 100,000
embeddings (devtools/synthetic/embeddings.py, 768-d nomic model), 5,000,000 AI executions over
12 monthly partitions (set-based generate_series, the ledger bench's generator) with a budget whose
settled reservations link to some of them. Then every check is run a few times: the total and the
slowest check, and each check's ms (the median run's).

--quick: 2,000 posts, 1,000 embeddings, 20,000 executions: proves the section runs.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import psycopg
from pgvector.psycopg import register_vector

from ...importers.wards import import_wards
from ...maintenance.integrity import IntegrityReport, run_checks
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ..scratch import create_database, drop_database
from ..synthetic import embeddings as synth
from ..synthetic import ledger as demo_data
from . import search
from .deploy import ROOT
from .report import Measurement

SECTION = "integrity"
MODEL = "nomic-embed-text-v1.5"
DIMS = 768
FILLER = (
    "Residents of {ward} said the water supply had been irregular for a week, and the corporator promised "
    "tankers until the pipeline repair is finished. Traders on the main road complained about the dug-up "
    "stretch near the bus stop; the engineer in charge said the work would end before the festival. "
)
TIMEOUT_MS = 30_000  # a readonly login's statement_timeout (roles change)


def run(
    admin_url: str, posts: int, embeddings: int, executions: int, settled: int, runs: int
) -> list[Measurement]:
    url = create_database(admin_url, "bench_integrity", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            plan = plan_mod.load(ROOT / "db" / "sqitch.plan")
            Engine(conn, plan, Committer("bench", "bench@lokdarpan.in")).deploy()
            import_wards(conn)
            conn.execute("set statement_timeout = 0")
            loads = _build(url, conn, posts, embeddings, executions, settled)
            conn.execute("vacuum analyze")
            reports = [run_checks(conn) for _ in range(runs + 1)][1:]  # the first warms the cache
        return loads + _measure(reports, posts, embeddings, executions)
    finally:
        drop_database(admin_url, url)


def _build(
    url: str, conn: psycopg.Connection, posts: int, embeddings: int, executions: int, settled: int
) -> list[Measurement]:
    loaded = search._load(url, conn, posts, seed=7)
    t = time.perf_counter()
    _embeddings(conn, embeddings)
    emb_s = time.perf_counter() - t
    now = conn.execute("select public.lokdarpan_now()").fetchone()[0]  # type: ignore[index]
    start = now - timedelta(days=365) + timedelta(days=31)
    conn.execute("select count(*) from public.ai_execution_ensure_partitions(1, %s)", (start,))
    t = time.perf_counter()
    demo_data.generate_executions(conn, executions, start, now, tag="integrity")
    exec_s = time.perf_counter() - t
    t = time.perf_counter()
    _settle(conn, settled)
    settle_s = time.perf_counter() - t
    return [
        Measurement(SECTION, f"setup: {posts:,} posts loaded", loaded.value, loaded.unit, note=loaded.note),
        Measurement(
            SECTION, f"setup: {embeddings:,} embeddings loaded ({DIMS}-d, HNSW index dropped)",
            round(emb_s, 1), "s",
        ),
        Measurement(SECTION, f"setup: {executions:,} executions over 12 months", round(exec_s, 1), "s"),
        Measurement(SECTION, f"setup: {settled:,} reservations settled", round(settle_s, 1), "s"),
    ]


def _embeddings(conn: psycopg.Connection, n: int) -> None:
    """n chunks of about 600 characters with a ward context; the model's HNSW index is dropped for
    the load (the checks never read it, and building it would dominate the bench)."""
    register_vector(conn)
    for (index,) in conn.execute(
        """select indexrelid::regclass::text from pg_index i join pg_am a on a.oid = (
               select relam from pg_class where oid = i.indexrelid)
           where indrelid = 'public.ai_embedding_store'::regclass and a.amname = 'hnsw'"""
    ).fetchall():
        conn.execute(f"drop index {index}")
    names = dict(conn.execute("select ward_id, name from public.ward").fetchall())
    corpus = synth.corpus(DIMS)
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model) "
            "from stdin (format binary)"
        ) as copy,
    ):
        copy.set_types(["varchar", "text", "varchar", "vector", "varchar"])
        for i, ward, v in synth.chunks(corpus, n):
            ward_name = names.get(ward, ward)
            copy.write_row(("news", f"[{i}] " + FILLER.format(ward=ward_name), ward_name, v, MODEL))


def _settle(conn: psycopg.Connection, n: int) -> None:
    """A budget for the whole year and n calls reserved and settled against executions (set-based)."""
    conn.execute(
        """insert into public.ai_budget_tracker (id, period_type, period_identifier, period_start, period_end,
               total_budget_usd, emergency_budget_usd)
           values (1, 'campaign', 'bench-integrity', public.lokdarpan_now() - interval '1 year',
               public.lokdarpan_now() + interval '1 month', 99999999, 0)"""
    )
    conn.execute(
        """select count(*) from (
               select public.ai_budget_settle(
                   (select r.reservation_id
                    from public.ai_budget_reserve(1, 1, e.provider, e.operation_type) as r),
                   e.id)
               from (select id, provider, operation_type from public.ai_model_execution
                     order by id limit %s) as e
           ) as s""",
        (n,),
    )


def _measure(
    reports: list[IntegrityReport], posts: int, embeddings: int, executions: int
) -> list[Measurement]:
    totals = [r.elapsed_ms for r in reports]
    median_total = statistics.median(totals)
    median = min(reports, key=lambda r: abs(r.elapsed_ms - median_total))
    slowest = median.slowest
    assert slowest is not None
    not_pass = ", ".join(f"{c.check_name}={c.status}" for c in median.checks if c.status != "PASS")
    size = f"{posts:,} posts, {embeddings:,} embeddings, {executions:,} executions"
    out = [
        Measurement(
            SECTION,
            f"validate_data_integrity() total ({size}), median of {len(reports)}",
            round(median_total, 1),
            "ms",
            "< 30 s (a readonly login's statement_timeout)",
            max(totals) < TIMEOUT_MS,
            f"runs {', '.join(f'{x:,.0f}' for x in totals)} ms; slowest check {slowest.check_name} "
            f"{slowest.elapsed_ms:,.0f} ms"
            + (f"; not PASS: {not_pass}" if not_pass else "; every check PASS"),
        )
    ]
    out += [
        Measurement(SECTION, f"check {c.check_name}", round(c.elapsed_ms, 1), "ms", note=c.status)
        for c in sorted(median.checks, key=lambda c: -c.elapsed_ms)
    ]
    return out
