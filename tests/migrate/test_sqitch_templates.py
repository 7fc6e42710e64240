"""Issue 20 (Deployer II), side by side with Debian's real `sqitch` where Sqitch can run the case:
scripts written from Sqitch's own templates (`sqitch add`), a fresh session per script, reworked
and missing verify scripts, a byte-order mark, `CREATE RULE … DO ALSO (…; …)`, Ctrl-C, a server
restart mid-deploy and a crash at the registry write; and issue 19's refusal of lock timeouts
that are not finite.

Each comparison deploys the same project with `sqitch` into one database and with `lokdarpan-db`
into another (see test_sqitch_behaviour.py) and compares the registry and the tables.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from support import ROOT, TEST_COMMITTER, Project, cli_env
from test_processes import assert_one_clean_line, slow_project, wait_until_running
from test_sqitch_behaviour import ours, registry, sqitch
from test_sqitch_behaviour import two_dbs as two_dbs  # the fixture

from lokdarpan_db.devtools.pgtap import libpq_env
from lokdarpan_db.errors import BadInputError
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate import scripts
from lokdarpan_db.migrate.engine import Engine
from lokdarpan_db.migrate.sqlsplit import split, transaction_control
from lokdarpan_db.server.cluster import throwaway

needs_sqitch = pytest.mark.skipif(shutil.which("sqitch") is None, reason="sqitch not installed")
TEMPLATES = Path("/etc/sqitch/templates")


def sqitch_add(project: Project, name: str, *args: str) -> None:
    """`sqitch add NAME`: the plan line and the three scripts from Sqitch's own templates."""
    if not project.plan.exists():
        project.write_plan("")
    res = subprocess.run(["sqitch", "add", name, "-n", name, *args], cwd=project.root, env=cli_env(),
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def fill(project: Project, name: str, deploy: str, revert: str, verify: str) -> None:
    """Write SQL where Sqitch's templates say `-- XXX Add … here.`, keeping BEGIN/COMMIT/ROLLBACK."""
    for kind, sql in (("deploy", deploy), ("revert", revert), ("verify", verify)):
        path = project.root / "db" / kind / f"{name}.sql"
        text = path.read_text()
        marker = re.search(r"^-- XXX Add (DDLs|verifications) here\.$", text, flags=re.M)
        assert marker, text
        path.write_text(text[: marker.start()] + sql + text[marker.end():])


def template_project(project: Project, verify_t1: str = "SELECT id FROM t1 WHERE FALSE;") -> None:
    sqitch_add(project, "t1")
    fill(project, "t1", "CREATE TABLE t1 (id int PRIMARY KEY);", "DROP TABLE t1;", verify_t1)
    sqitch_add(project, "t2", "-r", "t1")
    fill(project, "t2", "CREATE TABLE t2 (id int REFERENCES t1 (id) DEFERRABLE);\nINSERT INTO t1 VALUES (1);",
         "DROP TABLE t2;\nDELETE FROM t1;", "SELECT 1 / count(*) FROM t1;")


def tables(url: str, schema: str = "public") -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "select tablename from pg_tables where schemaname = %s order by 1", (schema,))]


# ------------------------------------------------------------------ 1. Sqitch's templates
@needs_sqitch
def test_sqitch_add_writes_the_templates_this_test_fills(project: Project):
    sqitch_add(project, "t1")
    db = project.root / "db"
    assert (db / "deploy" / "t1.sql").read_text().endswith("BEGIN;\n\n-- XXX Add DDLs here.\n\nCOMMIT;\n")
    assert (db / "revert" / "t1.sql").read_text().endswith("BEGIN;\n\n-- XXX Add DDLs here.\n\nCOMMIT;\n")
    assert (db / "verify" / "t1.sql").read_text().endswith(
        "BEGIN;\n\n-- XXX Add verifications here.\n\nROLLBACK;\n")
    assert (TEMPLATES / "verify" / "pg.tmpl").read_text().rstrip().endswith("ROLLBACK;")


