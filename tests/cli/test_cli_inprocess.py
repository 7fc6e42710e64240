"""The CLI in this process (`lokdarpan_db.cli.run`): output, --json and exit codes of every migrate
verb against a real database. Subprocess tests (tests/cli/test_cli_subprocess.py,
tests/migrate/test_processes.py) cover what needs a real process: locks, signals, kills."""

from __future__ import annotations

import json

import psycopg
import pytest
from support import PLAN

from lokdarpan_db.cli import run
from lokdarpan_db.migrate import plan as plan_mod

CHANGES = [c.name for c in plan_mod.load(PLAN).changes]


@pytest.fixture(scope="module")
def deployed(databases) -> str:
    url = databases.create("cli")
    assert run(["--db", url, "deploy"]) == 0
    yield url
    databases.drop(url)


def json_of(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_deploy_json_lists_what_it_deployed(databases, capsys):
    url = databases.create("cli")
    try:
        assert run(["--db", url, "--json", "deploy", "--to", "roles"]) == 0
        assert json_of(capsys) == {"deployed": CHANGES[: CHANGES.index("roles") + 1]}
        assert run(["--db", url, "deploy", "--json", "--to", "roles"]) == 0  # --json after the verb too
        assert json_of(capsys) == {"deployed": []}
    finally:
        databases.drop(url)


def test_global_options_after_the_verb(deployed, capsys):
    assert run(["status", "--db", deployed, "--json", "--lock-timeout", "5"]) == 0
    assert json_of(capsys)["pending"] == []
    assert run(["log", "--db", deployed, "--plan", str(PLAN), "--json", "-n", "1"]) == 0
    assert len(json_of(capsys)) == 1


def test_status_and_log_json(deployed, capsys):
    assert run(["--db", deployed, "--json", "status"]) == 0
    status = json_of(capsys)
    assert status["deployed"] == CHANGES and status["pending"] == [] and status["drifted"] == []
    assert run(["--db", deployed, "--json", "log", "-n", "3"]) == 0
    events = json_of(capsys)
    assert [e["event"] for e in events] == ["deploy"] * 3
    assert [e["change"] for e in events] == CHANGES[::-1][:3]


def test_log_human_shows_a_table(deployed, capsys):
    assert run(["--db", deployed, "log", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "event" in out and CHANGES[-1][:20] in out and "deploy" in out  # (a long name is cut short)


def test_verify_and_check_pass_then_fail_with_exit_1_when_the_schema_drifts(deployed, capsys):
    assert run(["--db", deployed, "--json", "verify"]) == 0
    result = json_of(capsys)
    assert result["ok"] == CHANGES and result["failed"] == {}
    assert run(["--db", deployed, "--json", "check"]) == 0
    assert json_of(capsys)["clean"] is True

    with psycopg.connect(deployed, autocommit=True) as conn:
        conn.execute("drop index public.ix_ward_geometry")
    try:
        assert run(["--db", deployed, "--json", "verify"]) == 1
        captured = capsys.readouterr()
        failed = json.loads(captured.out)["failed"]
        assert list(failed) == ["electoral/geography"] and "ix_ward_geometry" in failed["electoral/geography"]
        assert json.loads(captured.err) == {  # with --json the error is JSON too, on stderr
            "code": "verify_failed", "message": "verify failed for 1 change(s): electoral/geography",
            "exit": 1}

        assert run(["--db", deployed, "--json", "check"]) == 1
        captured = capsys.readouterr()
        report = json.loads(captured.out)
        assert report["clean"] is False and list(report["verify_failed"]) == ["electoral/geography"]
        assert json.loads(captured.err) == {"code": "drift", "message": "check found drift", "exit": 1}
        assert run(["--db", deployed, "check"]) == 1
        assert capsys.readouterr().err.strip() == "error: check found drift"
    finally:
        with psycopg.connect(deployed, autocommit=True) as conn:
            conn.execute(
                "create index ix_ward_geometry on public.ward using gist (public.geojson_geometry(boundary)) "
                "where boundary is not null"
            )


def test_bad_input_is_one_line_and_exit_2(deployed, capsys):
    assert run(["--db", deployed, "deploy", "--to", "nosuch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after any notice (`plan: FILE`)
    assert err.startswith("error: ") and "nosuch" in err


def test_plan_json_shows_nothing_pending_once_deployed(deployed, capsys):
    assert run(["--db", deployed, "--json", "plan"]) == 0
    assert json_of(capsys) == {"pending": []}
