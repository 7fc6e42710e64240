"""Debian's sqitch and lokdarpan-db take turns on one database (same registry, ids and hashes)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from psycopg.conninfo import conninfo_to_dict
from support import ROOT, cli_env, deploy_plan

from lokdarpan_db.devtools.pgtap import libpq_env

pytestmark = pytest.mark.skipif(shutil.which("sqitch") is None, reason="sqitch not installed")


def sqitch(url: str, *args: str) -> subprocess.CompletedProcess:
    env = cli_env(libpq_env(url))
    target = f"db:pg:{conninfo_to_dict(url)['dbname']}"
    return subprocess.run(["sqitch", *args, target], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_sqitch_agrees_after_our_deploy(empty_db, run_cli):
    assert run_cli("--db", empty_db, "deploy").returncode == 0
    status = sqitch(empty_db, "status")
    assert status.returncode == 0, status.stderr
    assert "Nothing to deploy (up-to-date)" in status.stdout
    verify = sqitch(empty_db, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "Verify successful" in verify.stdout


def test_we_agree_after_sqitch_deploy_and_sqitch_reverts_ours(empty_db, run_cli):
    res = sqitch(empty_db, "deploy")
    assert res.returncode == 0, res.stdout + res.stderr
    status = run_cli("--db", empty_db, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"pending": []' in status.stdout and '"drifted": []' in status.stdout
    assert run_cli("--db", empty_db, "verify").returncode == 0
    assert run_cli("--db", empty_db, "check").returncode == 0
    # and back: Sqitch reverts what it deployed, we deploy again, Sqitch is satisfied
    revert = sqitch(empty_db, "revert", "-y")
    assert revert.returncode == 0, revert.stdout + revert.stderr
    assert run_cli("--db", empty_db, "deploy").returncode == 0
    assert "Nothing to deploy" in sqitch(empty_db, "status").stdout


def test_sqitch_reverts_a_database_we_deployed(databases, run_cli):
    url = databases.create("sqrev")
    try:
        deploy_plan(url)
        revert = sqitch(url, "revert", "-y")
        assert revert.returncode == 0, revert.stdout + revert.stderr
        status = run_cli("--db", url, "status", "--json")
        assert '"deployed": []' in status.stdout
        assert run_cli("--db", url, "deploy").returncode == 0
    finally:
        databases.drop(url)