@needs_sqitch
@pytest.mark.parametrize("verify", [True, False], ids=["with-verify", "without-verify"])
def test_template_scripts_deploy_verify_and_revert_as_sqitch(two_dbs, project: Project, run_cli,
                                                             verify: bool):
    template_project(project)
    theirs, mine = two_dbs
    flag = ["--verify"] if verify else []
    a = sqitch(project, theirs, "deploy", *flag)
    assert a.returncode == 0, a.stdout + a.stderr
    b = ours(run_cli, project, mine, "deploy", *flag)
    assert b.returncode == 0, b.stderr
    assert "deployed 2 change(s)" in b.stdout
    assert registry(theirs) == registry(mine)
    assert registry(mine)["tables"] == [("t1",), ("t2",)]  # there, and recorded
    assert [r[1] for r in registry(mine)["changes"]] == ["t1", "t2"]
    assert sqitch(project, mine, "verify").returncode == 0
    assert ours(run_cli, project, theirs, "verify").returncode == 0
    assert ours(run_cli, project, mine, "check").returncode == 0
    a = sqitch(project, theirs, "revert", "-y")
    assert a.returncode == 0, a.stdout + a.stderr
    b = ours(run_cli, project, mine, "revert", "-y")
    assert b.returncode == 0, b.stderr
    assert registry(theirs) == registry(mine)
    assert registry(mine)["tables"] == []


@needs_sqitch
def test_template_verify_that_fails_leaves_the_change_neither_applied_nor_recorded(two_dbs, project: Project,
                                                                                   run_cli):
    template_project(project, verify_t1="SELECT no_such_column FROM t1 WHERE FALSE;")
    theirs, mine = two_dbs
    a = sqitch(project, theirs, "deploy", "--verify")
    b = ours(run_cli, project, mine, "deploy", "--verify")
    assert a.returncode != 0 and b.returncode == 1, a.stdout + a.stderr + b.stderr
    assert 'verify of "t1" failed' in b.stderr and "no_such_column" in b.stderr
    assert registry(theirs) == registry(mine)
    assert registry(mine)["changes"] == [] and registry(mine)["tables"] == []


BAD_TRANSACTION_CONTROL = [
    ("commit-in-the-middle", "deploy", "BEGIN;\nCREATE TABLE x (id int);\nCOMMIT;\nCREATE TABLE y ();\n", 3),
    ("begin-without-commit", "deploy", "BEGIN;\nCREATE TABLE x (id int);\n", 1),
    ("deploy-that-rolls-itself-back", "deploy", "BEGIN;\nCREATE TABLE x (id int);\nROLLBACK;\n", 3),
    ("revert-that-rolls-itself-back", "revert", "begin;\ndrop table x;\nrollback;\n", 3),
    ("begin-with-modes", "deploy", "BEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE x ();\nCOMMIT;\n", 1),
    ("commit-and-chain", "deploy", "CREATE TABLE x ();\nCOMMIT AND CHAIN;\nCREATE TABLE y ();\n", 2),
    ("second-transaction", "deploy", "BEGIN;\nCREATE TABLE x ();\nEND;\nSTART TRANSACTION;\nCOMMIT;\n", 3),
    ("prepare-transaction", "deploy", "CREATE TABLE x ();\nPREPARE TRANSACTION 'x';\n", 2),
    ("verify-commit-in-the-middle", "verify", "BEGIN;\nCOMMIT;\nSELECT 1;\nROLLBACK;\n", 2),
    ("no-transaction-script-with-begin", "deploy",
     "-- lokdarpan:no-transaction\nBEGIN;\nCREATE TABLE x ();\nCOMMIT;\n", 2),
]


@pytest.mark.parametrize(("kind", "script", "line"), [c[1:] for c in BAD_TRANSACTION_CONTROL],
                         ids=[c[0] for c in BAD_TRANSACTION_CONTROL])
def test_other_transaction_control_is_refused_before_anything_runs(empty_db: str, project: Project, run_cli,
                                                                   kind: str, script: str, line: int):
    project.add("a", "create table a ();", "drop table a;")
    project.add("x", "create table x (id int);", "drop table x;", minute=1)
    (project.root / "db" / kind / "x.sql").write_text(script)
    res = ours(run_cli, project, empty_db, "deploy", "--verify")
    assert_one_clean_line(res, 2, f"db/{kind}/x.sql:{line}: ")
    with psycopg.connect(empty_db) as conn:  # nothing ran, nothing was recorded
        assert conn.execute("select count(*) from sqitch.events").fetchone()[0] == 0
        assert conn.execute("select to_regclass('a'), to_regclass('x')").fetchone() == (None, None)


