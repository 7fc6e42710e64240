"""Proofs with real processes: concurrent deployers, a deployer killed mid-change, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from support import ROOT, Project, cli_env


def slow_project(project: Project, seconds: float) -> None:
    project.add("a", "create table a (id int);", "drop table a;", "select id from a where false;")
    project.add("slow", f"create table slow (id int);\nselect pg_sleep({seconds});\n"
                "insert into slow values (1);\n",
                "drop table slow;", "select 1 / count(*) from slow;", deps="a", minute=1)
    project.add("c", "create table c (id int);", "drop table c;", "select id from c where false;",
                deps="slow", minute=2)


def registry_shape(url: str) -> dict:
    with psycopg.connect(url) as conn:
        return {
            "changes": conn.execute(
                "select change_id, change, script_hash from sqitch.changes order by committed_at"
            ).fetchall(),
            "events": conn.execute(
                "select event, change from sqitch.events order by committed_at"
            ).fetchall(),
            "deps": conn.execute(
                "select change_id, type, dependency, dependency_id from sqitch.dependencies order by 1, 3"
            ).fetchall(),
        }


def _default_sigint() -> None:
    # A child inherits an ignored SIGINT across exec: if anything in this pytest process (a server
    # thread of another test, say) ever ignored it, Ctrl-C would not reach the deployer at all.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_deploy(project: Project, url: str, *extra: str, after: tuple[str, ...] = ()) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lokdarpan_db.cli", "--db", url, "--plan", str(project.plan),
         *extra, "deploy", *after],
        cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_default_sigint,
    )


def wait_until_running(url: str, fragment: str, timeout: float = 30) -> None:
    """Block until a statement containing `fragment` runs in another session."""
    with psycopg.connect(url, autocommit=True) as watch:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if watch.execute(
                "select count(*) from pg_stat_activity where query like %s and pid <> pg_backend_pid()",
                (f"%{fragment}%",),
            ).fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail(f"no statement containing {fragment!r} started within {timeout} s")


def test_two_deploys_started_together_one_waits_both_succeed(databases, project: Project):
    slow_project(project, 3)
    url = databases.create("conc")
    single = databases.create("single")
    try:
        first, second = start_deploy(project, url), start_deploy(project, url)
        outs = [p.communicate(timeout=60) for p in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], outs
        stderr = "".join(e for _, e in outs)
        assert "waiting for another deploy (pid" in stderr
        assert sum("nothing to deploy" in o for o, _ in outs) == 1
        solo = start_deploy(project, single)
        solo.communicate(timeout=60)
        assert solo.returncode == 0
        ours, theirs = registry_shape(url), registry_shape(single)
        assert ours["changes"] == theirs["changes"]
        assert ours["events"] == theirs["events"] == [("deploy", "a"), ("deploy", "slow"), ("deploy", "c")]
        assert ours["deps"] == theirs["deps"]
    finally:
        databases.drop(url)
        databases.drop(single)


def test_lock_wait_gives_up_with_a_clear_error(databases, project: Project):
    slow_project(project, 4)
    url = databases.create("lockto")
    try:
        holder = start_deploy(project, url)
        wait_until_running(url, "pg_sleep(4)")
        waiter = start_deploy(project, url, "--lock-timeout", "1")
        _, err = waiter.communicate(timeout=30)
        assert waiter.returncode == 1
        assert "gave up after 1 s waiting for another deploy (pid" in err
        assert "Traceback" not in err
        holder.communicate(timeout=60)
        assert holder.returncode == 0
    finally:
        databases.drop(url)


def test_deploy_killed_mid_change_reruns_cleanly(databases, project: Project):
    slow_project(project, 3)
    url = databases.create("kill")
    try:
        proc = start_deploy(project, url)
        wait_until_running(url, "pg_sleep(3)")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        with psycopg.connect(url) as conn:  # nothing half-applied: "slow" left no trace
            assert conn.execute("select to_regclass('slow')").fetchone()[0] is None
            assert conn.execute("select change from sqitch.changes").fetchall() == [("a",)]
        rerun = start_deploy(project, url, "--lock-timeout", "30")
        _, err = rerun.communicate(timeout=90)
        assert rerun.returncode == 0, err
        with psycopg.connect(url) as conn:
            assert [r[0] for r in conn.execute(
                "select change from sqitch.changes order by committed_at")] == ["a", "slow", "c"]
            assert conn.execute("select count(*) from slow").fetchone()[0] == 1
        verify = subprocess.run(
            [sys.executable, "-m", "lokdarpan_db.cli", "--db", url, "--plan", str(project.plan), "verify"],
            cwd=ROOT, env=cli_env(), capture_output=True, text=True, check=False)
        assert verify.returncode == 0, verify.stderr
    finally:
        databases.drop(url)


# --------------------------------------------------------------------------- bad input
def assert_one_clean_line(res: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == code, res.stderr
    assert "Traceback" not in res.stderr
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_unknown_target_is_exit_2(run_cli, empty_db):
    res = run_cli("--db", empty_db, "deploy", "--to", "no_such_change")
    assert_one_clean_line(res, 2, 'unknown change "no_such_change"')


def test_unreachable_database_is_exit_3(run_cli):
    res = run_cli("--db", "postgresql://postgres@127.0.0.1:1/nowhere", "status")
    assert_one_clean_line(res, 3, "cannot connect to nowhere at 127.0.0.1:1")


def test_malformed_plan_line_names_file_and_line(run_cli, empty_db, project: Project):
    project.add("a", "select 1;", "select 1;")
    with project.plan.open("a") as fh:
        fh.write("b [a 2026-01-01T00:01:00Z broken\n")
    res = run_cli("--db", empty_db, "--plan", str(project.plan), "deploy")
    assert_one_clean_line(res, 2, f"{project.plan}:6: malformed plan line")


def test_impossible_date_in_the_plan_is_exit_2_with_file_and_line(run_cli, empty_db, project: Project):
    project.add("a", "select 1;", "select 1;")
    project.append("b 2012-02-30T00:00:00Z Test Planner <planner@example.org>")
    res = run_cli("--db", empty_db, "--plan", str(project.plan), "deploy")
    assert_one_clean_line(res, 2, f"{project.plan}:6: invalid timestamp 2012-02-30T00:00:00Z",
                          "February 2012 has no day 30")


def test_missing_script_is_exit_2_and_deploys_nothing(run_cli, empty_db, project: Project):
    project.add("a", "create table a ();", "drop table a;")
    (project.root / "db" / "deploy" / "a.sql").unlink()
    res = run_cli("--db", empty_db, "--plan", str(project.plan), "deploy")
    assert_one_clean_line(res, 2, "script not found", "deploy/a.sql")


@pytest.mark.parametrize(("deps", "fragment"), [
    ("ghost", 'requires "ghost", which is not in the plan'),
    ("b", 'requires "b", which comes later in the plan'),
], ids=["dependency-on-missing-change", "cyclic-dependencies"])
def test_bad_dependencies_are_exit_2(run_cli, empty_db, project: Project, deps: str, fragment: str):
    project.add("a", "select 1;", "select 1;", deps=deps)
    project.add("b", "select 2;", "select 2;", deps="a", minute=1)
    res = run_cli("--db", empty_db, "--plan", str(project.plan), "deploy")
    assert_one_clean_line(res, 2, fragment)


def test_failed_change_is_exit_1_naming_change_script_line_and_message(run_cli, empty_db,
                                                                       project: Project):
    project.add("a", "create table a (id int);", "drop table a;")
    project.add("b", "create table b (id int);\nselect * from no_such_table;\n", "drop table b;",
                deps="a", minute=1)
    res = run_cli("--db", empty_db, "--plan", str(project.plan), "deploy")
    assert res.returncode == 1
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith('error: deploy of "b" failed: ')
    assert "deploy/b.sql:2" in last and 'relation "no_such_table" does not exist' in last
    assert "[42P01]" in last


def test_bad_mode_and_ambiguous_target_are_exit_2(run_cli, empty_db, project: Project):
    project.add("a", "select 1;", "select 1;")
    project.tag("v1")
    project.rework("a", "v1", "select 2;", "select 1;", minute=1)
    res = run_cli("--db", empty_db, "--plan", str(project.plan), "deploy", "--mode", "some")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    res = run_cli("--db", empty_db, "--plan", str(project.plan), "deploy", "--to", "a")
    assert_one_clean_line(res, 2, 'change "a" is ambiguous', "a@HEAD, a@v1")


def test_revert_without_yes_on_a_pipe_refuses(run_cli, empty_db, project: Project):
    project.add("a", "create table a ();", "drop table a;")
    assert run_cli("--db", empty_db, "--plan", str(project.plan), "deploy").returncode == 0
    res = run_cli("--db", empty_db, "--plan", str(project.plan), "revert")
    assert_one_clean_line(res, 2, "revert needs confirmation; rerun with -y")
    res = run_cli("--db", empty_db, "--plan", str(project.plan), "revert", "-y")
    assert res.returncode == 0 and "reverted 1 change(s)" in res.stdout


def test_plan_and_dry_run_print_sql_and_touch_nothing(run_cli, empty_db, project: Project):
    project.add("a", "create table a (id int);", "drop table a;")
    for args in (("plan",), ("deploy", "--dry-run")):
        res = run_cli("--db", empty_db, "--plan", str(project.plan), *args)
        assert res.returncode == 0, res.stderr
        assert "create table a (id int);" in res.stdout
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("select to_regnamespace('sqitch')").fetchone()[0] is None


@pytest.mark.parametrize(("mode", "undone"), [("all", [("revert", "a")]), ("change", [])])
def test_ctrl_c_mid_change_says_interrupted_exits_130_records_fail_and_undoes_as_mode_says(
        databases, project: Project, mode: str, undone: list[tuple[str, str]]):
    """As Sqitch (issue 20): the interrupted change fails, and --mode says what else is undone."""
    slow_project(project, 30)
    url = databases.create("sigint")
    try:
        proc = start_deploy(project, url, after=("--mode", mode))
        wait_until_running(url, "pg_sleep(30)")
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert time.monotonic() - started < 10  # the running statement was cancelled, not awaited
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "Aborted" not in err
        assert [ln for ln in err.splitlines() if ln.strip()][-1] == "interrupted"
        with psycopg.connect(url) as conn:
            assert conn.execute("select to_regclass('slow')").fetchone()[0] is None  # rolled back
            assert conn.execute("select event, change from sqitch.events order by committed_at"
                                ).fetchall() == [("deploy", "a"), ("fail", "slow"), *undone]
            assert conn.execute("select to_regclass('a') is null").fetchone()[0] is bool(undone)
            assert conn.execute("select count(*) from pg_locks where locktype = 'advisory'"
                                ).fetchone()[0] == 0  # the lock went with the session
    finally:
        databases.drop(url)
