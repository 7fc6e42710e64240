"""A plan deployed up to any budget code change is consistent (issue 23 review): every project
function that the deployed ai_budget_* and ai_jsonb_* functions call exists already. The fold, the
slices' take-back and refill and the budget status are deployed ahead of reserve and settle, which
call them."""

from __future__ import annotations

import re

import psycopg
import pytest
from support import TEST_COMMITTER

from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine
from lokdarpan_db.paths import PLAN

CALL = re.compile(r"\bpublic\.(ai_[a-z0-9_]+)\s*\(")


def missing_callees(conn: psycopg.Connection) -> dict[str, set[str]]:
    """For each deployed ai_* function, the public.ai_* functions its body calls that do not exist."""
    rows = conn.execute(
        """select p.proname, p.prosrc from pg_proc as p
           where p.pronamespace = 'public'::regnamespace and p.proname like 'ai\\_%'"""
    ).fetchall()
    defined = {name for name, _ in rows}
    defined |= {r[0] for r in conn.execute(
        "select c.relname from pg_class as c where c.relnamespace = 'public'::regnamespace")}
    found: dict[str, set[str]] = {}
    for name, body in rows:
        gone = {callee for callee in CALL.findall(body) if callee not in defined}
        if gone:
            found[name] = gone
    return found


@pytest.mark.parametrize("change", ["code/ledger/budgets/reserve", "code/ledger/budgets/settle"])
def test_a_plan_deployed_up_to_a_budget_change_calls_only_what_exists(empty_db: str, change: str):
    with psycopg.connect(empty_db, autocommit=True) as conn:
        Engine(conn, plan_mod.load(PLAN), TEST_COMMITTER).deploy(to=change)
        called = conn.execute(
            "select prosrc from pg_proc where proname = 'ai_budget_reserve'").fetchone()[0]
        # The check below can fail: the reserve path calls the slices' functions.
        assert "public.ai_budget_slices_take_back(" in called
        assert missing_callees(conn) == {}