def test_savepoints_and_sqitch_template_variants_are_accepted():
    ok = {"begin": "begin", "BEGIN WORK": "begin", "start transaction": "begin", "commit": "commit",
          "END TRANSACTION": "commit", "commit and no chain": "commit", "ROLLBACK": "rollback",
          "abort work": "rollback", "rollback to savepoint s": None, "ROLLBACK TRANSACTION TO s": None,
          "savepoint s": None, "release savepoint s": None, "begin isolation level serializable": "other",
          "commit prepared 'x'": "other", "rollback and chain": "other", "prepare transaction 'x'": "other",
          "prepare q as select 1": None, "-- a comment\nCOMMIT": "commit", "select 'begin'": None}
    assert {sql: transaction_control(sql) for sql in ok} == ok


def test_a_statement_that_ends_the_transaction_anyway_is_an_error(empty_db: str, tmp_path: Path):
    """The last line of defence: whatever slips past prepare() and ends the engine's transaction
    is an error, so the caller rolls back and records nothing."""
    path = tmp_path / "x.sql"
    path.write_text("select 1;\n")
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(scripts.ScriptError, match="ended the engine's transaction"), conn.transaction():
            scripts.run(conn, path, [*split("create table x ();\ncommit;\n")])
        assert conn.execute("select to_regclass('x')").fetchone()[0] is not None  # why it must fail


# ------------------------------------------------------------------ 2. a fresh session per script
def leaky_project(project: Project) -> None:
    """Each script leaves something behind in its session that Sqitch's fresh psql never sees."""
    project.add("f1", "create schema app;\nset search_path = app;\ncreate table f1 (id int);\n",
                "set search_path = app;\ndrop table f1;\ndrop schema app;\n",
                "select id from app.f1 where false;")
    project.add("f2", "create table f2 (id int);\ncreate temp table scratch (id int);\n",
                "drop table f2;\nset role pg_monitor;\n", "select id from public.f2 where false;", minute=1)
    project.add("f3", "create temp table scratch (id int);\ncreate table f3 (id int);\n"
                "set role pg_monitor;\n",
                "drop table f3;\n", "select id from f3 where false;", minute=2)
    timeout, sleep = "set statement_timeout = '1ms';\n", "select pg_sleep(0.05);\n"
    project.add("f4", "create table f4 (id int);\n" + timeout, "drop table f4;\n" + timeout,
                sleep + "select id from f4 where false;", minute=3)
    project.add("f5", sleep + "create table f5 (id int);\n", sleep + "drop table f5;\n",
                sleep + "select id from f5 where false;", minute=4)


@needs_sqitch
@pytest.mark.parametrize("verify", [True, False], ids=["with-verify", "without-verify"])
def test_each_script_starts_from_the_connections_defaults_as_in_sqitch(two_dbs, project: Project, run_cli,
                                                                      verify: bool):
    leaky_project(project)
    theirs, mine = two_dbs
    flag = ["--verify"] if verify else []
    a = sqitch(project, theirs, "deploy", *flag)
    assert a.returncode == 0, a.stdout + a.stderr
    b = ours(run_cli, project, mine, "deploy", *flag)
    assert b.returncode == 0, b.stderr
    assert registry(theirs) == registry(mine)
    assert tables(mine) == ["f2", "f3", "f4", "f5"] and tables(mine, "app") == ["f1"]
    assert ours(run_cli, project, mine, "verify").returncode == 0
    a = sqitch(project, theirs, "revert", "-y")
    assert a.returncode == 0, a.stdout + a.stderr
    b = ours(run_cli, project, mine, "revert", "-y")
    assert b.returncode == 0, b.stderr
    assert registry(theirs) == registry(mine)
    assert tables(mine) == [] and tables(mine, "app") == []


def test_a_deploy_with_a_password_in_the_url_opens_its_script_sessions_with_it(databases, project: Project):
    """The script sessions are opened with the engine connection's own parameters, password
    included (a login role that needs one, over TCP)."""
    url = databases.create("pw")
    role = f"deployer_{os.getpid()}"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"create role {role} login password 'S3cret-pw'")
            conn.execute(f"grant create on database {conn.info.dbname} to {role}")
            conn.execute(f"create schema owned authorization {role}")
            info = conn.info
            port, dbname = info.port, info.dbname
        project.add("a", "create table owned.a (id int);", "drop table owned.a;")
        dsn = f"host=127.0.0.1 port={port} dbname={dbname} user={role} password=S3cret-pw"
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                assert Engine(conn, plan_mod.load(project.plan), TEST_COMMITTER).deploy(verify=True) == ["a"]
        except psycopg.OperationalError as exc:  # pragma: no cover - a server without TCP
            pytest.skip(f"no TCP login: {exc}")
    finally:
        databases.drop(url)
        with psycopg.connect(databases.admin_url, autocommit=True) as conn:
            conn.execute(f"drop role if exists {role}")


