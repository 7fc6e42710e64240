"""The embedded PostgreSQL: a private cluster under `.lokdarpan/` (or any directory, for tests).

initdb runs as the `postgres` OS user when we are root (PostgreSQL refuses to run as root). The
server listens on a unix socket in the cluster directory and on a free loopback port; local
socket connections are trusted, TCP connections need the generated password in `password`.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..errors import ClusterError

DEFAULT_DB = "lokdarpan"
SUPERUSER = "postgres"


def pg_bindir() -> Path:
    """Directory of initdb/pg_ctl: $LOKDARPAN_PG_BINDIR, else the newest /usr/lib/postgresql/N."""
    env = os.environ.get("LOKDARPAN_PG_BINDIR")
    if env:
        return Path(env)
    root = Path("/usr/lib/postgresql")
    majors = sorted(
        (p for p in root.glob("*/bin/initdb")), key=lambda p: int(p.parent.parent.name), reverse=True
    ) if root.exists() else []
    if majors:
        return majors[0].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ClusterError("PostgreSQL server binaries not found; run `make deps`")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LocalCluster:
    root: Path
    database: str = DEFAULT_DB

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def sockdir(self) -> Path:
        return self.root / "run"

    @property
    def logfile(self) -> Path:
        return self.root / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    # ------------------------------------------------------------------ helpers
    def _run_as_owner(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        cmd = [args[0] if args[0].startswith("/") else str(pg_bindir() / args[0]), *args[1:]]
        preexec = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam(SUPERUSER)

            def preexec() -> None:  # drop to the postgres user before exec
                os.setgid(pw.pw_gid)
                os.initgroups(SUPERUSER, pw.pw_gid)
                os.setuid(pw.pw_uid)

        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        try:
            return subprocess.run(
                cmd, preexec_fn=preexec, capture_output=True, text=True, env=env, check=False,
                cwd="/", **kw
            )
        except FileNotFoundError:
            raise ClusterError(f"{cmd[0]} not found; run `make deps`") from None

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam(SUPERUSER)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    @property
    def initialized(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    @property
    def port(self) -> int:
        for line in (self.datadir / "postgresql.auto.conf").read_text().splitlines():
            if line.startswith("port = "):
                return int(line.split("=")[1].strip().strip("'"))
        raise ClusterError(f"no port recorded in {self.datadir}/postgresql.auto.conf")

    # ------------------------------------------------------------------ lifecycle
    def init(self, fast: bool = False, settings: dict[str, str] | None = None) -> bool:
        """Create the cluster if missing. `fast` turns off durability (throwaway test clusters);
        `settings` are extra postgresql.conf lines. Returns False when it already existed."""
        if self.initialized:
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        self.sockdir.mkdir(exist_ok=True)
        self.datadir.mkdir(exist_ok=True)
        for p in (self.root, self.sockdir, self.datadir):
            self._chown(p)
        if os.geteuid() == 0 and self._run_as_owner(["/bin/sh", "-c", 'test -w "$0"', str(self.datadir)]
                                                    ).returncode != 0:
            raise ClusterError(
                f"the {SUPERUSER} OS user cannot reach {self.datadir}: a parent directory is not "
                "searchable by others (chmod o+x it, or put the project elsewhere)"
            )
        os.chmod(self.datadir, 0o700)
        password = secrets.token_urlsafe(24)
        pwfile = self.root / ".initdb-pw"
        pwfile.write_text(password + "\n")
        self._chown(pwfile)
        try:
            res = self._run_as_owner([
                "initdb", "-D", str(self.datadir), "-U", SUPERUSER, "--pwfile", str(pwfile),
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-instructions",
            ])
        finally:
            pwfile.unlink(missing_ok=True)
        if res.returncode != 0:
            raise ClusterError(f"initdb failed: {_last_line(res.stderr)}")
        self.password_file.write_text(password + "\n")
        os.chmod(self.password_file, 0o600)
        # pg_cron (postgresql-NN-cron) runs the project's scheduled jobs (`lokdarpan-db schedule`)
        # when installed; its jobs live in this cluster's own database.
        preload = "pg_stat_statements"
        cron: dict[str, str] = {}
        if _has_library("pg_cron"):
            preload += ",pg_cron"
            cron = {"cron.database_name": f"'{self.database}'", "cron.use_background_workers": "on"}
        conf = {
            "port": str(free_port()),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.sockdir}'",
            "shared_preload_libraries": f"'{preload}'",
            "logging_collector": "off",
            "max_connections": "100",
        }
        conf.update(cron)
        if fast:
            conf.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        conf.update(settings or {})
        with (self.datadir / "postgresql.auto.conf").open("a") as fh:
            for k, v in conf.items():
                fh.write(f"{k} = {v}\n")
        return True

    def running(self) -> bool:
        if not self.initialized:
            return False
        return self._run_as_owner(["pg_ctl", "status", "-D", str(self.datadir)]).returncode == 0

    def start(self) -> bool:
        """Start the server if it is not running. Returns False when it already ran."""
        if not self.initialized:
            raise ClusterError(f"no cluster at {self.root}; run `lokdarpan-db cluster init`")
        if self.running():
            return False
        port = self.port
        if _port_busy(port):
            port = free_port()
            conf = self.datadir / "postgresql.auto.conf"
            lines = [ln for ln in conf.read_text().splitlines() if not ln.startswith("port = ")]
            conf.write_text("\n".join([*lines, f"port = {port}"]) + "\n")
        if not self.logfile.exists():
            self.logfile.touch()
            self._chown(self.logfile)
        res = self._run_as_owner(
            ["pg_ctl", "start", "-D", str(self.datadir), "-l", str(self.logfile), "-w", "-t", "60"]
        )
        if res.returncode != 0:
            tail = self.logfile.read_text(errors="replace").strip().splitlines()[-1:] or [""]
            raise ClusterError(f"the embedded PostgreSQL did not start: {tail[0] or _last_line(res.stderr)}")
        self._ensure_database()
        return True

    def stop(self) -> bool:
        if not self.running():
            return False
        res = self._run_as_owner(["pg_ctl", "stop", "-D", str(self.datadir), "-m", "fast", "-w"])
        if res.returncode != 0:
            raise ClusterError(f"pg_ctl stop failed: {_last_line(res.stderr)}")
        return True

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            if not conn.execute(
                "select 1 from pg_database where datname = %s", (self.database,)
            ).fetchone():
                conn.execute(f'create database "{self.database}"')

    # ------------------------------------------------------------------ addresses
    def url(self, database: str | None = None) -> str:
        """Socket URL (trusted): what this tool and tests use."""
        db = database or self.database
        return f"postgresql://{SUPERUSER}@/{db}?host={quote(str(self.sockdir), safe='')}&port={self.port}"

    def tcp_url(self, database: str | None = None) -> str:
        """Loopback URL with the generated password, for tools that cannot use the socket."""
        pw = self.password_file.read_text().strip()
        db = database or self.database
        return f"postgresql://{SUPERUSER}:{quote(pw, safe='')}@127.0.0.1:{self.port}/{db}"


@contextmanager
def throwaway(prefix: str = "lokdarpan-", settings: dict[str, str] | None = None) -> Iterator[LocalCluster]:
    """A started cluster in a temporary directory, durability off, destroyed on exit."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o755)  # the postgres OS user must reach the socket directory
    cluster = LocalCluster(root / "pg", database="postgres")
    try:
        cluster.init(fast=True, settings=settings)
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)


def _has_library(name: str) -> bool:
    """Whether the server's package library directory holds `name`.so (an optional extension)."""
    try:
        res = subprocess.run([str(pg_bindir() / "pg_config"), "--pkglibdir"], capture_output=True,
                             text=True, check=False)
    except (OSError, ClusterError):
        return False
    libdir = res.stdout.strip() if res.returncode == 0 else ""
    return bool(libdir) and (Path(libdir) / f"{name}.so").exists()


def _last_line(text: str) -> str:
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
