"""The deployer's promises, against a real server: transactions, failures, reverts, drift."""

from __future__ import annotations

import psycopg
import pytest
from support import TEST_COMMITTER, Project

from lokdarpan_db.errors import ChangeFailedError, DependencyError, ScriptEncodingError, ScriptMissingError
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine


def engine(url: str, project: Project, conn: psycopg.Connection) -> Engine:
    return Engine(conn, plan_mod.load(project.plan), TEST_COMMITTER, lock_timeout=5)


def three_changes(project: Project, second_deploy: str = "create table b (id int);") -> None:
    project.add("a", "create table a (id int);", "drop table a;", "select id from a where false;")
    project.add("b", second_deploy, "drop table b;", "select id from b where false;", deps="a", minute=1)
    project.add("c", "create table c (id int);", "drop table c;", "select id from c where false;",
                deps="b", minute=2)


def registry_rows(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("select change, script_hash from sqitch.changes order by committed_at").fetchall()


def test_failing_change_rolls_back_records_fail_and_keeps_earlier_in_mode_change(empty_db: str,
                                                                                 project: Project):
    three_changes(project, "create table b (id int);\n\ninsert into b values (1);\nselect 1/0;\n")
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(ChangeFailedError) as exc:
            engine(empty_db, project, conn).deploy(mode="change")
        message = str(exc.value)
        assert 'deploy of "b" failed' in message
        assert "db/deploy/b.sql:4" in message  # the failing statement's line
        assert "division by zero" in message
        assert [r[0] for r in registry_rows(conn)] == ["a"]
        assert conn.execute("select to_regclass('b')").fetchone()[0] is None  # rolled back
        events = conn.execute("select event, change from sqitch.events order by committed_at").fetchall()
        assert events == [("deploy", "a"), ("fail", "b")]


def test_error_line_inside_do_block_points_at_the_raise(empty_db: str, project: Project):
    project.add("x", "-- header\n\ndo $$\nbegin\n    raise exception 'boom';\nend\n$$;\n",
                "select 1;")
    with psycopg.connect(empty_db, autocommit=True) as conn, pytest.raises(ChangeFailedError) as exc:
        engine(empty_db, project, conn).deploy()
    assert "x.sql:5" in str(exc.value) and "boom" in str(exc.value)


def test_deploy_to_and_revert_to(empty_db: str, project: Project):
    three_changes(project)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        e = engine(empty_db, project, conn)
        assert e.deploy(to="b") == ["a", "b"]
        assert e.deploy() == ["c"]
        assert e.deploy() == []
        assert e.revert(to="a") == ["c", "b"]
        assert [r[0] for r in registry_rows(conn)] == ["a"]
        assert conn.execute("select to_regclass('b')").fetchone()[0] is None
        assert e.revert() == ["a"]
        assert registry_rows(conn) == []
        kinds = conn.execute("select event from sqitch.events order by committed_at").fetchall()
        assert [k[0] for k in kinds] == ["deploy"] * 3 + ["revert"] * 3


def test_verify_inside_the_transaction_rejects_a_change_that_does_not_verify(empty_db: str,
                                                                             project: Project):
    project.add("a", "create table a (id int);", "drop table a;", "select missing_column from a;")
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(ChangeFailedError, match="verify of \"a\" failed"):
            engine(empty_db, project, conn).deploy(verify=True)
        assert conn.execute("select to_regclass('a')").fetchone()[0] is None


def test_nontransactional_change_runs_concurrently_index(empty_db: str, project: Project):
    project.add("t", "create table t (id int);", "drop table t;")
    project.add(
        "t_idx",
        "-- lokdarpan:no-transaction\ncreate index concurrently if not exists t_id on t (id);\n",
        "-- lokdarpan:no-transaction\ndrop index concurrently if exists t_id;\n",
        "select 't_id'::regclass;", deps="t", minute=1,
    )
    with psycopg.connect(empty_db, autocommit=True) as conn:
        e = engine(empty_db, project, conn)
        pending = e.pending()
        assert [p.transactional for p in pending] == [True, False]
        assert e.deploy(verify=True) == ["t", "t_idx"]
        assert conn.execute("select to_regclass('t_id')").fetchone()[0] == "t_id"
        assert e.revert() == ["t_idx", "t"]


def test_missing_script_fails_before_anything_runs(empty_db: str, project: Project):
    three_changes(project)
    (project.root / "db" / "revert" / "c.sql").unlink()
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(ScriptMissingError, match=r"revert/c\.sql"):
            engine(empty_db, project, conn).deploy()
        assert registry_rows(conn) == []


def test_a_script_that_is_not_utf8_is_named_for_what_it_is(empty_db: str, project: Project):
    three_changes(project)
    (project.root / "db" / "deploy" / "b.sql").write_bytes("select 'caf\u00e9';\n".encode("latin-1"))
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(ScriptEncodingError, match=r"deploy/b\.sql: not UTF-8 text") as err:
            engine(empty_db, project, conn).deploy()
        assert not isinstance(err.value, ScriptMissingError)
        assert registry_rows(conn) == []


def test_check_reports_hash_drift_and_schema_drift(empty_db: str, project: Project):
    three_changes(project)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        e = engine(empty_db, project, conn)
        e.deploy()
        assert e.check().clean
        (project.root / "db" / "deploy" / "b.sql").write_text("create table b (id bigint);\n")
        conn.execute("drop table c")
        e = engine(empty_db, project, conn)
        result = e.check()
        assert [d[0] for d in result.drifted] == ["b"]
        assert [f[0] for f in result.verify_failed] == ["c"]
        assert e.status().drifted == ["b"]


def test_dry_run_touches_nothing(empty_db: str, project: Project):
    three_changes(project)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        pending = engine(empty_db, project, conn).pending(to="b")
        assert [p.change.name for p in pending] == ["a", "b"]
        assert "create table a" in pending[0].sql
        assert conn.execute("select to_regnamespace('sqitch')").fetchone()[0] is None


def test_tag_added_after_deploy_is_recorded(empty_db: str, project: Project):
    three_changes(project)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        engine(empty_db, project, conn).deploy()
        with project.plan.open("a") as fh:
            fh.write("@v1.0 2026-01-02T00:00:00Z Test Planner <planner@example.org> # first release\n")
        e = engine(empty_db, project, conn)
        assert e.deploy() == []
        assert conn.execute("select tag, change_id from sqitch.tags").fetchall() == [
            ("@v1.0", e.plan.changes[-1].id)
        ]
        assert e.revert(to="@v1.0") == []


def test_unmet_dependencies_and_conflicts_stop_the_deploy_before_anything_runs(empty_db: str,
                                                                              project: Project):
    project.add("a", "create table a (id int);", "drop table a;")
    project.add("b", "create table b (id int);", "drop table b;", deps="a !legacy", minute=1)
    project.add("c", "create table c (id int);", "drop table c;", deps="other:base other:@v2", minute=2)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(DependencyError) as exc:
            engine(empty_db, project, conn).deploy()
        assert str(exc.value) == ('cannot deploy: "c" requires "other:base", which is not deployed; '
                                  '"c" requires "other:@v2", which is not deployed')
        assert registry_rows(conn) == []
        assert conn.execute("select to_regclass('a')").fetchone()[0] is None
        assert conn.execute("select count(*) from sqitch.events").fetchone()[0] == 0


def test_a_conflict_with_a_change_deployed_earlier_in_the_run_is_refused(empty_db: str,
                                                                         project: Project):
    project.add("legacy", "create table legacy ();", "drop table legacy;")
    project.add("modern", "create table modern ();", "drop table modern;", deps="!legacy", minute=1)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(DependencyError, match='"modern" conflicts with "legacy", which is deployed'):
            engine(empty_db, project, conn).deploy()
        assert registry_rows(conn) == []


def test_revert_refuses_a_change_another_project_still_requires(empty_db: str, project: Project,
                                                                tmp_path):
    project.add("base", "create table base (id int);", "drop table base;")
    other = Project(tmp_path / "other")
    for kind in ("deploy", "revert", "verify"):
        (other.root / "db" / kind).mkdir(parents=True)
    other.plan.write_text("%project=other\n\n")
    other.add("uses_base", "create view uses_base as select * from base;", "drop view uses_base;",
              deps="testproj:base")
    with psycopg.connect(empty_db, autocommit=True) as conn:
        engine(empty_db, project, conn).deploy()
        engine(empty_db, other, conn).deploy()
        with pytest.raises(DependencyError, match='cannot revert: "base" is required by other:uses_base'):
            engine(empty_db, project, conn).revert()
        assert [r[0] for r in registry_rows(conn)] == ["base", "uses_base"]
        assert engine(empty_db, other, conn).revert() == ["uses_base"]
        assert engine(empty_db, project, conn).revert() == ["base"]