# ------------------------------------------------------------ 3, 4. verify after a rework; missing verify
def reworked_function_project(project: Project) -> None:
    project.add("fn", "create function fn() returns int language sql as $$ select 1 $$;",
                "drop function fn();", "select 1 / (fn() = 1)::int;")
    project.tag("v1", minute=1)
    project.rework("fn", "v1", "create or replace function fn() returns int language sql as $$ select 2 $$;",
                   "create or replace function fn() returns int language sql as $$ select 1 $$;",
                   "select 1 / (fn() = 2)::int;", minute=2)


@needs_sqitch
def test_verify_and_check_skip_the_reworked_instance_as_sqitch(empty_db: str, project: Project, run_cli):
    reworked_function_project(project)
    assert ours(run_cli, project, empty_db, "deploy", "--verify").returncode == 0
    a = sqitch(project, empty_db, "verify")
    assert a.returncode == 0 and "Verify successful" in a.stdout, a.stdout + a.stderr
    b = ours(run_cli, project, empty_db, "verify")
    assert b.returncode == 0, b.stdout + b.stderr
    assert "fn @v1 (reworked later: its verify is not run" in b.stdout
    c = ours(run_cli, project, empty_db, "check")
    assert c.returncode == 0, c.stdout + c.stderr
    assert "no drift" in c.stdout


@needs_sqitch
def test_a_missing_verify_script_is_a_warning_as_in_sqitch(empty_db: str, project: Project, run_cli):
    project.add("a", "create table a (id int);", "drop table a;", "select id from a where false;")
    project.add("b", "create table b (id int);", "drop table b;", "select id from b where false;", minute=1)
    project.add("c", "create table c (id int);", "drop table c;", "select 1/0;", minute=2)
    assert ours(run_cli, project, empty_db, "deploy").returncode == 0
    (project.root / "db" / "verify" / "b.sql").unlink()
    (project.root / "db" / "verify" / "c.sql").write_text("select id from c where false;\n")
    a = sqitch(project, empty_db, "verify")
    b = ours(run_cli, project, empty_db, "verify")
    assert a.returncode == b.returncode == 0, a.stdout + a.stderr + b.stdout + b.stderr
    assert "verify/b.sql does not exist" in a.stderr
    assert "warning: verify script" in b.stderr and "verify/b.sql does not exist" in b.stderr
    assert "b (not verified:" in b.stdout and "ok   c" in b.stdout  # it carried on
    (project.root / "db" / "verify" / "c.sql").write_text("select 1/0;\n")
    a = sqitch(project, empty_db, "verify")
    b = ours(run_cli, project, empty_db, "verify")
    assert a.returncode != 0 and b.returncode == 1  # a failure after the missing one is still found
    assert "FAIL c" in b.stdout
    c = ours(run_cli, project, empty_db, "check")  # check lists it among missing scripts, exit 1
    assert c.returncode == 1, c.stderr
    assert "missing" in c.stdout and "verify/b.sql" in c.stdout and "schema c:" in c.stdout


# ------------------------------------------------------------------ 5, 9. what psql reads
@needs_sqitch
def test_bom_and_semicolons_inside_parentheses_as_sqitch(two_dbs, project: Project, run_cli):
    project.add("bom", "\ufeffcreate table bom (id int);\n", "\ufeffdrop table bom;\n",
                "\ufeffselect id from bom where false;\n")
    project.add("rule", """
        create table log (n int);
        create rule bom_log as on insert to bom do also (
            insert into log values (1);
            insert into log values (2)
        );
        insert into bom values (1);
        """, "drop table log;\n", "select 1 / (count(*) = 2)::int from log;", minute=1)
    assert (project.root / "db" / "deploy" / "bom.sql").read_bytes().startswith(b"\xef\xbb\xbf")
    theirs, mine = two_dbs
    a = sqitch(project, theirs, "deploy", "--verify")
    assert a.returncode == 0, a.stdout + a.stderr
    b = ours(run_cli, project, mine, "deploy", "--verify")
    assert b.returncode == 0, b.stderr
    assert registry(theirs) == registry(mine)
    with psycopg.connect(mine) as conn:
        assert conn.execute("select array_agg(n order by n) from log").fetchone()[0] == [1, 2]


