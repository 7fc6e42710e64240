"""The embedded PostgreSQL: `cluster init|start|status|url|stop`, and the default database."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from support import ROOT


@pytest.fixture()
def scratch_project():
    root = Path(tempfile.mkdtemp(prefix="lokdarpan-cluster-"))
    os.chmod(root, 0o755)  # the postgres OS user must reach the socket directory
    shutil.copytree(ROOT / "db", root / "db")
    yield root
    from lokdarpan_db.server.cluster import LocalCluster

    LocalCluster(root / ".lokdarpan").destroy()
    shutil.rmtree(root, ignore_errors=True)


def test_cluster_lifecycle_and_default_resolution(run_cli, scratch_project: Path):
    plan = ["--plan", str(scratch_project / "db" / "sqitch.plan")]
    res = run_cli(*plan, "cluster", "status")
    assert res.returncode == 1 and "not initialized" in res.stdout

    assert run_cli(*plan, "cluster", "init").returncode == 0
    assert (scratch_project / ".lokdarpan" / "data" / "PG_VERSION").exists()

    # No --db, no environment: the embedded cluster is started on demand, with a one-line notice.
    res = run_cli(*plan, "deploy", cwd=scratch_project)
    assert res.returncode == 0, res.stderr
    assert "started the embedded PostgreSQL" in res.stderr

    res = run_cli(*plan, "cluster", "status")
    assert res.returncode == 0 and "running" in res.stdout
    url = run_cli(*plan, "cluster", "url").stdout.strip()
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from sqitch.changes").fetchone()[0] > 0
        preload = conn.execute("show shared_preload_libraries").fetchone()[0]
        assert "pg_stat_statements" in preload
        assert conn.execute(
            "select count(*) from pg_extension where extname = 'pg_stat_statements'"
        ).fetchone()[0] == 1

    tcp = run_cli(*plan, "cluster", "url", "--tcp").stdout.strip()
    assert tcp.startswith("postgresql://postgres:") and "@127.0.0.1:" in tcp
    with psycopg.connect(tcp) as conn:  # loopback needs the generated password (scram)
        assert conn.execute("select 1").fetchone()[0] == 1
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(tcp.replace("postgres:", "postgres:wrong", 1)).close()

    assert "stopped" in run_cli(*plan, "cluster", "stop").stdout
    assert run_cli(*plan, "cluster", "status").returncode == 1
    res = run_cli(*plan, "status", cwd=scratch_project)  # started again on demand
    assert res.returncode == 0 and "nothing to deploy" in res.stdout
