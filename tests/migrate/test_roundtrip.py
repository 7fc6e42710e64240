"""The whole real plan: deploy -> verify -> revert everything -> catalog as before -> deploy again."""

from __future__ import annotations

import psycopg
from support import PLAN, TEST_COMMITTER, schema_snapshot

from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine


def test_whole_plan_round_trip_leaves_the_catalog_as_it_was(empty_db: str):
    plan = plan_mod.load(PLAN)
    before = schema_snapshot(empty_db)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        engine = Engine(conn, plan, TEST_COMMITTER)
        assert engine.deploy(verify=True) == [c.name for c in plan.changes]
        deployed = schema_snapshot(empty_db)
        assert engine.verify().failed == []
        assert engine.revert() == [c.name for c in reversed(plan.changes)]
        assert schema_snapshot(empty_db) == before
        assert engine.deploy() == [c.name for c in plan.changes]
        assert engine.verify().failed == []
    assert schema_snapshot(empty_db) == deployed


def test_each_change_reverts_to_exactly_the_state_before_it(empty_db: str):
    """Step through the plan: for every change, deploy it, revert it, compare, deploy it again."""
    plan = plan_mod.load(PLAN)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        engine = Engine(conn, plan, TEST_COMMITTER)
        for change in plan.changes:
            before = schema_snapshot(empty_db)
            engine.deploy(to=change.name)
            after = schema_snapshot(empty_db)
            assert after != before or change.name == "clock", f"{change.name} changed nothing"
            engine.revert(to=plan.changes[change.index - 1].name) if change.index else engine.revert()
            assert schema_snapshot(empty_db) == before, f"revert of {change.name} left traces"
            engine.deploy(to=change.name)
            assert schema_snapshot(empty_db) == after