def test_a_bom_before_the_no_transaction_marker_keeps_the_marker(empty_db: str, project: Project):
    marker = "\ufeff-- lokdarpan:no-transaction\n"
    project.add("t", "create table t (id int);", "drop table t;")
    project.add("t_idx", marker + "create index concurrently if not exists t_id on t (id);\n",
                marker + "drop index concurrently if exists t_id;\n", minute=1)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        engine = Engine(conn, plan_mod.load(project.plan), TEST_COMMITTER)
        assert engine.deploy() == ["t", "t_idx"]
        assert engine.revert() == ["t_idx", "t"]


def test_split_keeps_a_rule_body_and_skips_a_bom():
    stmts = split("\ufeffcreate rule r as on insert to t do also (insert into a values (1); "
                  "insert into b values (';'));\nselect (1);\n")
    assert [s.line for s in stmts] == [1, 2]
    assert stmts[0].sql.startswith("create rule r") and stmts[0].sql.endswith("values (';'))")
    assert stmts[1].sql == "select (1)"


# ------------------------------------------------------------------ 7. Ctrl-C
def _new_group() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setpgrp()  # the terminal's Ctrl-C reaches the whole foreground group: sqitch and its psql


def ctrl_c(args: list[str], cwd: Path, env: dict[str, str], url: str) -> subprocess.CompletedProcess:
    """Run a deploy, and press Ctrl-C (SIGINT to its process group) while `slow` sleeps."""
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_new_group)
    try:
        wait_until_running(url, "pg_sleep(30)")
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


@needs_sqitch
def test_ctrl_c_records_the_failure_and_undoes_the_run_as_sqitch(two_dbs, project: Project):
    slow_project(project, 30)
    theirs, mine = two_dbs
    a = ctrl_c(["sqitch", "deploy", f"db:pg:{conninfo_to_dict(theirs)['dbname']}"], project.root,
               cli_env(libpq_env(theirs)), theirs)
    b = ctrl_c([sys.executable, "-m", "lokdarpan_db.cli", "--db", mine, "--plan", str(project.plan),
                "deploy"], ROOT, cli_env(), mine)
    assert a.returncode != 0, a.stdout + a.stderr
    assert b.returncode == 130, b.stderr
    assert "Traceback" not in b.stderr
    lines = [ln for ln in b.stderr.splitlines() if ln.strip()]
    assert lines[-1] == "interrupted"
    assert 'deploy of "slow" was interrupted; --mode all reverted what this run had deployed (a)' in b.stderr
    theirs_now, mine_now = registry(theirs), registry(mine)
    # psql ran slow.sql outside a transaction, so under Sqitch its first statement stays
    # (`create table slow`); ours rolled the whole change back.
    assert theirs_now.pop("tables") == [("slow",)] and mine_now.pop("tables") == []
    assert theirs_now == mine_now
    assert [e[0::2] for e in mine_now["events"]] == [("deploy", "a"), ("fail", "slow"), ("revert", "a")]


# ------------------------------------------------ 8. a server restart; a crash at the registry write
@pytest.mark.skipif(os.environ.get("LOKDARPAN_TEST_DSN") is not None, reason="restarts a server of its own")
def test_a_server_restart_mid_deploy_says_a_rerun_finishes(project: Project):
    slow_project(project, 30)
    with throwaway(prefix="lokdarpan-restart-") as cluster:
        url = cluster.url()
        proc = subprocess.Popen([sys.executable, "-m", "lokdarpan_db.cli", "--db", url, "--plan",
                                 str(project.plan), "deploy"], cwd=ROOT, env=cli_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until_running(url, "pg_sleep(30)")
            restart = threading.Thread(target=lambda: (cluster.stop(), cluster.start()))
            restart.start()
            _, err = proc.communicate(timeout=60)
            restart.join(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("+ ", "waiting"))]
        assert proc.returncode == 1, err
        assert len(lines) == 1, err
        assert lines[0].startswith('error: deploy of "slow" failed: ')
        assert ("the connection to the server was lost, so --mode all did not revert what this run "
                "deployed (a); no change is half-applied or half-recorded: run deploy again to finish"
                ) in lines[0]
        assert "manual repair" not in err
        with psycopg.connect(url) as conn:
            assert [r[0] for r in conn.execute("select change from sqitch.changes")] == ["a"]
            assert conn.execute("select to_regclass('slow')").fetchone()[0] is None
        slow = project.root / "db" / "deploy" / "slow.sql"
        slow.write_text(slow.read_text().replace("pg_sleep(30)", "pg_sleep(0)"))
        rerun = subprocess.run([sys.executable, "-m", "lokdarpan_db.cli", "--db", url, "--plan",
                                str(project.plan), "deploy", "--verify"], cwd=ROOT, env=cli_env(),
                               capture_output=True, text=True, timeout=120, check=False)
        assert rerun.returncode == 0, rerun.stderr


