"""Sliced budgets (issue 23): 16 clients reserve and settle against a budget whose headroom is
split over slices; it runs out exactly, never a cent overspent, and the books agree before and after
the fold. (The racy-copy check of test_budget_concurrency.py derives its variants from this same
function's row path: the one every refusal and every refill goes through.)"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from lokdarpan_db.devtools import ledger_workload as workload


def _run(url: str, ident: str, slices: int, function: str = "public.ai_budget_reserve",
         record: bool = False) -> workload.BudgetRun:
    with psycopg.connect(url, autocommit=True) as conn:
        budget = workload.create_budget(conn, ident, Decimal("2.00"), slices=slices)
    result = workload.reserve_and_settle(
        url, budget, clients=16, estimate_usd=Decimal("0.01"), reserve_function=function, tag=ident,
        record=record,
    )
    assert result.errors == [], "\n".join(result.errors[:3])
    return result


def _books(url: str, ident: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select c.check_name, c.ledger_usd, c.executions_usd from public.ai_budget_consistency() as c
               inner join public.ai_budget_tracker as b on b.id = c.budget_id
               where b.period_identifier = %s""",
            (ident,),
        ).fetchall()


@pytest.mark.parametrize("slices", [4, 16])
def test_a_sliced_budget_spends_exactly_its_total(db_url: str, slices: int):
    ident = f"sliced-{slices}"
    result = _run(db_url, ident, slices)
    assert result.overspend_usd == 0
    assert result.spent_usd == result.budget_usd == Decimal("2.00")
    assert (result.reserved, result.refused) == (200, 16)
    assert _books(db_url, ident) == []  # what is not folded in yet counts
    with psycopg.connect(db_url, autocommit=True) as conn:
        budget = conn.execute(
            "select id from public.ai_budget_tracker where period_identifier = %s", (ident,)
        ).fetchone()[0]
        conn.execute("select public.ai_budget_fold(%s)", (budget,))
        row = conn.execute(
            """select current_spend_usd, reserved_usd, request_count, budget_status, circuit_breaker_active,
                   spend_by_service,
                   (select sum(allowance_usd) from public.ai_budget_slice where budget_id = %s)
               from public.ai_budget_tracker where id = %s""",
            (budget, budget),
        ).fetchone()
    assert row[:5] == (Decimal("2.00"), Decimal(0), 200, "exceeded", True)
    assert row[5] == {"openai": 2} and row[6] in (None, Decimal(0))
    assert _books(db_url, ident) == []


@pytest.mark.parametrize("slices", [0, 16])
def test_recording_in_one_call_spends_exactly_its_total(db_url: str, slices: int):
    """The cycle an application should run (issue 23): ai_budget_reserve(), then ai_budget_record()
    writes the execution row and settles in one call; on a one-row budget and on a sliced one."""
    ident = f"recorded-{slices}"
    result = _run(db_url, ident, slices, record=True)
    assert result.overspend_usd == 0
    assert result.spent_usd == result.budget_usd == Decimal("2.00")
    assert (result.reserved, result.refused) == (200, 16)
    assert _books(db_url, ident) == []
