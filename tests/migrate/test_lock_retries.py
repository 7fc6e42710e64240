"""Zero-downtime deploys (issue 26): a change's DDL waits for its locks at most a short
lock_timeout, rolls back and retries (so writers never queue long behind it), says who holds the
lock, records nothing for a failed attempt; and deploy/plan show (or refuse on) long transactions.
Against real concurrent sessions: a reader with an open transaction, a writer every 20 ms."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from support import TEST_COMMITTER, Project

from lokdarpan_db.errors import BusyDatabaseError, ChangeFailedError
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine

NO_TX = "-- lokdarpan:no-transaction\n"


def table_t_then_add_z(project: Project) -> None:
    project.add("t", "create table t (id bigserial primary key, v int);", "drop table t;")
    project.add("z", "alter table t add column z int;", "alter table t drop column z;", minute=1)


class Writer(threading.Thread):
    """Inserts into t every 20 ms and keeps the longest single insert's duration."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.longest, self.count = url, 0.0, 0
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                started = time.monotonic()
                conn.execute("insert into t (v) values (1)")
                self.longest = max(self.longest, time.monotonic() - started)
                self.count += 1
                time.sleep(0.02)


def deploy_with_reader_open(url: str, project: Project, reader_seconds: float,
                            **engine_args: float) -> tuple[float, list[str], BaseException | None, int]:
    """Deploy t, then open a reader that read t and a writer; deploy z while the reader stays
    open `reader_seconds`. Returns the writer's longest wait, the notices, the deploy's error
    and the reader's pid."""
    plan = plan_mod.load(project.plan)
    notes: list[str] = []
    errors: list[BaseException] = []
    with psycopg.connect(url, autocommit=True) as conn:
        Engine(conn, plan, TEST_COMMITTER).deploy(to="t")
    with psycopg.connect(url) as reader:
        reader.execute("select count(*) from t")  # an open transaction holding ACCESS SHARE on t
        reader_pid = reader.info.backend_pid
        writer = Writer(url)
        writer.start()
        time.sleep(0.2)

        def deploy() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                try:
                    Engine(conn, plan, TEST_COMMITTER, notify=notes.append, **engine_args).deploy()
                except BaseException as exc:  # handed to the test
                    errors.append(exc)

        deployer = threading.Thread(target=deploy, daemon=True)
        deployer.start()
        time.sleep(reader_seconds)
        reader.rollback()
    deployer.join(60)
    time.sleep(0.3)
    writer.stop.set()
    writer.join(10)
    assert writer.count > 20
    return writer.longest, notes, errors[0] if errors else None, reader_pid


def events(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("select event, change from sqitch.events order by committed_at").fetchall()


def columns_of_t(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "select attname from pg_attribute where attrelid = 't'::regclass and attnum > 0 "
            "and not attisdropped order by attnum")]


def test_writers_wait_briefly_while_the_deploy_retries_and_it_succeeds_after_the_reader(
        empty_db: str, project: Project):
    table_t_then_add_z(project)
    longest, notes, error, reader_pid = deploy_with_reader_open(
        empty_db, project, 4.0, ddl_lock_timeout=2, retry_for=60)
    assert error is None
    assert longest < 3.0, f"a writer waited {longest:.2f} s"
    assert columns_of_t(empty_db) == ["id", "v", "z"]
    retries = [n for n in notes if n.startswith("lock wait: z attempt ")]
    assert retries, notes
    assert all("\n" not in n for n in retries)
    assert f"blocked by pid {reader_pid} " in retries[0]
    assert "idle in transaction" in retries[0] and "select count(*) from t" in retries[0]
    # Failed attempts leave nothing in the registry: one deploy event per change, no fail.
    assert events(empty_db) == [("deploy", "t"), ("deploy", "z")]


def test_without_retries_writers_queue_behind_the_ddl_for_as_long_as_the_reader(
        empty_db: str, project: Project):
    """The behaviour before issue 26, still there with --ddl-lock-timeout 0: the contrast that
    shows the test above measures something."""
    table_t_then_add_z(project)
    longest, notes, error, _ = deploy_with_reader_open(empty_db, project, 2.5, ddl_lock_timeout=0)
    assert error is None
    assert longest > 1.5
    assert not [n for n in notes if n.startswith("lock wait")]


def test_giving_up_fails_the_change_once_and_mode_undoes_the_run(empty_db: str, project: Project):
    project.add("t", "create table t (id bigserial primary key, v int);", "drop table t;")
    project.add("a", "create table a (id int);", "drop table a;", minute=1)
    project.add("z", "alter table t add column z int;", "alter table t drop column z;", minute=2)
    plan = plan_mod.load(project.plan)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        Engine(conn, plan, TEST_COMMITTER).deploy(to="t")
        with psycopg.connect(empty_db) as reader:
            reader.execute("select count(*) from t")
            pid = reader.info.backend_pid
            engine = Engine(conn, plan, TEST_COMMITTER, ddl_lock_timeout=0.2, retry_for=1.5)
            with pytest.raises(ChangeFailedError) as exc:
                engine.deploy(mode="all")
        message = str(exc.value)
        assert message.startswith('deploy of "z" failed: gave up after ')
        assert f"waiting for a lock, last held by pid {pid} " in message
        assert "--mode all reverted what this run had deployed (a)" in message
        assert "\n" not in message
        assert columns_of_t(empty_db) == ["id", "v"]
        assert conn.execute("select change from sqitch.changes order by committed_at").fetchall() == [("t",)]
    # One fail event for the change, however many attempts it took; then --mode all's revert of a.
    assert events(empty_db) == [("deploy", "t"), ("deploy", "a"), ("fail", "z"), ("revert", "a")]


