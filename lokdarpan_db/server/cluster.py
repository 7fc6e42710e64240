"""The embedded PostgreSQL: a private cluster under `.lokdarpan/` (or any directory, for tests).

initdb runs as the `postgres` OS user when we are root (PostgreSQL refuses to run as root). The
server listens on a unix socket in the cluster directory and on a free loopback port.

Who may connect (docs/security.md, "Findings of the issue-18 review"): every connection, socket
or TCP, authenticates with scram-sha-256 as the `postgres` superuser with the generated password.
The password lives in two files readable by their owner only: `password` (the bare password,
owned by whoever ran `cluster init`) and `pgpass` (libpq's password-file format, owned by the
server's OS user so that pgBackRest, which runs as that user, can read it too; root reads it
anyway). Every URL the cluster hands out names `pgpass` with libpq's `passfile` parameter, so the
password itself is never in a URL, on a command line or in `ps`. Peer authentication is not used:
the CLI often runs as root while the server runs as `postgres`, which peer could only map with an
ident map per invoking user. The cluster directory and its socket directory are 0700, the socket
0700 (`unix_socket_permissions`), the log 0600: another OS user cannot even reach the socket.
A cluster made before this (trusting local connections) is tightened by `start()`.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    hardened: list[str] = field(default_factory=list, init=False, repr=False)

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
        """The generated superuser password, alone on one line (0600, the invoking user's)."""
        return self.root / "password"

    @property
    def pgpass_file(self) -> Path:
        """The same password in libpq's passfile format (0600, the server's OS user's): what
        every URL of this cluster names with `passfile=` and what `PGPASSFILE` may point at."""
        return self.root / "pgpass"

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
        if self.pgpass_file.exists():  # pgBackRest connects to the server through the socket
            env["PGPASSFILE"] = str(self.pgpass_file)
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

    def _write_private(self, path: Path, text: str, server_owned: bool) -> None:
        """Write `text` to a file only its owner can read, never readable by others even for a
        moment (created 0600, not chmod-ed afterwards)."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, text.encode())
        finally:
            os.close(fd)
        if server_owned:
            self._chown(path)

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
            os.chmod(p, 0o700)
        if os.geteuid() == 0 and self._run_as_owner(["/bin/sh", "-c", 'test -w "$0"', str(self.datadir)]
                                                    ).returncode != 0:
            raise ClusterError(
                f"the {SUPERUSER} OS user cannot reach {self.datadir}: a parent directory is not "
                "searchable by others (chmod o+x it, or put the project elsewhere)"
            )
        password = secrets.token_urlsafe(24)
        pwfile = self.root / ".initdb-pw"
        self._write_private(pwfile, password + "\n", server_owned=True)
        try:
            res = self._run_as_owner([
                "initdb", "-D", str(self.datadir), "-U", SUPERUSER, "--pwfile", str(pwfile),
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-instructions",
            ])
        finally:
            pwfile.unlink(missing_ok=True)
        if res.returncode != 0:
            raise ClusterError(f"initdb failed: {_last_line(res.stderr)}")
        self._write_private(self.password_file, password + "\n", server_owned=False)
        self._write_pgpass(password)
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
            "unix_socket_permissions": "'0700'",
            "logging_collector": "off",
            "log_file_mode": "'0600'",
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

    def _write_pgpass(self, password: str) -> None:
        escaped = password.replace("\\", "\\\\").replace(":", "\\:")
        self._write_private(self.pgpass_file, f"*:*:*:{SUPERUSER}:{escaped}\n", server_owned=True)

    def harden(self) -> list[str]:
        """Bring a cluster made by an older version (local connections trusted, socket directory
        0755, log 0644, no pgpass) to today's settings; what it changed, one phrase each. Runs on
        every start; a no-op (an empty list) for a cluster that is already tight."""
        changed: list[str] = []
        if not self.initialized:
            return changed

        def tighten(path: Path, mode: int, what: str) -> None:
            try:
                if path.exists() and (path.stat().st_mode & 0o777) != mode:
                    os.chmod(path, mode)
                    changed.append(f"{what} is now {mode:04o}")
            except PermissionError:  # somebody else's cluster: they tighten it when they start it
                pass

        tighten(self.root, 0o700, str(self.root))
        tighten(self.sockdir, 0o700, "the socket directory")
        tighten(self.logfile, 0o600, "the server log")
        tighten(self.password_file, 0o600, "the password file")
        try:
            if self.password_file.exists() and (
                not self.pgpass_file.exists() or self.pgpass_file.stat().st_mode & 0o077
            ):
                self._write_pgpass(self.password_file.read_text().strip())
                changed.append(f"wrote {self.pgpass_file} (0600)")
        except PermissionError:
            pass
        hba = self.datadir / "pg_hba.conf"
        try:
            lines = hba.read_text().splitlines()
        except PermissionError:
            return changed
        fixed = [_no_trust(ln) for ln in lines]
        if fixed != lines:
            if not self.password_file.exists():
                changed.append(f"not done: {hba} still trusts local connections (no generated password "
                               f"in {self.password_file}); give postgres a password, replace trust by "
                               "scram-sha-256 and write the password there")
            else:
                hba.write_text("\n".join(fixed) + "\n")
                changed.append("local connections now need the password (scram-sha-256, was trust)")
                if self.running():
                    self._run_as_owner(["pg_ctl", "reload", "-D", str(self.datadir)])
        conf = self.datadir / "postgresql.auto.conf"
        text = conf.read_text()
        if "unix_socket_permissions" not in text:
            sep = "" if text.endswith("\n") else "\n"
            conf.write_text(f"{text}{sep}unix_socket_permissions = '0700'\n")
            changed.append("the socket is now 0700 (unix_socket_permissions)")
        for sock in self.sockdir.glob(".s.PGSQL.*"):
            if not sock.name.endswith(".lock"):
                tighten(sock, 0o700, "the running server's socket")
        return changed

    def start(self) -> bool:
        """Start the server if it is not running (tightening an older cluster first, see
        `harden`; what it changed is in `self.hardened`). Returns False when it already ran."""
        if not self.initialized:
            raise ClusterError(f"no cluster at {self.root}; run `lokdarpan-db cluster init`")
        self.hardened = self.harden()
        if self.running():
            return False
        port = self.port
        if _port_busy(port):
            port = free_port()
            conf = self.datadir / "postgresql.auto.conf"
            lines = [ln for ln in conf.read_text().splitlines() if not ln.startswith("port = ")]
            conf.write_text("\n".join([*lines, f"port = {port}"]) + "\n")
        if not self.logfile.exists():  # pg_ctl -l appends to it: created 0600, the server's
            self._write_private(self.logfile, "", server_owned=True)
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
    def _passfile_param(self) -> str:
        return f"passfile={quote(str(self.pgpass_file), safe='')}"

    def url(self, database: str | None = None) -> str:
        """Socket URL: what this tool and tests use. The password is not in it: libpq reads it from
        the `passfile` it names (readable by root and the cluster's owner only)."""
        db = database or self.database
        return (f"postgresql://{SUPERUSER}@/{db}?host={quote(str(self.sockdir), safe='')}"
                f"&port={self.port}&{self._passfile_param()}")

    def tcp_url(self, database: str | None = None) -> str:
        """Loopback URL, for tools that cannot use the socket; the password comes from the
        passfile too (a tool that ignores `passfile` asks for it: it is in `password`)."""
        db = database or self.database
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{db}?{self._passfile_param()}"


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


def _no_trust(line: str) -> str:
    """A pg_hba.conf line with the `trust` method replaced by scram-sha-256 (comments kept)."""
    words = line.split()
    if not words or words[0].startswith("#"):
        return line
    method_at = 3 if words[0] == "local" else 4
    if words[0] != "local" and len(words) > 5 and "/" not in words[3] and re.fullmatch(
            r"[0-9.]+|[0-9a-fA-F:]+", words[4]):
        method_at = 5  # host db user address mask method
    if len(words) > method_at and words[method_at] == "trust":
        words[method_at] = "scram-sha-256"
        return " ".join(words)
    return line


def _last_line(text: str) -> str:
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