CRASH_AT_REGISTRY_WRITE = """
create function sqitch.crash_on_b() returns trigger language plpgsql as $$
begin
    if new.change = 'b' then
        perform pg_terminate_backend(pg_backend_pid());
    end if;
    return new;
end $$;
create trigger crash_on_b before insert on sqitch.changes for each row execute function sqitch.crash_on_b();
"""


def test_a_crash_at_the_registry_write_is_one_line_and_records_nothing(empty_db: str, project: Project,
                                                                       run_cli):
    project.add("a", "create table a (id int);", "drop table a;")
    project.add("b", "create table b (id int);", "drop table b;", minute=1)
    assert ours(run_cli, project, empty_db, "deploy", "--to", "a").returncode == 0
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute(CRASH_AT_REGISTRY_WRITE)
    res = ours(run_cli, project, empty_db, "deploy")
    assert_one_clean_line(res, 1, 'deploy of "b" failed: terminating connection due to administrator command')
    with psycopg.connect(empty_db, autocommit=True) as conn:
        assert conn.execute("select to_regclass('b')").fetchone()[0] is None
        assert [r[0] for r in conn.execute("select change from sqitch.changes")] == ["a"]
        assert conn.execute("select event, change from sqitch.events order by committed_at").fetchall()[-1] \
            == ("fail", "b")
        conn.execute("drop trigger crash_on_b on sqitch.changes; drop function sqitch.crash_on_b()")
    assert ours(run_cli, project, empty_db, "deploy").returncode == 0


# ------------------------------------------------------------------ issue 19: lock timeouts
BAD_TIMEOUTS = ["nan", "inf", "-inf", "1e400", "-1", "1e9"]


@pytest.mark.parametrize("value", BAD_TIMEOUTS)
@pytest.mark.parametrize("where", ["before-the-verb", "after-the-verb", "environment"])
def test_a_lock_timeout_that_is_not_a_finite_number_of_seconds_is_refused(run_cli, project: Project,
                                                                          value: str, where: str):
    project.add("a", "select 1;", "select 1;")
    db = "postgresql://nobody@127.0.0.1:1/nowhere"  # refused before anything connects
    args: dict[str, list[str]] = {"before-the-verb": ["--lock-timeout", value, "deploy"],
                                  "after-the-verb": ["deploy", "--lock-timeout", value],
                                  "environment": ["deploy"]}
    env = {"LOKDARPAN_LOCK_TIMEOUT": value} if where == "environment" else None
    res = run_cli("--db", db, "--plan", str(project.plan), *args[where], env=env)
    assert_one_clean_line(res, 2, "--lock-timeout", "from 0 to 86400")


def test_the_engine_refuses_a_lock_timeout_that_would_wait_forever(empty_db: str, project: Project):
    project.add("a", "select 1;", "select 1;")
    plan = plan_mod.load(project.plan)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        for value in (float("nan"), float("inf"), -1.0, 1e300):
            with pytest.raises(BadInputError, match="lock timeout"):
                Engine(conn, plan, TEST_COMMITTER, lock_timeout=value)


@pytest.mark.parametrize(("args", "fragment"), [
    (["report", "slow-queries", "--min-mean-ms", "nan"], "nan is not a number of milliseconds from 0"),
    (["report", "slow-queries", "--min-mean-ms", "1e400"], "1e400 is not a number of milliseconds"),
    (["log", "-n", "-3"], "-3 is not in the range"),
], ids=["min-mean-ms-nan", "min-mean-ms-1e400", "log-limit-negative"])
def test_other_number_options_refuse_what_no_option_means(run_cli, args: list[str], fragment: str):
    res = run_cli("--db", "postgresql://nobody@127.0.0.1:1/nowhere", *args)
    assert_one_clean_line(res, 2, fragment)
