"""PgBouncer in transaction pooling mode in front of the test server (issue 24).

`pooler` (module scope): a fresh database with the real plan deployed, two login roles made for
the module (`<db>_app` in lokdarpan_app, `<db>_reader` in lokdarpan_readonly) with generated
passwords, and Debian's `pgbouncer` started on a free loopback port with its own configuration,
auth file (0600) and log in a private temporary directory: `pool_mode = transaction`,
`auth_type = scram-sha-256` for clients, scram to the server too. Stopped (SIGTERM, then waited
for) and everything removed at teardown. Skipped, saying why, only when the binary is missing
(`make deps` installs it; CI does).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from support import Databases, deploy_plan

from lokdarpan_db.server.cluster import free_port

POOLER = shutil.which("pgbouncer") or next((p for p in ["/usr/sbin/pgbouncer"] if Path(p).exists()), None)


@dataclass
class Pooler:
    direct_url: str  # the deployed database, directly (superuser)
    port: int
    dbname: str
    app_role: str
    reader_role: str
    passwords: dict[str, str]

    def url(self, role: str) -> str:
        return (f"postgresql://{role}:{quote(self.passwords[role], safe='')}@127.0.0.1:{self.port}/"
                f"{self.dbname}?connect_timeout=10")

    @property
    def app_url(self) -> str:
        return self.url(self.app_role)

    @property
    def reader_url(self) -> str:
        return self.url(self.reader_role)


def _wait_listening(port: int, proc: subprocess.Popen, log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on {port} within {timeout}s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def pooler(databases: Databases) -> Iterator[Pooler]:
    if POOLER is None:
        pytest.skip("pgbouncer is not installed (Debian package pgbouncer; `make deps` installs it)")
    url = databases.create("pool")
    deploy_plan(url)
    info = conninfo_to_dict(url)
    dbname = str(info["dbname"])
    roles = {"app": f"{dbname}_app", "reader": f"{dbname}_reader"}
    passwords = {r: secrets.token_urlsafe(18) for r in roles.values()}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set password_encryption = 'scram-sha-256'")
        for group, role in (("lokdarpan_app", roles["app"]), ("lokdarpan_readonly", roles["reader"])):
            conn.execute(sql.SQL("create role {} login password {} in role {}").format(
                sql.Identifier(role), sql.Literal(passwords[role]), sql.Identifier(group)))
    root = Path(tempfile.mkdtemp(prefix="lokdarpan-pooler-"))
    proc: subprocess.Popen | None = None
    try:
        port = free_port()
        host = str(info.get("host") or "127.0.0.1")
        server = f"host={host} port={info.get('port') or 5432} dbname={dbname}"
        auth = root / "userlist.txt"
        auth.write_text("".join(f'"{r}" "{p}"\n' for r, p in passwords.items()))
        os.chmod(auth, 0o600)
        ini = root / "pgbouncer.ini"
        log = root / "pgbouncer.log"
        ini.write_text("\n".join([
            "[databases]",
            f"{dbname} = {server}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {port}",
            "unix_socket_dir =",
            "auth_type = scram-sha-256",
            f"auth_file = {auth}",
            "pool_mode = transaction",
            "default_pool_size = 2",
            "max_client_conn = 50",
            "ignore_startup_parameters = extra_float_digits,options",
            f"logfile = {log}",
            f"pidfile = {root / 'pgbouncer.pid'}",
            "",
        ]))
        args = [POOLER, str(ini)]
        if os.geteuid() == 0:  # pgbouncer refuses to run as root: it runs as the server's OS user
            pw = pwd.getpwnam("postgres")
            for p in (root, auth, ini):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            os.chmod(root, 0o700)
            args = [POOLER, "-u", "postgres", str(ini)]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=root)
        _wait_listening(port, proc, log)
        yield Pooler(url, port, dbname, roles["app"], roles["reader"], passwords)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(root, ignore_errors=True)
        with psycopg.connect(url, autocommit=True) as conn:
            for role in roles.values():
                conn.execute(f"drop owned by {role}")
                conn.execute(f"drop role {role}")
        databases.drop(url)
