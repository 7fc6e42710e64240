"""The behaviours of issue 7 side by side with Debian's real `sqitch` on real databases: reworked
changes, `--to` targets, failure modes, non-transactional changes with --verify, the deploying
person's identity, and the two tools handing one database back and forth.

Each comparison deploys the same project with `sqitch` into one database and with `lokdarpan-db`
into another, then compares what a DBA sees: the registry (ids, script hashes, dependencies, tags,
events, committer) and the public tables. Sqitch runs each script with psql, outside any
transaction; the scripts here are written so that both tools leave the same schema.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from support import Databases, Project, cli_env
from test_failure_modes import NO_TX, five_changes_the_last_failing
from test_rework import rework_project

from lokdarpan_db.devtools.pgtap import libpq_env

pytestmark = pytest.mark.skipif(shutil.which("sqitch") is None, reason="sqitch not installed")


def sqitch(project: Project, url: str, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess:
    full = cli_env(libpq_env(url)) if env is None else {**env, **libpq_env(url)}
    target = f"db:pg:{conninfo_to_dict(url)['dbname']}"
    return subprocess.run(["sqitch", *args, target], cwd=project.root, env=full, capture_output=True,
                          text=True, timeout=300, check=False)


def ours(run_cli: Callable[..., subprocess.CompletedProcess], project: Project, url: str, *args: str,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_cli("--db", url, "--plan", str(project.plan), *args, cwd=project.root, env=env)


def registry(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        def rows(sql: str) -> list[tuple]:
            return conn.execute(sql).fetchall()

        return {
            "changes": rows("select change_id, change, script_hash, committer_name, committer_email"
                            " from sqitch.changes order by committed_at"),
            "dependencies": rows("select change_id, type, dependency, dependency_id"
                                 " from sqitch.dependencies order by 1, 3"),
            "tags": rows("select tag_id, tag, change_id from sqitch.tags order by committed_at"),
            "events": rows("select event, change_id, change from sqitch.events order by committed_at"),
            "projects": rows("select project, uri from sqitch.projects"),
            "tables": rows("select tablename from pg_tables where schemaname = 'public' order by 1"),
        }


@pytest.fixture()
def two_dbs(databases: Databases):
    """One database for sqitch, one for us."""
    made = [databases.create("sq"), databases.create("us")]
    yield made
    for url in made:
        databases.drop(url)


def slash_rework_project(project: Project) -> None:
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


def marker_project(project: Project) -> None:
    """Sqitch's +/- markers: a `-` line is deployed like any change."""
    project.add("a", "create table a1 ();", "drop table a1;")
    project.tag("v1", minute=1)
    (project.root / "db" / "deploy" / "a@v1.sql").write_text("create table a1 ();\n")
    for kind, sql in (("deploy", "create table a2 ();"), ("revert", "drop table a2;")):
        (project.root / "db" / kind / "a.sql").write_text(sql + "\n")
    (project.root / "db" / "revert" / "a@v1.sql").write_text("drop table a1;\n")
    (project.root / "db" / "verify" / "a@v1.sql").write_text("select 1;\n")
    project.append("-a [a@v1] 2026-01-01T00:02:00Z Test Planner <planner@example.org> # take it back")


@pytest.mark.parametrize("make", [rework_project, slash_rework_project, marker_project],
                         ids=["rework-tag-on-another-change", "rework-slash-name", "plus-minus-markers"])
def test_sqitch_and_we_deploy_reworked_plans_identically(two_dbs, project: Project, run_cli, make):
    make(project)
    theirs, mine = two_dbs
    res = sqitch(project, theirs, "deploy", "--verify")
    assert res.returncode == 0, res.stdout + res.stderr
    res = ours(run_cli, project, mine, "deploy", "--verify")
    assert res.returncode == 0, res.stderr
    a, b = registry(theirs), registry(mine)
    assert [e[0] for e in a["events"]] == ["deploy"] * len(a["changes"])
    assert a == b


