"""16 clients reserving and settling against one budget that runs out: never a cent overspent.

The test proves it would notice a race: it derives from the deployed ai_budget_reserve() a variant
without the budget row lock (a read-then-write) and one with the lock, both with the same 2 ms pause
between reading the budget and writing it, and runs the same workload through each. The unlocked
variant overspends; the locked one and the real function spend exactly the budget. If the real
function lost its lock, the derivation below would fail, and so would the test."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import psycopg
import pytest

from lokdarpan_db import cli
from lokdarpan_db.devtools import ledger_workload as workload

RESERVE = "public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval)"
LOCK = "where bt.id = p_budget_id for no key update;"
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
               where b.period_identifier <> 'race-unlocked' and b.period_identifier not like 'late-%'"""
        ).fetchall()
    assert rows == []


# Issue 19: a settle after its reservation expired used to charge the cost without looking at the
# budget, which the expiry had handed to others meanwhile; the overspend went unreported.

Notice = tuple[str | None, str | None, str | None]  # severity, SQLSTATE, message


def _app(url: str, notices: list[Notice] | None = None) -> psycopg.Connection:
    """A connection acting as the application (lokdarpan_app), collecting the server's notices (a
    Diagnostic is valid only inside the handler: its fields are copied)."""
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("set role lokdarpan_app")
    if notices is not None:
        conn.add_notice_handler(
            lambda d: notices.append((d.severity_nonlocalized, d.sqlstate, d.message_primary))
        )
    return conn


def _reserve(conn: psycopg.Connection, budget: int, usd: str, ttl: str = "15 minutes") -> int:
    return conn.execute(
        """select reservation_id
           from public.ai_budget_reserve(%s, %s, 'openai', 'retrieval', p_ttl => %s::interval)""",
        (budget, Decimal(usd), ttl),
    ).fetchone()[0]


def _call(conn: psycopg.Connection, request_id: str, usd: str) -> int:
    return conn.execute(
        """insert into public.ai_model_execution (request_id, operation_type, provider, model_name,
               input_tokens, output_tokens, cost_usd, success_status)
           values (%s, 'retrieval', 'openai', 'gpt-4o-mini', 1000, 100, %s, 'success') returning id""",
        (request_id, Decimal(usd)),
    ).fetchone()[0]


def _settle(conn: psycopg.Connection, reservation: int, execution: int) -> tuple[str, Decimal]:
    return conn.execute(
        "select budget_status, over_budget_usd from public.ai_budget_settle(%s, %s)", (reservation, execution)
    ).fetchone()


