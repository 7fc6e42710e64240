"""The embedded PostgreSQL: `cluster init|start|status|url|stop`, and the default database."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from support import ROOT

from lokdarpan_db.server.cluster import LocalCluster, pg_bindir, throwaway


@pytest.fixture()
def scratch_project():
    root = Path(tempfile.mkdtemp(prefix="lokdarpan-cluster-"))
    os.chmod(root, 0o755)  # the postgres OS user must reach the socket directory
    shutil.copytree(ROOT / "db", root / "db")
    yield root
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
    assert tcp.startswith("postgresql://postgres@127.0.0.1:") and "passfile=" in tcp
    password = (scratch_project / ".lokdarpan" / "password").read_text().strip()
    assert password not in url and password not in tcp  # libpq reads it from the passfile
    with psycopg.connect(tcp) as conn:  # loopback needs the generated password (scram)
        assert conn.execute("select 1").fetchone()[0] == 1
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(tcp, password="wrong").close()

    assert "stopped" in run_cli(*plan, "cluster", "stop").stdout
    assert run_cli(*plan, "cluster", "status").returncode == 1
    res = run_cli(*plan, "status", cwd=scratch_project)  # started again on demand
    assert res.returncode == 0 and "nothing to deploy" in res.stdout


# ---------------------------------------------------------------- issue 18, High 2: who may connect

NOBODY = 65534
NO_PASSFILE = "/nonexistent/pgpass"  # libpq finds no password there


def _as_nobody(*cmd: str) -> subprocess.CompletedProcess:
    """Run `cmd` as the unprivileged OS user nobody (needs root and util-linux's setpriv)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to act as another OS user")
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", *cmd],
        capture_output=True, text=True, timeout=30, cwd="/", check=False,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
    )


def _psql_as_nobody(cluster: LocalCluster, *, tcp: bool = False) -> subprocess.CompletedProcess:
    host = "127.0.0.1" if tcp else str(cluster.sockdir)
    return _as_nobody(str(pg_bindir() / "psql"), "-X", "-w", "-h", host, "-p", str(cluster.port),
                      "-U", "postgres", "-d", "postgres", "-c", "select 1")


@pytest.fixture(scope="module")
def server() -> Iterator[LocalCluster]:
    with throwaway(prefix="lokdarpan-auth-") as cluster:
        yield cluster


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_socket_are_the_owners_only(server: LocalCluster):
    assert _mode(server.root) == 0o700 and _mode(server.sockdir) == 0o700
    assert _mode(server.logfile) == 0o600
    assert _mode(server.password_file) == 0o600 and _mode(server.pgpass_file) == 0o600
    sockets = [p for p in server.sockdir.iterdir() if not p.name.endswith(".lock")]
    assert sockets and all(_mode(p) == 0o700 for p in sockets)
    with psycopg.connect(server.url(), autocommit=True) as conn:
        assert conn.execute("show unix_socket_permissions").fetchone()[0] == "0700"
        rules = conn.execute("select type, auth_method from pg_hba_file_rules").fetchall()
    assert rules and {method for _, method in rules} == {"scram-sha-256"}, rules
    password = server.password_file.read_text().strip()
    assert password not in server.url() and password not in server.tcp_url()


def test_another_os_user_cannot_connect_or_read_the_secrets(server: LocalCluster):
    res = _psql_as_nobody(server)
    assert res.returncode != 0 and "Permission denied" in res.stderr, res
    res = _psql_as_nobody(server, tcp=True)  # the loopback port is open to everyone: scram holds
    assert res.returncode != 0 and "password" in res.stderr, res
    for secret in (server.password_file, server.pgpass_file, server.logfile):
        res = _as_nobody("cat", str(secret))
        assert res.returncode != 0 and "Permission denied" in res.stderr, secret


def test_the_socket_needs_the_password_too(server: LocalCluster):
    """Defense in depth: even a process that reaches the socket (root here) needs the password."""
    socket_only = {"host": str(server.sockdir), "port": server.port, "user": "postgres",
                   "dbname": "postgres"}
    with pytest.raises(psycopg.OperationalError, match="no password supplied"):
        psycopg.connect(**socket_only, passfile=NO_PASSFILE).close()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**socket_only, password="wrong").close()
    with psycopg.connect(**socket_only, passfile=str(server.pgpass_file)) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "postgres"


