"""Reworked changes and Sqitch's target syntax, on our engine against a real server.

The plan is the ordinary result of `sqitch rework` after more changes were added:
`alpha gamma epsilon @v3 gamma [gamma@v3]` — the tag the rework names sits on another change.
"""

from __future__ import annotations

import psycopg
import pytest
from support import TEST_COMMITTER, Project

from lokdarpan_db.errors import BadInputError, PlanError
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine


def gamma_function(version: int) -> str:
    return (f"create or replace function gamma() returns int language sql as $$ select {version} $$;"
            f"\n-- gamma version {version}\n")


def rework_project(project: Project) -> None:
    project.add("alpha", "create table alpha (id int);", "drop table alpha;")
    project.add("gamma", gamma_function(1), "drop function gamma();", "select gamma();",
                deps="alpha", minute=1)
    project.add("epsilon", "create table epsilon (id int);", "drop table epsilon;", minute=2)
    project.tag("v3", minute=3)
    project.rework("gamma", "v3", gamma_function(2), gamma_function(1), "select 1 / (gamma() - 1);",
                   minute=4)


def engine(project: Project, conn: psycopg.Connection) -> Engine:
    return Engine(conn, plan_mod.load(project.plan), TEST_COMMITTER, lock_timeout=5)


def gamma(conn: psycopg.Connection) -> int | None:
    if conn.execute("select to_regprocedure('gamma()')").fetchone()[0] is None:
        return None
    return conn.execute("select gamma()").fetchone()[0]


def deployed(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("select change from sqitch.changes order by committed_at")]


def test_rework_whose_tag_sits_on_another_change_deploys_and_reverts(empty_db: str, project: Project):
    rework_project(project)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        e = engine(project, conn)
        first, second = (c for c in e.plan.changes if c.name == "gamma")
        assert e.plan.script(first, "deploy").name == "gamma@v3.sql"
        assert e.plan.script(second, "deploy").name == "gamma.sql"
        assert e.deploy(verify=True) == ["alpha", "gamma", "epsilon", "gamma"]
        assert gamma(conn) == 2
        assert conn.execute(
            "select dependency, dependency_id from sqitch.dependencies where change_id = %s",
            (second.id,)).fetchall() == [("gamma@v3", first.id)]
        assert e.revert(to="gamma@v3") == ["gamma", "epsilon"]
        assert gamma(conn) == 1
        assert e.revert(to="gamma") == []  # only one instance deployed: not ambiguous
        assert e.revert(to="alpha") == ["gamma"]
        assert gamma(conn) is None


def test_slash_name_reworked_after_several_tags_uses_the_nearest_tag_script(empty_db: str,
                                                                           project: Project):
    project.add("func/add", "create function add1(int) returns int language sql as $$ select $1 + 1 $$;",
                "drop function add1(int);")
    project.tag("a", minute=1)
    project.add("other", "create table other ();", "drop table other;", minute=2)
    project.tag("b", minute=3)
    project.add("plain", "create table plain ();", "drop table plain;", minute=4)
    project.tag("c", minute=5)
    project.rework("func/add", "c",
                   "create or replace function add1(int) returns int language sql as $$ select $1 + 10 $$;",
                   "create or replace function add1(int) returns int language sql as $$ select $1 + 1 $$;",
                   minute=6)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        e = engine(project, conn)
        first = e.plan.changes[0]
        assert e.plan.script(first, "deploy") == project.root / "db" / "deploy" / "func" / "add@c.sql"
        assert [t.name for t in first.rework_tags] == ["c", "b", "a"]
        e.deploy()
        assert conn.execute("select add1(1)").fetchone()[0] == 11
        e.revert(to="@c")
        assert conn.execute("select add1(1)").fetchone()[0] == 2


def test_deploy_targets_follow_sqitch(empty_db: str, project: Project):
    rework_project(project)
    plan = plan_mod.load(project.plan)
    with pytest.raises(PlanError, match=r'change "gamma" is ambiguous .*gamma@HEAD, gamma@v3'):
        plan.resolve("gamma")
    with pytest.raises(PlanError, match="ambiguous"):
        plan.resolve("gamma^")
    assert plan.resolve("gamma@HEAD").index == 3
    assert plan.resolve("gamma@v3").index == 1
    assert plan.resolve("@HEAD^").name == "epsilon"
    assert plan.resolve("@HEAD^^").name == "gamma"
    assert plan.resolve("@HEAD^3").name == "alpha"
    assert plan.resolve("@ROOT~").name == "gamma"
    assert plan.resolve("@v3~").index == 3
    assert plan.resolve("alpha~2").name == "epsilon"
    assert plan.resolve(plan.changes[2].id).name == "epsilon"
    assert plan.resolve(plan.tags[0].id).name == "epsilon"
    for bad in ("@ROOT^", "@HEAD~", "nope", "@nope", "gamma@nope", "@HEAD^^^", "@ROOT~~2"):
        with pytest.raises(PlanError):
            plan.resolve(bad)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        e = engine(project, conn)
        assert e.deploy(to="@HEAD^") == ["alpha", "gamma", "epsilon"]
        assert e.deploy(to="gamma@HEAD") == ["gamma"]


def test_revert_targets_are_looked_up_among_deployed_changes(empty_db: str, project: Project):
    rework_project(project)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        e = engine(project, conn)
        e.deploy()
        with pytest.raises(BadInputError, match=r'"gamma" is ambiguous: 2 instances .*gamma@HEAD, gamma@v3'):
            e.revertible("gamma")
        assert [c.name for c in e.revertible("gamma@HEAD")] == []
        assert [c.name for c in e.revertible("@HEAD^")] == ["gamma"]
        assert [c.name for c in e.revertible("@ROOT~")] == ["gamma", "epsilon"]
        assert [c.name for c in e.revertible("@v3")] == ["gamma"]
        assert [c.name for c in e.revertible("@ROOT")] == ["gamma", "epsilon", "gamma"]
        with pytest.raises(BadInputError, match="unknown change"):
            e.revertible("nope")
        with pytest.raises(BadInputError, match="unknown change"):
            e.revertible("@ROOT^")
        e.revert(to="alpha")
        assert deployed(conn) == ["alpha"]
        with pytest.raises(BadInputError, match='"epsilon" is not deployed'):
            e.revertible("epsilon")
