"""16 clients reserving and settling against one budget that runs out: never a cent overspent.

The test proves it would notice a race: it derives from the deployed ai_budget_reserve() a variant
without the budget row lock (a read-then-write) and one with the lock, both with the same 2 ms pause
between reading the budget and writing it, and runs the same workload through each. The unlocked
variant overspends; the locked one and the real function spend exactly the budget. If the real
function lost its lock, the derivation below would fail, and so would the test."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from lokdarpan_db.ledger import workload

RESERVE = "public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval)"
LOCK = "where bt.id = p_budget_id for update;"
PAUSE = "\n    perform pg_catalog.pg_sleep(0.002);"


def make_variant(conn: psycopg.Connection, name: str, atomic: bool) -> str:
    src = conn.execute("select pg_get_functiondef(%s::regprocedure)", (RESERVE,)).fetchone()[0]
    assert src.count(LOCK) == 1, "ai_budget_reserve() no longer locks the budget row it checks"
    src = src.replace(LOCK, (LOCK if atomic else "where bt.id = p_budget_id;") + PAUSE)
    src = src.replace("public.ai_budget_reserve(", f"public.{name}(", 1)
    conn.execute(src)
    return f"public.{name}"


@pytest.fixture(scope="module")
def variants(db_url: str) -> dict[str, str]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return {
            "racy": make_variant(conn, "test_reserve_unlocked", atomic=False),
            "locked": make_variant(conn, "test_reserve_locked", atomic=True),
            "real": "public.ai_budget_reserve",
        }


def run(db_url: str, function: str, ident: str) -> workload.BudgetRun:
    with psycopg.connect(db_url, autocommit=True) as conn:
        budget = workload.create_budget(conn, ident, Decimal("1.00"))
    result = workload.reserve_and_settle(
        db_url, budget, clients=16, estimate_usd=Decimal("0.01"), reserve_function=function, tag=ident
    )
    assert result.errors == []
    return result


def test_a_read_then_write_reservation_overspends(db_url: str, variants: dict[str, str]):
    result = run(db_url, variants["racy"], "race-unlocked")
    assert result.overspend_usd > 0, (
        "the unlocked variant should have overspent: the test would not catch a race"
    )
    with psycopg.connect(db_url) as conn:
        found = conn.execute(
            """select c.ledger_usd from public.ai_budget_consistency() as c
               inner join public.ai_budget_tracker as b on b.id = c.budget_id
               where b.period_identifier = 'race-unlocked' and c.check_name = 'overspend'"""
        ).fetchall()
    assert found == [(result.overspend_usd,)], "the consistency check reports the overspend"


@pytest.mark.parametrize("kind", ["locked", "real"])
def test_the_locked_reservation_spends_exactly_the_budget(db_url: str, variants: dict[str, str], kind: str):
    result = run(db_url, variants[kind], f"race-{kind}")
    assert result.overspend_usd == 0
    assert result.spent_usd == result.budget_usd == Decimal("1.00")  # it ran out exactly, 100 reservations
    assert result.reserved == 100
    assert result.refused == 16  # every client was eventually told the budget cannot cover it


def test_the_books_agree_with_the_execution_rows(db_url: str):
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            """select c.* from public.ai_budget_consistency() as c
               inner join public.ai_budget_tracker as b on b.id = c.budget_id
               where b.period_identifier <> 'race-unlocked'"""
        ).fetchall()
    assert rows == []
