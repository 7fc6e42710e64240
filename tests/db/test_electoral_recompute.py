"""Issue 18c: derived electoral data is shared. An open recompute_electoral() transaction blocks
the next recompute for at most 10 s, which then fails naming the session that holds it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

ANALYST = "h18_recompute_analyst"


@pytest.fixture()
def analyst(db_url: str) -> Iterator[str]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"drop role if exists {ANALYST}")
        conn.execute(f"create role {ANALYST} nologin in role lokdarpan_analyst")
    yield ANALYST
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"drop role if exists {ANALYST}")


def test_an_open_recompute_blocks_the_next_for_at_most_10_seconds(db_url: str, analyst: str):
    first = psycopg.connect(db_url)
    try:
        first.execute(f"set role {analyst}")
        first.execute("select * from public.recompute_electoral()")  # and the transaction stays open
        holder = first.info.backend_pid
        with psycopg.connect(db_url) as second:
            second.execute(f"set role {analyst}")
            started = time.monotonic()
            with pytest.raises(
                psycopg.errors.LockNotAvailable,
                match=rf"^recompute_electoral: another recompute of the electoral tables is running "
                rf"\(pid {holder}\)",
            ):
                second.execute("select * from public.recompute_electoral()")
            assert 9 <= time.monotonic() - started < 20
    finally:
        first.rollback()
        first.close()
    with psycopg.connect(db_url) as third:
        third.execute(f"set role {analyst}")
        assert [step for step, _ in third.execute("select * from public.recompute_electoral()")] == [
            "result_ward_agg", "ward_profile", "ward_features"]


def test_an_analyst_cannot_take_the_recompute_lock_outside_the_functions(db_url: str, analyst: str):
    with psycopg.connect(db_url) as conn:
        conn.execute(f"set role {analyst}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select public.electoral_recompute_lock('mine')")
        conn.rollback()
        conn.execute(f"set role {analyst}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("lock table public.electoral_setting in share row exclusive mode")