def test_one_database_handed_back_and_forth_across_a_rework(empty_db: str, project: Project, run_cli):
    rework_project(project)
    res = sqitch(project, empty_db, "deploy", "--to", "epsilon")
    assert res.returncode == 0, res.stdout + res.stderr
    res = ours(run_cli, project, empty_db, "deploy")  # the reworked gamma [gamma@v3]
    assert res.returncode == 0, res.stderr
    status = sqitch(project, empty_db, "status")
    assert "Nothing to deploy (up-to-date)" in status.stdout, status.stdout + status.stderr
    res = sqitch(project, empty_db, "revert", "-y", "--to", "gamma@v3")
    assert res.returncode == 0, res.stdout + res.stderr
    res = ours(run_cli, project, empty_db, "revert", "-y", "--to", "gamma")  # one instance deployed
    assert res.returncode == 0, res.stderr
    assert "reverted 0 change(s)" in res.stdout or "nothing to revert" in res.stdout
    res = ours(run_cli, project, empty_db, "deploy", "--to", "gamma@HEAD")
    assert res.returncode == 0, res.stderr
    verify = sqitch(project, empty_db, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


# Deploy and revert targets: (target, sqitch's verdict). None = refused (exit 2 both).
DEPLOY_TARGETS = [("gamma", None), ("gamma@HEAD", ["alpha", "gamma", "epsilon", "gamma"]),
                  ("gamma@v3", ["alpha", "gamma"]), ("@HEAD^", ["alpha", "gamma", "epsilon"]),
                  ("@ROOT~", ["alpha", "gamma"]), ("@ROOT^", None), ("gamma^", None), ("nope", None)]


@pytest.mark.parametrize(("target", "expected"), DEPLOY_TARGETS, ids=[t for t, _ in DEPLOY_TARGETS])
def test_deploy_to_targets_as_sqitch(two_dbs, project: Project, run_cli, target: str, expected):
    rework_project(project)
    theirs, mine = two_dbs
    a = sqitch(project, theirs, "deploy", "--to", target)
    b = ours(run_cli, project, mine, "deploy", "--to", target)
    if expected is None:
        assert a.returncode != 0 and b.returncode == 2, a.stdout + a.stderr + b.stderr
        assert len(b.stderr.strip().splitlines()) == 1, b.stderr
        return
    assert a.returncode == 0 and b.returncode == 0, a.stdout + a.stderr + b.stderr
    for url in (theirs, mine):
        assert [r[1] for r in registry(url)["changes"]] == expected


# From a database with everything deployed (or only up to the first gamma), revert --to TARGET.
REVERT_TARGETS = [("gamma", True, None), ("gamma", False, ["alpha", "gamma"]),
                  ("gamma@HEAD", True, ["alpha", "gamma", "epsilon", "gamma"]),
                  ("gamma@v3", True, ["alpha", "gamma"]), ("@HEAD^", True, ["alpha", "gamma", "epsilon"]),
                  ("@ROOT~", True, ["alpha", "gamma"]), ("@ROOT^", True, None), ("epsilon", False, None)]


@pytest.mark.parametrize(("target", "everything", "expected"), REVERT_TARGETS,
                         ids=[f"{t}-{'all' if e else 'first-gamma'}" for t, e, _ in REVERT_TARGETS])
def test_revert_to_targets_as_sqitch(two_dbs, project: Project, run_cli, target: str, everything: bool,
                                     expected):
    rework_project(project)
    theirs, mine = two_dbs
    upto = [] if everything else ["--to", "gamma@v3"]
    for url in (theirs, mine):
        assert ours(run_cli, project, url, "deploy", *upto).returncode == 0
    a = sqitch(project, theirs, "revert", "-y", "--to", target)
    b = ours(run_cli, project, mine, "revert", "-y", "--to", target)
    if expected is None:
        assert a.returncode != 0 and b.returncode == 2, a.stdout + a.stderr + b.stderr
        assert len(b.stderr.strip().splitlines()) == 1, b.stderr
        return
    assert a.returncode == 0 and b.returncode == 0, a.stdout + a.stderr + b.stderr
    for url in (theirs, mine):
        assert [r[1] for r in registry(url)["changes"]] == expected


@pytest.mark.parametrize("mode", ["all", "tag", "change"])
def test_failure_modes_as_sqitch(two_dbs, project: Project, run_cli, mode: str):
    five_changes_the_last_failing(project)
    (project.root / "db" / "deploy" / "e.sql").write_text("select 1/0;\n")  # fails before any effect
    theirs, mine = two_dbs
    for url in (theirs, mine):
        assert ours(run_cli, project, url, "deploy", "--to", "b").returncode == 0
    a = sqitch(project, theirs, "deploy", "--mode", mode)
    b = ours(run_cli, project, mine, "deploy", "--mode", mode)
    assert a.returncode != 0 and b.returncode == 1, a.stdout + a.stderr + b.stderr
    assert registry(theirs) == registry(mine)


def test_default_mode_is_all_as_in_sqitch(two_dbs, project: Project, run_cli):
    five_changes_the_last_failing(project)
    (project.root / "db" / "deploy" / "e.sql").write_text("select 1/0;\n")
    theirs, mine = two_dbs
    assert sqitch(project, theirs, "deploy").returncode != 0
    assert ours(run_cli, project, mine, "deploy").returncode == 1
    assert registry(theirs) == registry(mine)
    assert registry(mine)["tables"] == []


def test_nontransactional_verify_failure_as_sqitch(two_dbs, project: Project, run_cli):
    project.add("t", "create table t (id int);", "drop table t;")
    project.add("t_idx", NO_TX + "create index concurrently if not exists t_id on t (id);\n",
                NO_TX + "drop index concurrently if exists t_id;\n", "select 1/0;\n", minute=1)
    theirs, mine = two_dbs
    a = sqitch(project, theirs, "deploy", "--verify", "--mode", "change")
    b = ours(run_cli, project, mine, "deploy", "--verify", "--mode", "change")
    assert a.returncode != 0 and b.returncode == 1, a.stdout + a.stderr + b.stderr
    assert registry(theirs) == registry(mine)
    for url in (theirs, mine):
        with psycopg.connect(url) as conn:
            assert conn.execute("select to_regclass('t_id')").fetchone()[0] is None


def _identity_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in cli_env().items() if not k.startswith("SQITCH_")}
    env.update({"HOME": str(home), "SQITCH_SYSTEM_CONFIG": str(home / "no-system.conf"), **extra})
    return env