def test_lock_timeout_applies_to_transactional_changes_only(empty_db: str, project: Project):
    """The retry loop's lock_timeout is set in a change's transaction (and stays for its registry
    rows after `reset all`), never in a no-transaction change: CONCURRENTLY work may wait."""
    project.add("tx", """
        do $$ begin
          if current_setting('lock_timeout') = '0' then raise exception 'no lock_timeout'; end if;
        end $$;
        reset all;
        do $$ begin
          if current_setting('lock_timeout') = '0' then raise exception 'lost on reset'; end if;
        end $$;
        """, "select 1;")
    project.add("notx", NO_TX + """
        do $$ begin
          if current_setting('lock_timeout') <> '0' then
            raise exception 'lock_timeout % outside a transaction', current_setting('lock_timeout');
          end if;
        end $$;
        """, NO_TX + "select 1;", minute=1)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        assert Engine(conn, plan_mod.load(project.plan), TEST_COMMITTER).deploy() == ["tx", "notx"]


def test_refuse_if_busy_refuses_while_a_transaction_is_older_than_n(empty_db: str, project: Project):
    table_t_then_add_z(project)
    plan = plan_mod.load(project.plan)
    with psycopg.connect(empty_db, autocommit=True) as conn, psycopg.connect(empty_db) as reader:
        reader.execute("select 1")  # a transaction left open
        pid = reader.info.backend_pid
        time.sleep(1.2)
        engine = Engine(conn, plan, TEST_COMMITTER)
        with pytest.raises(BusyDatabaseError) as exc:
            engine.deploy(refuse_if_busy=1)
        assert exc.value.exit_code == 3
        assert str(exc.value).startswith("not starting: a transaction is open for longer than 1 s: "
                                         f"pid {pid} ")
        assert conn.execute("select count(*) from sqitch.changes").fetchone() == (0,)
        assert engine.deploy(refuse_if_busy=60) == ["t", "z"]  # younger than N: goes ahead


def test_cli_plan_lists_long_transactions_with_their_locks_and_deploy_refuses(
        empty_db: str, project: Project, run_cli):
    table_t_then_add_z(project)
    plan = str(project.plan)
    assert run_cli("--db", empty_db, "--plan", plan, "deploy", "--to", "t").returncode == 0
    with psycopg.connect(empty_db) as reader:
        reader.execute("select count(*) from t")
        pid = reader.info.backend_pid
        time.sleep(1.2)
        shown = run_cli("--db", empty_db, "--plan", plan, "plan", "--refuse-if-busy", "30")
        assert shown.returncode == 0, shown.stderr
        line = next(ln for ln in shown.stdout.splitlines() if ln.startswith("long transaction:"))
        assert f"pid {pid} " in line and "locks on t" in line and "idle in transaction" in line
        refused = run_cli("--db", empty_db, "--plan", plan, "deploy", "--refuse-if-busy", "1")
        assert refused.returncode == 3
        assert len(refused.stderr.strip().splitlines()) == 1 and f"pid {pid} " in refused.stderr
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("select change from sqitch.changes").fetchall() == [("t",)]


@pytest.mark.parametrize("option", ["--ddl-lock-timeout", "--retry-for", "--refuse-if-busy"])
@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-1"])
def test_cli_refuses_non_finite_seconds(project: Project, run_cli, option: str, value: str):
    res = run_cli("--db", "postgresql://nobody@127.0.0.1:1/none", "deploy", option, value)
    assert res.returncode == 2
    assert "is not a number of seconds" in res.stderr


def test_cli_deploy_retries_then_gives_up_with_one_line(empty_db: str, project: Project, run_cli):
    table_t_then_add_z(project)
    plan = str(project.plan)
    assert run_cli("--db", empty_db, "--plan", plan, "deploy", "--to", "t").returncode == 0
    with psycopg.connect(empty_db) as reader:
        reader.execute("select count(*) from t")
        pid = reader.info.backend_pid
        res = run_cli("--db", empty_db, "--plan", plan, "deploy", "--ddl-lock-timeout", "0.1",
                      "--retry-for", "1")
    assert res.returncode == 1
    output = res.stdout + res.stderr
    assert f"lock wait: z attempt 1 gave up after 100 ms (lock_timeout), blocked by pid {pid} " in output
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and 'deploy of "z" failed: gave up after ' in errors[0]
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("select change from sqitch.changes").fetchall() == [("t",)]
