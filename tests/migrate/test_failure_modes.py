"""What a failed deploy undoes (Sqitch's --mode), and the rules for changes that run outside a
transaction: a failed verify runs the change's revert script, and invalid indexes left by a failed
CREATE INDEX CONCURRENTLY are caught before and after such a change."""

from __future__ import annotations

import psycopg
import pytest
from support import TEST_COMMITTER, Project

from lokdarpan_db.errors import BadInputError, ChangeFailedError
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine

NO_TX = "-- lokdarpan:no-transaction\n"


def engine(project: Project, conn: psycopg.Connection) -> Engine:
    return Engine(conn, plan_mod.load(project.plan), TEST_COMMITTER, lock_timeout=5)


def five_changes_the_last_failing(project: Project) -> None:
    """a b @v1 c @v2 d e(fails): a and b get deployed by an earlier run."""
    for i, name in enumerate("abcd"):
        project.add(name, f"create table {name} (id int);", f"drop table {name};", minute=i * 2)
        if name == "b":
            project.tag("v1", minute=i * 2 + 1)
        if name == "c":
            project.tag("v2", minute=i * 2 + 1)
    project.add("e", "create table e (id int);\nselect 1/0;\n", "drop table e;", minute=9)


def tables(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "select tablename from pg_tables where schemaname = 'public' order by 1")]


def events(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute("select event, change from sqitch.events order by committed_at").fetchall()


@pytest.mark.parametrize(("mode", "left", "undone"), [
    ("all", ["a", "b"], ["d", "c"]),
    ("tag", ["a", "b", "c"], ["d"]),
    ("change", ["a", "b", "c", "d"], []),
])
def test_a_failed_run_undoes_what_its_mode_says(empty_db: str, project: Project, mode: str,
                                                left: list[str], undone: list[str]):
    five_changes_the_last_failing(project)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        e = engine(project, conn)
        assert e.deploy(to="b") == ["a", "b"]  # an earlier run: never undone by a later failure
        with pytest.raises(ChangeFailedError) as exc:
            e.deploy(mode=mode)
        message = str(exc.value)
        assert message.startswith('deploy of "e" failed: ') and "division by zero" in message
        if undone:
            assert f"--mode {mode} reverted what this run had deployed ({', '.join(undone)})" in message
        assert tables(conn) == left
        assert [r[0] for r in conn.execute("select change from sqitch.changes order by committed_at")] == left
        run = [("deploy", "c"), ("deploy", "d"), ("fail", "e")]
        assert events(conn) == [("deploy", "a"), ("deploy", "b"), *run, *(("revert", n) for n in undone)]


def test_unknown_mode_is_bad_input(empty_db: str, project: Project):
    project.add("a", "select 1;", "select 1;")
    with psycopg.connect(empty_db, autocommit=True) as conn, pytest.raises(BadInputError, match="mode"):
        engine(project, conn).deploy(mode="some")


def test_mode_all_undo_that_fails_says_the_schema_needs_repair(empty_db: str, project: Project):
    project.add("a", "create table a (id int);", "select 1/0; -- a revert that cannot run")
    project.add("b", "select 1/0;", "select 1;", minute=1)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(ChangeFailedError) as exc:
            engine(project, conn).deploy()
        message = str(exc.value)
        assert 'deploy of "b" failed' in message
        assert 'undoing the run (--mode all) failed: revert of "a" failed' in message
        assert "manual repair" in message
        assert tables(conn) == ["a"]


def test_nontransactional_change_whose_verify_fails_is_reverted_and_not_recorded(empty_db: str,
                                                                                 project: Project):
    project.add("t", "create table t (id int);", "drop table t;")
    project.add("t_idx", NO_TX + "create index concurrently if not exists t_id on t (id);\n",
                NO_TX + "drop index concurrently if exists t_id;\n",
                "select 1/0; -- this verify always fails\n", minute=1)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(ChangeFailedError) as exc:
            engine(project, conn).deploy(verify=True, mode="change")
        message = str(exc.value)
        assert 'deploy of "t_idx" failed: verify of "t_idx" failed' in message
        assert "its revert script" in message and "so it is not applied" in message
        assert conn.execute("select to_regclass('t_id')").fetchone()[0] is None  # reverted
        assert [r[0] for r in conn.execute("select change from sqitch.changes")] == ["t"]
        assert events(conn)[-1] == ("fail", "t_idx")


def test_failed_concurrent_unique_index_is_named_and_blocks_a_rerun_until_dropped(empty_db: str,
                                                                                  project: Project):
    project.add("t", "create table t (v int);\ninsert into t values (1), (1);\n", "drop table t;")
    project.add("t_uniq", NO_TX + "create unique index concurrently if not exists t_v_uniq on t (v);\n",
                NO_TX + "drop index concurrently if exists t_v_uniq;\n",
                "select 't_v_uniq'::regclass;", minute=1)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(ChangeFailedError) as exc:
            engine(project, conn).deploy(mode="change")
        first = str(exc.value)
        assert "could not create unique index" in first
        assert "it left invalid index public.t_v_uniq (on public.t)" in first
        assert "drop index concurrently public.t_v_uniq;" in first
        # The docs' re-runnable pattern would now skip the invalid index and "succeed": refused.
        conn.execute("delete from t where ctid = (select max(ctid) from t)")
        with pytest.raises(ChangeFailedError) as exc:
            engine(project, conn).deploy()
        assert 'deploy of "t_uniq" failed: not run: the database has invalid index public.t_v_uniq' \
            in str(exc.value)
        assert [r[0] for r in conn.execute("select change from sqitch.changes")] == ["t"]
        conn.execute("drop index concurrently public.t_v_uniq")
        assert engine(project, conn).deploy() == ["t_uniq"]
        assert conn.execute("select indisvalid from pg_index where indexrelid = 't_v_uniq'::regclass"
                            ).fetchone()[0] is True
