"""The vectors section of `make bench`: find_similar_content() over synthetic 3072-d embeddings.

A fresh database (real plan, the 150 wards), N chunks of text-embedding-3-large loaded by binary
COPY (lokdarpan_db.devtools.synthetic.embeddings: topic clusters per ward, near-duplicates, unit
length), then for a fixed set of queries (half of them about a ward):

- exact search (the ground truth, no index) unfiltered and per ward;
- the shipped index, halfvec(3072) HNSW: build time, size, whether the build fitted in
  maintenance_work_mem; find_similar_content() p50/p95 and recall@10, unfiltered and per ward;
- the alternatives measured against it: binary quantisation (bit(3072) HNSW, Hamming) and a
  512-d Matryoshka prefix (vector(512) HNSW), each with full-precision re-ranking of 100
  candidates; for the ward filter, HNSW with pgvector 0.8's iterative scan instead of the exact
  per-ward search;
- the cost of access tracking: searching with record_access off, with the shipped append-only
  log, and with a direct upsert of ai_embedding_usage per search.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from pgvector.psycopg import register_vector

from ...importers.wards import import_wards
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ..scratch import create_database, drop_database
from ..synthetic import embeddings as synth
from .deploy import ROOT
from .report import Measurement

MODEL = "text-embedding-3-large"
DIMS = 3072
K = 10
SECTION = "vectors"
BUILD_SETTINGS = {"maintenance_work_mem": "1GB", "max_parallel_maintenance_workers": "1"}
WHERE_MODEL = f"embedding_model = '{MODEL}'"
ALTERNATIVES = {
    "binary quantisation": (
        f"create index ix_bench_bq on ai_embedding_store using hnsw "
        f"((binary_quantize(embedding)::bit({DIMS})) bit_hamming_ops) where {WHERE_MODEL}",
        f"select id from (select id, embedding from ai_embedding_store where {WHERE_MODEL} "
        f"order by binary_quantize(embedding)::bit({DIMS}) <~> binary_quantize(%(q)s::vector) limit 100) c "
        "order by embedding <=> %(q)s::vector limit 10",
    ),
    "Matryoshka 512-d prefix": (
        "create index ix_bench_mrl on ai_embedding_store using hnsw "
        f"((l2_normalize(subvector(embedding, 1, 512))::vector(512)) vector_cosine_ops) where {WHERE_MODEL}",
        f"select id from (select id, embedding from ai_embedding_store where {WHERE_MODEL} "
        "order by l2_normalize(subvector(embedding, 1, 512))::vector(512) <=> "
        "l2_normalize(subvector(%(q)s::vector, 1, 512))::vector(512) limit 100) c "
        "order by embedding <=> %(q)s::vector limit 10",
    ),
}


def _pct(xs: Sequence[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def _timed(conn: psycopg.Connection, sql: str, params: dict[str, Any]) -> tuple[float, list[int]]:
    t = time.perf_counter()
    rows = conn.execute(sql, params).fetchall()
    return (time.perf_counter() - t) * 1000, [r[0] for r in rows]


def _recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return statistics.fmean(len(set(f) & set(t)) / max(1, len(t)) for f, t in zip(found, truth, strict=True))


def _load(conn: psycopg.Connection, n: int) -> float:
    corpus = synth.corpus(DIMS)
    t = time.perf_counter()
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model) "
            "from stdin (format binary)"
        ) as copy,
    ):
        copy.set_types(["varchar", "text", "varchar", "vector", "varchar"])
        for i, ward, v in synth.chunks(corpus, n):
            copy.write_row(("news", f"synthetic chunk {i} about {ward}", ward, v, MODEL))
    conn.execute("vacuum (analyze) ai_embedding_store")
    return time.perf_counter() - t


def _build(conn: psycopg.Connection, ddl: str, name: str) -> tuple[float, float, list[str]]:
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    for k, v in BUILD_SETTINGS.items():
        conn.execute(f"set {k} = '{v}'")
    t = time.perf_counter()
    conn.execute(ddl)
    secs = time.perf_counter() - t
    size = conn.execute("select pg_relation_size(%s::regclass)", (name,)).fetchone()[0] / 2**20
    return secs, size, notices


def _series(
    conn: psycopg.Connection, sql: str, params: list[dict[str, Any]]
) -> tuple[list[float], list[list[int]]]:
    times, found = [], []
    for p in params:
        ms, ids = _timed(conn, sql, p)
        times.append(ms)
        found.append(ids)
    return times, found


def _m(
    name: str,
    value: float,
    unit: str,
    target: str | None = None,
    ok: Callable[[float], bool] | None = None,
    **details: float | str,
) -> Measurement:
    return Measurement(SECTION, name, value, unit, target, None if ok is None else ok(value), details=details)


def run(admin_url: str, chunks: int, queries: int) -> list[Measurement]:
    url = create_database(admin_url, "bench_vectors", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(
                conn, plan_mod.load(ROOT / "db" / "sqitch.plan"), Committer("bench", "bench@lokdarpan.in")
            ).deploy()
            import_wards(conn)
            register_vector(conn)
            conn.execute("set statement_timeout = 0")
            return _measure(conn, chunks, queries)
    finally:
        drop_database(admin_url, url)


def _measure(conn: psycopg.Connection, n: int, nq: int) -> list[Measurement]:
    out: list[Measurement] = []
    conn.execute("drop index ix_embedding_hnsw_te3_large")
    load_s = _load(conn, n)
    out.append(_m("load (binary COPY, no HNSW index)", n / load_s, "rows/s", chunks=n, dims=DIMS))
    qs = synth.queries(synth.corpus(DIMS), nq)
    plain = [{"q": v, "w": None} for _, v in qs]
    warded = [{"q": v, "w": w} for w, v in qs]

    exact_sql = (
        f"select id from ai_embedding_store where {WHERE_MODEL} order by embedding <=> %(q)s::vector limit 10"
    )
    exact_ward_sql = (
        f"select id from ai_embedding_store where {WHERE_MODEL} and ward_id = %(w)s "
        "order by embedding <=> %(q)s::vector limit 10"
    )
    ex_t, truth = _series(conn, exact_sql, plain)
    exw_t, truth_w = _series(conn, exact_ward_sql, warded)
    out.append(_m("exact top-10, unfiltered: p95", _pct(ex_t, 95), "ms", p50=round(_pct(ex_t, 50), 1)))
    out.append(
        _m("exact top-10, ward filter (SQL): p95", _pct(exw_t, 95), "ms", p50=round(_pct(exw_t, 50), 1))
    )

    # The shipped index.
    ddl = (
        "create index ix_embedding_hnsw_te3_large on public.ai_embedding_store using hnsw "
        f"((embedding::public.halfvec({DIMS})) public.halfvec_cosine_ops) where {WHERE_MODEL}"
    )
    secs, size, notices = _build(conn, ddl, "ix_embedding_hnsw_te3_large")
    spilled = any("maintenance_work_mem" in x for x in notices)
    out.append(
        _m(
            "halfvec HNSW build",
            secs,
            "s",
            "graph fits maintenance_work_mem",
            lambda _: not spilled,
            size_mb=round(size, 1),
            settings=", ".join(f"{k}={v}" for k, v in BUILD_SETTINGS.items()),
        )
    )
    conn.execute("comment on index ix_embedding_hnsw_te3_large is 'bench'")
    conn.execute("vacuum (analyze) ai_embedding_store")

    fsc = "select content_id from find_similar_content(%(q)s::vector, %(w)s, 10, -1, %(m)s, %(r)s)"
    for p in plain + warded:
        p.update(m=MODEL, r=False)
    _series(conn, fsc, plain[:20])  # warm the index into shared buffers
    t_plain, f_plain = _series(conn, fsc, plain)
    t_ward, f_ward = _series(conn, fsc, warded)
    r_plain, r_ward = _recall(f_plain, truth), _recall(f_ward, truth_w)
    ratio = _pct(ex_t, 50) / max(_pct(t_plain, 50), 1e-6)
    out.append(
        _m(
            "find_similar_content unfiltered: p95",
            _pct(t_plain, 95),
            "ms",
            "<= 5 ms and recall >= 0.95",
            lambda v: v <= 5 and r_plain >= 0.95,
            p50=round(_pct(t_plain, 50), 2),
            recall_at_10=round(r_plain, 4),
            exact_p50_over_index_p50=round(ratio, 1),
        )
    )
    out.append(
        _m(
            "find_similar_content ward filter: p95",
            _pct(t_ward, 95),
            "ms",
            "<= 10 ms and recall >= 0.95",
            lambda v: v <= 10 and r_ward >= 0.95,
            p50=round(_pct(t_ward, 50), 2),
            recall_at_10=round(r_ward, 4),
        )
    )

    # The shipped index searched with a larger ef_search (recall against latency).
    wide_sql = (
        f"select id from (select id, embedding from ai_embedding_store where {WHERE_MODEL} "
        f"order by embedding::halfvec({DIMS}) <=> %(q)s::halfvec({DIMS}) limit 40) c "
        "order by embedding <=> %(q)s::vector limit 10"
    )
    for ef in (100, 200):
        with conn.transaction():
            conn.execute(f"set local hnsw.ef_search = {ef}")
            t_ef, f_ef = _series(conn, wide_sql, plain)
        out.append(
            _m(
                f"halfvec HNSW by plain SQL, ef_search {ef}: p95",
                _pct(t_ef, 95),
                "ms",
                p50=round(_pct(t_ef, 50), 2),
                recall_at_10=round(_recall(f_ef, truth), 4),
            )
        )

    # Ward filter by the HNSW index with iterative scans instead of exact per-ward search.
    iter_sql = (
        f"select id from (select id, embedding from ai_embedding_store where {WHERE_MODEL} "
        f"and ward_id = %(w)s order by embedding::halfvec({DIMS}) <=> %(q)s::halfvec({DIMS}) limit 40) c "
        "order by embedding <=> %(q)s::vector limit 10"
    )
    with conn.transaction():
        conn.execute("set local hnsw.iterative_scan = 'relaxed_order'")
        conn.execute("set local hnsw.ef_search = 100")
        t_it, f_it = _series(conn, iter_sql, warded)
    out.append(
        _m(
            "alt: ward filter by HNSW iterative scan: p95",
            _pct(t_it, 95),
            "ms",
            p50=round(_pct(t_it, 50), 2),
            recall_at_10=round(_recall(f_it, truth_w), 4),
        )
    )

    # Access tracking: the log (shipped) against no tracking and a direct UPDATE.
    recorded = [dict(p, r=True) for p in plain]
    t_log, _ = _series(conn, fsc, recorded)
    t_upd = []
    for p in plain:
        with conn.transaction():
            ms, ids = _timed(conn, fsc, p)
            t = time.perf_counter()
            conn.execute(
                "insert into ai_embedding_usage as u select i, 1, lokdarpan_now() from unnest(%s::int[]) i "
                "on conflict (embedding_id) do update set access_count = u.access_count + 1, "
                "last_accessed_at = excluded.last_accessed_at",
                (ids,),
            )
            t_upd.append(ms + (time.perf_counter() - t) * 1000)
    t0 = time.perf_counter()
    flushed = conn.execute("select flush_embedding_access()").fetchone()[0]
    flush_ms = (time.perf_counter() - t0) * 1000
    out.append(
        _m(
            "access tracking: search + log append p50",
            _pct(t_log, 50),
            "ms",
            untracked_p50=round(_pct(t_plain, 50), 2),
            direct_upsert_p50=round(_pct(t_upd, 50), 2),
            flush_ms=round(flush_ms, 1),
            flushed_rows=flushed,
        )
    )

    # Alternatives for the 3072-d index.
    for label, (alt_ddl, alt_sql) in ALTERNATIVES.items():
        name = alt_ddl.split()[2]
        secs, size, notices = _build(conn, alt_ddl, name)
        conn.execute("vacuum (analyze) ai_embedding_store")
        with conn.transaction():
            conn.execute("set local hnsw.ef_search = 100")
            _series(conn, alt_sql, plain[:20])
            t_alt, f_alt = _series(conn, alt_sql, plain)
        conn.execute(f"drop index {name}")
        out.append(
            _m(
                f"alt: {label} + re-rank 100, unfiltered: p95",
                _pct(t_alt, 95),
                "ms",
                p50=round(_pct(t_alt, 50), 2),
                recall_at_10=round(_recall(f_alt, truth), 4),
                build_s=round(secs, 1),
                size_mb=round(size, 1),
            )
        )
    return out
