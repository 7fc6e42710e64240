"""The vectors bench's --keep-vectors-db: the first run builds its chunks and index in
bench_vectors_kept and keeps them; a second run of the same size reuses them (no load, no build)
and measures the working tree's find_similar_content(); another size starts afresh."""

from __future__ import annotations

import psycopg
from psycopg.conninfo import make_conninfo

from lokdarpan_db.devtools.bench import vectors


def _names(results: list) -> list[str]:
    return [m.name for m in results]


def test_a_kept_database_is_built_once_and_reused(pg_admin_url: str) -> None:
    try:
        first = _names(vectors.run(pg_admin_url, chunks=300, queries=10, keep=True))
        assert "halfvec HNSW build" in first and any(n.startswith("load ") for n in first)
        # A stale function in the kept database: the reuse must replace it with the working tree's
        # (whose ef_search is on the curve, marked "(the function's)"; 17 is not on it).
        kept = make_conninfo(pg_admin_url, dbname=vectors.KEPT_DB)
        with psycopg.connect(kept, autocommit=True) as db:
            db.execute(f"alter function {vectors.FSC_PROC} set hnsw.ef_search = 17")
        second = vectors.run(pg_admin_url, chunks=300, queries=10, keep=True)
        names = _names(second)
        assert "halfvec HNSW build" not in names and not any(n.startswith("load ") for n in names)
        assert any(n.endswith("(the function's): p95") for n in names), names
        assert [m for m in second if m.name.startswith("find_similar_content unfiltered")]
        third = _names(vectors.run(pg_admin_url, chunks=200, queries=10, keep=True))
        assert "halfvec HNSW build" in third  # another size: built afresh
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f"drop database if exists {vectors.KEPT_DB} with (force)")