def test_a_late_settle_is_rechecked_reported_and_fails_integrity(db_url: str, capsys):
    """The issue's sequence on the real clock, A and B in their own sessions: budget 1.00; A reserves
    0.50 for 1 second; expiry runs; B reserves 0.50 twice; A settles, then B settles both."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        budget = workload.create_budget(conn, "late-sequence", Decimal("1.00"))
    a_notices: list[Notice] = []
    b_notices: list[Notice] = []
    with _app(db_url, a_notices) as a, _app(db_url, b_notices) as b:
        ra = _reserve(a, budget, "0.50", "1 second")
        time.sleep(1.2)
        assert b.execute("select public.ai_budget_expire_reservations(%s)", (budget,)).fetchone()[0] == 1
        rb = [_reserve(b, budget, "0.50"), _reserve(b, budget, "0.50")]
        assert _settle(a, ra, _call(a, "late-a", "0.50")) == ("exceeded", Decimal("0.50"))
        assert [n[:2] for n in a_notices] == [("WARNING", "LDB08")]
        assert "could not cover 0.5 USD of the 0.5 USD settled on reservation" in (a_notices[0][2] or "")
        with pytest.raises(psycopg.Error) as refused:
            _reserve(b, budget, "0.01")
        assert refused.value.sqlstate == "LDB04", "the breaker is open"
        for i, rid in enumerate(rb):
            assert _settle(b, rid, _call(b, f"late-b{i}", "0.50")) == ("exceeded", Decimal(0))
        assert b_notices == []
    with psycopg.connect(db_url) as conn:
        spend, breaker = conn.execute(
            "select current_spend_usd, circuit_breaker_active from public.ai_budget_tracker where id = %s",
            (budget,),
        ).fetchone()
    assert (spend, breaker) == (Decimal("1.50"), True)
    capsys.readouterr()
    assert cli.run(["--db", db_url, "integrity", "--only", "budget_consistency", "--json"]) == 2
    check = json.loads(capsys.readouterr().out)["checks"][0]
    assert check["status"] == "FAIL"  # this budget's overspend (and the racy variant's, above)
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "select check_name, ledger_usd from public.ai_budget_consistency() where budget_id = %s",
            (budget,),
        ).fetchall()
    assert rows == [("overspend", Decimal("0.50"))]


def test_concurrent_late_settles_report_every_overspent_cent(db_url: str):
    """10 reservations of 0.10 expire; 6 clients then commit the whole budget again with fresh ones.
    The 10 late settles race the fresh settles and more reservation attempts: every late cost is
    charged, each is reported as over budget (the committed amount never drops below the total), and
    what they report adds up to the overspend exactly, with one LDB08 warning each."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        budget = workload.create_budget(conn, "late-race", Decimal("1.00"))
    late_notices: list[list[Notice]] = [[] for _ in range(10)]
    fresh_notices: list[list[Notice]] = [[] for _ in range(6)]
    late_conns = [_app(db_url, notices) for notices in late_notices]
    fresh_conns = [_app(db_url, notices) for notices in fresh_notices]
    try:
        late = [_reserve(c, budget, "0.10", "1 second") for c in late_conns]
        time.sleep(1.2)
        assert late_conns[0].execute(
            "select public.ai_budget_expire_reservations(%s)", (budget,)
        ).fetchone()[0] == 10
        held: list[list[int]] = [[] for _ in fresh_conns]
        for n, conn in enumerate(fresh_conns * 2):  # 12 attempts at 0.10: 10 fit
            try:
                held[n % 6].append(_reserve(conn, budget, "0.10"))
            except psycopg.Error as exc:
                assert exc.sqlstate in workload.REFUSED
        assert sum(map(len, held)) == 10

        barrier = threading.Barrier(16)
        results: list[tuple[str, Decimal]] = []
        errors: list[str] = []
        guard = threading.Lock()

        def settle_late(n: int) -> None:
            try:
                barrier.wait()
                got = _settle(late_conns[n], late[n], _call(late_conns[n], f"late-race-l{n}", "0.10"))
                with guard:
                    results.append(("late", *got))
            except Exception as exc:  # reported below
                errors.append(f"late {n}: {exc}")

        def settle_fresh(n: int) -> None:
            try:
                barrier.wait()
                conn = fresh_conns[n]
                for i, rid in enumerate(held[n]):
                    got = _settle(conn, rid, _call(conn, f"late-race-f{n}-{i}", "0.10"))
                    with guard:
                        results.append(("fresh", *got))
                    try:
                        _reserve(conn, budget, "0.10")
                        errors.append(f"fresh {n}: a reservation was accepted beyond the budget")
                    except psycopg.Error as exc:
                        if exc.sqlstate not in workload.REFUSED:
                            raise
            except Exception as exc:  # reported below
                errors.append(f"fresh {n}: {exc}")

        threads = [threading.Thread(target=settle_late, args=(n,)) for n in range(10)]
        threads += [threading.Thread(target=settle_fresh, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    finally:
        for c in late_conns + fresh_conns:
            c.close()
    assert sorted(r[2] for r in results if r[0] == "late") == [Decimal("0.10")] * 10
    assert all(r[2] == 0 for r in results if r[0] == "fresh")
    assert [[n[1] for n in notices] for notices in late_notices] == [["LDB08"]] * 10
    assert fresh_notices == [[]] * 6
    with psycopg.connect(db_url) as conn:
        spend, reserved, reported = conn.execute(
            """select b.current_spend_usd, b.reserved_usd, sum(r.over_budget_usd)
               from public.ai_budget_tracker as b
               inner join public.ai_budget_reservation as r on r.budget_id = b.id
               where b.id = %s group by b.id""",
            (budget,),
        ).fetchone()
        rows = conn.execute(
            "select check_name, ledger_usd from public.ai_budget_consistency() where budget_id = %s",
            (budget,),
        ).fetchall()
    assert (spend, reserved) == (Decimal("2.00"), Decimal(0))
    assert reported == spend - Decimal("1.00") == Decimal("1.00")
    assert rows == [("overspend", Decimal("1.00"))]