@pytest.mark.parametrize("where", ["project-config", "user-config", "environment", "system-user"])
def test_sqitch_and_we_record_the_same_person(two_dbs, project: Project, run_cli, tmp_path: Path,
                                               where: str):
    project.add("a", "create table a ();", "drop table a;")
    home = tmp_path / "home"
    (home / ".sqitch").mkdir(parents=True)
    extra: dict[str, str] = {}
    if where == "project-config":
        with (project.root / "sqitch.conf").open("a") as fh:
            fh.write('[user]\n\tname = "Priya  Reddy"  ; the DBA\n\temail = priya@example.in\n')
        (home / ".sqitch" / "sqitch.conf").write_text("[user]\n\tname = Someone Else\n")
    elif where in ("user-config", "environment"):
        user_conf = "[user]\n  name = Arjun Rao\n  email = arjun@example.in\n"
        (home / ".sqitch" / "sqitch.conf").write_text(user_conf)
    if where == "environment":
        extra = {"SQITCH_FULLNAME": "Deploy Bot", "SQITCH_EMAIL": "bot@example.in"}
    env = _identity_env(home, **extra)
    theirs, mine = two_dbs
    a = sqitch(project, theirs, "deploy", env=env)
    assert a.returncode == 0, a.stdout + a.stderr
    b = subprocess.run([sys.executable, "-m", "lokdarpan_db.cli", "--db", mine, "deploy"],
                       cwd=project.root, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert b.returncode == 0, b.stderr
    who_theirs = registry(theirs)["changes"][0][3:]
    assert who_theirs == registry(mine)["changes"][0][3:]
    expected = {"project-config": ("Priya  Reddy", "priya@example.in"),
                "user-config": ("Arjun Rao", "arjun@example.in"),
                "environment": ("Deploy Bot", "bot@example.in")}.get(where)
    if expected:
        assert who_theirs == expected
    else:
        assert who_theirs[1].endswith("@" + os.uname().nodename)


def test_project_uri_registered_and_hashed_as_sqitch(two_dbs, project: Project, run_cli):
    project.plan.write_text("%syntax-version=1.0.0\n%project=testproj\n"
                            "%uri = HTTPS://Example.ORG:443/ward ä/%7eproj\n\n")
    project.add("a", "create table a ();", "drop table a;")
    theirs, mine = two_dbs
    a = sqitch(project, theirs, "deploy")
    assert a.returncode == 0, a.stdout + a.stderr
    assert ours(run_cli, project, mine, "deploy").returncode == 0
    assert registry(theirs) == registry(mine)
    assert registry(mine)["projects"] == [("testproj", "HTTPS://Example.ORG:443/ward%20%C3%A4/%7eproj")]