def test_client_programs_authenticate_through_the_passfile(server: LocalCluster):
    """pg_dump and psql get the URL as PG* variables (PGPASSFILE included), as backups do."""
    from lokdarpan_db.backup import pgtools

    env = pgtools.env_for(server.url())
    assert env["PGPASSFILE"] == str(server.pgpass_file) and "PGPASSWORD" not in env
    res = subprocess.run([str(pg_bindir() / "psql"), "-X", "-w", "-Atc", "select current_user"],
                         capture_output=True, text=True, env=env, check=False)
    assert (res.returncode, res.stdout.strip()) == (0, "postgres"), res.stderr


def _loosen_like_an_old_cluster(cluster: LocalCluster) -> None:
    """What `cluster init` made before issue 18: trust for local connections, 0755 directories,
    a world-readable log and socket, no pgpass."""
    hba = cluster.datadir / "pg_hba.conf"
    hba.write_text("\n".join(
        re.sub(r"scram-sha-256$", "trust", ln) if ln.startswith("local") else ln
        for ln in hba.read_text().splitlines()) + "\n")
    conf = cluster.datadir / "postgresql.auto.conf"
    conf.write_text("".join(ln for ln in conf.read_text().splitlines(keepends=True)
                            if not ln.startswith("unix_socket_permissions")))
    cluster.pgpass_file.unlink()
    cluster.logfile.touch()
    cluster._chown(cluster.logfile)
    for path, mode in ((cluster.root, 0o755), (cluster.sockdir, 0o755), (cluster.logfile, 0o644)):
        os.chmod(path, mode)


def test_cluster_start_tightens_a_cluster_made_with_trust(run_cli, scratch_project: Path):
    plan = ["--plan", str(scratch_project / "db" / "sqitch.plan")]
    assert run_cli(*plan, "cluster", "init").returncode == 0
    lc = LocalCluster(scratch_project / ".lokdarpan")
    _loosen_like_an_old_cluster(lc)
    res = lc._run_as_owner(["pg_ctl", "start", "-D", str(lc.datadir), "-l", str(lc.logfile), "-w"])
    assert res.returncode == 0, res.stderr
    with psycopg.connect(host=str(lc.sockdir), port=lc.port, user="postgres", dbname="postgres",
                         passfile=NO_PASSFILE, autocommit=True) as conn:  # trusted, as it was
        conn.execute("create database lokdarpan")
    if os.geteuid() == 0 and shutil.which("setpriv"):
        assert _psql_as_nobody(lc).returncode == 0  # the finding, reproduced on the old layout

    res = run_cli(*plan, "cluster", "start")  # already running: tightened and reloaded
    assert res.returncode == 0, res.stderr
    assert "tightened the embedded PostgreSQL" in res.stderr
    assert "scram-sha-256, was trust" in res.stderr
    assert _mode(lc.root) == _mode(lc.sockdir) == 0o700 and _mode(lc.logfile) == 0o600
    assert _mode(lc.pgpass_file) == 0o600
    if os.geteuid() == 0 and shutil.which("setpriv"):
        assert _psql_as_nobody(lc).returncode != 0
    with pytest.raises(psycopg.OperationalError, match="no password supplied"):
        psycopg.connect(host=str(lc.sockdir), port=lc.port, user="postgres", dbname="postgres",
                        passfile=NO_PASSFILE).close()
    res = run_cli(*plan, "status", cwd=scratch_project)  # the normal path still connects
    assert res.returncode == 0, res.stderr
    assert "tightened" not in res.stderr  # once is enough

    assert run_cli(*plan, "cluster", "stop").returncode == 0
    assert run_cli(*plan, "cluster", "start").returncode == 0  # restarted: the socket itself is 0700
    sockets = [p for p in lc.sockdir.iterdir() if not p.name.endswith(".lock")]
    assert sockets and all(_mode(p) == 0o700 for p in sockets)
