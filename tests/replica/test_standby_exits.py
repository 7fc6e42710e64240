"""The exit-code contract on a hot standby (docs/cli.md; the other situations are in
tests/cli/test_cli_exits.py): one writing verb of every group exits 3 (cannot run here), with --json
as one JSON object {code: "standby", message, exit: 3} on stderr; health and integrity run there and
answer with their monitoring codes, never 3."""

from __future__ import annotations

import json

import pytest

from lokdarpan_db.cli import run

ONE_OF_EVERY_GROUP = [
    ["deploy"], ["revert", "-y"], ["import", "wards"], ["refresh"], ["schedule", "install"], ["watch", "95"],
    ["partitions", "--maintain"], ["cleanup", "--dry-run"], ["keys", "rotate"], ["backup", "drill"],
    ["pitr", "setup"],
]


@pytest.mark.parametrize("argv", ONE_OF_EVERY_GROUP, ids=" ".join)
def test_a_writing_verb_on_the_standby_is_exit_3_in_json_too(replica, argv, capsys) -> None:
    assert run(["--db", replica.standby_url, "--json", *argv]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    error = json.loads(captured.err.strip().splitlines()[-1])
    assert error["code"] == "standby" and error["exit"] == 3 and "hot standby" in error["message"]


@pytest.mark.parametrize("verb", ["health", "integrity"])
def test_monitoring_verbs_run_on_the_standby(replica, verb, capsys) -> None:
    rc = run(["--db", replica.standby_url, "--json", verb])
    captured = capsys.readouterr()
    assert rc in (0, 1, 2), captured.err  # a status, not UNKNOWN
    assert json.loads(captured.out)["status"] in ("OK", "WARNING", "CRITICAL", "PASS", "WARN", "FAIL")
