"""find_similar_content()'s query plans (issue 23), read through auto_explain's nested-statement
plans: the full-precision distance is computed once per candidate (not again in the threshold
filter and the sort), and a ward above the Hamming switch point goes through the model's HNSW
index with an iterative scan rather than a sort of all its rows; no JIT."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import psycopg
import pytest
from pgvector.psycopg import register_vector

from lokdarpan_db.importers.wards import import_wards

LOCAL, DIMS, WARD = "nomic-embed-text-v1.5", 768, "GHMC-095"


def unit(rng: random.Random) -> list[float]:
    v = [rng.gauss(0, 1) for _ in range(DIMS)]
    norm = sum(x * x for x in v) ** 0.5
    return [x / norm for x in v]


@pytest.fixture(scope="module")
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url, autocommit=True) as c:
        import_wards(c)
        register_vector(c)
        rng = random.Random(23)
        with c.cursor() as cur, cur.copy(
            "copy ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model) "
            "from stdin"
        ) as copy:
            for i in range(400):
                ward = WARD if i % 2 else f"GHMC-{1 + i % 150:03d}"
                copy.write_row(("news", f"chunk {i}", ward, str(unit(rng)).replace(" ", ""), LOCAL))
        c.execute("analyze ai_embedding_store")
        yield c


def plans(conn: psycopg.Connection, sql: str, *params: object) -> list[str]:
    """The plans auto_explain reports, as notices, for the statements `sql` runs inside functions."""
    notices: list[str] = []

    def keep(d: psycopg.errors.Diagnostic) -> None:
        notices.append(d.message_primary or "")

    conn.add_notice_handler(keep)
    try:
        with conn.transaction():
            conn.execute("load 'auto_explain'")
            for k, v in {"log_min_duration": "0", "log_nested_statements": "on", "log_level": "notice",
                         "log_verbose": "on"}.items():
                conn.execute(f"set local auto_explain.{k} = {v}")
            conn.execute(sql, params).fetchall()
    finally:
        conn.remove_notice_handler(keep)
    # Vector literals (the query, inlined into the plan) are shortened to keep failures readable.
    return [re.sub(r"\[[-0-9.e,]{100,}\]", "[…]", n) for n in notices if "ai_embedding_store" in n]


def search_plan(conn: psycopg.Connection, sql: str, *params: object) -> str:
    found = [p for p in plans(conn, sql, *params) if "Limit" in p and "embedding_model" in p]
    assert found, "auto_explain reported no plan of the search query"
    return found[-1]


def query(conn: psycopg.Connection) -> list[float]:
    return unit(random.Random(7))


def test_the_exact_distance_is_computed_once_per_candidate(conn: psycopg.Connection):
    plan = search_plan(
        conn, "select * from find_similar_content(%s::vector, null, 5, 0.01, %s, false)", query(conn), LOCAL)
    filters = [line for line in plan.splitlines() if line.strip().startswith("Filter:")]
    assert filters, plan
    # The threshold filter and the sort read the distance computed below them; they do not read
    # the 3 kB (here) / 12 kB (3072-d) vector from TOAST again.
    assert not any(re.search(r"embedding <=>", f) for f in filters), plan


def test_a_big_ward_goes_through_the_hnsw_index_not_a_sort_of_its_rows(conn: psycopg.Connection):
    with conn.transaction():
        conn.execute("select set_config('lokdarpan.vector_exact_ward_max', '0', true)")
        plan = search_plan(
            conn, "select * from find_similar_content(%s::vector, %s, 5, -1, %s, false)",
            query(conn), WARD, LOCAL)
    assert "Index Scan using ix_embedding_hnsw_nomic_768" in plan, plan
    assert "JIT" not in plan, plan


def test_planner_settings_do_not_leak_into_the_callers_session(conn: psycopg.Connection):
    with conn.transaction():
        conn.execute("select set_config('lokdarpan.vector_exact_ward_max', '0', true)")
        conn.execute("select * from find_similar_content(%s::vector, %s, 5, -1, %s, false)",
                     (query(conn), WARD, LOCAL)).fetchall()
        after = conn.execute(
            "select current_setting('enable_sort'), current_setting('hnsw.iterative_scan'), "
            "current_setting('hnsw.ef_search')").fetchone()
    assert after == ("on", "off", "40")


def test_the_default_models_static_search_keeps_the_callers_plan_cache_mode(conn: psycopg.Connection):
    # The default model's unfiltered search runs its static query with a generic plan
    # (plan_cache_mode set inside the function); the caller's own setting is untouched.
    rng = random.Random(11)
    big = [rng.gauss(0, 1) for _ in range(3072)]
    with conn.transaction():
        conn.execute("set local plan_cache_mode = force_custom_plan")
        rows = conn.execute(
            "select content_id from find_similar_content(%s::vector, null, 5, -1, "
            "'text-embedding-3-large', false)", (big,)).fetchall()
        after = conn.execute("select current_setting('plan_cache_mode')").fetchone()
    assert rows == []  # no 3072-d chunks in this module's corpus: an empty answer, not an error
    assert after == ("force_custom_plan",)


def test_the_default_models_static_search_goes_through_its_index_on_a_small_table(conn: psycopg.Connection):
    # Its generic plan does not know the limit; on a small table the planner would rather sort
    # every row (3,000 chunks: 104 ms against 4 ms). enable_sort off inside keeps it on the index.
    rng = random.Random(5)
    rows = [[rng.gauss(0, 1) for _ in range(3072)] for _ in range(60)]
    with conn.transaction():
        with conn.cursor() as cur, cur.copy(
            "copy ai_embedding_store (source_type, content_chunk, ward_context, embedding, embedding_model) "
            "from stdin"
        ) as copy:
            for i, v in enumerate(rows):
                copy.write_row(("news", f"big {i}", WARD, str(v).replace(" ", ""), "text-embedding-3-large"))
        conn.execute("analyze ai_embedding_store")
        search = "select %s from find_similar_content(%%s::vector, null, %s, -1, %%s, false)"
        plan = search_plan(conn, search % ("*", 5), rows[7], "text-embedding-3-large")
        found = conn.execute(search % ("content_chunk", 1), (rows[7], "text-embedding-3-large")).fetchall()
        conn.execute("delete from ai_embedding_store where embedding_model = 'text-embedding-3-large'")
    assert "Index Scan using ix_embedding_hnsw_te3_large" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert found == [("big 7",)]
