"""Which database a command talks to, and how to connect to it.

Resolution, first match wins: `--db URL`, `$LOKDARPAN_DATABASE_URL`, libpq's `PG*` variables,
then the embedded cluster under `<project>/.lokdarpan/` (started on demand, with a notice).
Sqitch-style targets (`db:pg://…`) are accepted too, and so is everything libpq reads by itself:
`service=NAME` (pg_service.conf, $PGSERVICEFILE), `passfile=…`/$PGPASSFILE and ~/.pgpass. A password
written into `--db` is visible to every local user in `ps`: resolve() says so in one warning line.
No message shows a password: errors go through errors.redact() (docs/security.md, issue 18).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from .errors import BadInputError, ConnectionFailedError, passwords_in
from .errors import redact as _redact
from .server.cluster import LocalCluster

LIBPQ_VARS = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")


@dataclass(frozen=True)
class Target:
    conninfo: str
    source: str  # "--db", "LOKDARPAN_DATABASE_URL", "PG* environment", "embedded cluster"


def normalise(url: str) -> str:
    url = url.strip()
    if url.startswith("db:"):
        url = url[3:]
    url = re.sub(r"^pg(sql)?://", "postgresql://", url)
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        # libpq's message may quote a piece of the input (`unexpected spaces found in "…"`)
        raise BadInputError(redact(f"invalid database URL {url!r}: {exc}", url)) from None
    return url


PASSWORD_WARNING = (
    "warning: the password in --db is visible to other local users (ps, shell history); "
    "keep it in ~/.pgpass or a file named by PGPASSFILE, or use a service file "
    "(--db service=NAME), see docs/deploying.md"
)


def has_password(conninfo: str) -> bool:
    try:
        return bool(conninfo_to_dict(conninfo).get("password"))
    except psycopg.ProgrammingError:
        return bool(passwords_in(conninfo))


def resolve(
    db: str | None, project_dir: Path, notify: Callable[[str], None], start: bool = True
) -> Target:
    if db:
        target = Target(normalise(db), "--db")
        if has_password(target.conninfo):
            notify(PASSWORD_WARNING)
        return target
    env = os.environ.get("LOKDARPAN_DATABASE_URL")
    if env:
        return Target(normalise(env), "LOKDARPAN_DATABASE_URL")
    if any(os.environ.get(v) for v in LIBPQ_VARS):
        return Target("", "PG* environment")
    cluster = LocalCluster(project_dir / ".lokdarpan")
    if start:
        if cluster.init():
            notify(f"created the embedded PostgreSQL in {cluster.root}")
        started = cluster.start()
        for change in cluster.hardened:
            notify(f"tightened the embedded PostgreSQL: {change}")
        if started:
            notify(f"started the embedded PostgreSQL ({cluster.root}, port {cluster.port})")
    return Target(cluster.url(), "embedded cluster")


def redact(text: str, conninfo: str | None = None) -> str:
    """`text` without the passwords of any conninfo or URL in it, nor those of `conninfo` (the one
    the text is about) wherever they appear."""
    return _redact(text, passwords_in(conninfo if conninfo is not None else text))


def describe(conninfo: str) -> str:
    """A short, password-free description of where a conninfo points."""
    try:
        d = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return redact(conninfo)
    host = d.get("host") or os.environ.get("PGHOST") or "local socket"
    port = d.get("port") or os.environ.get("PGPORT") or "5432"
    name = d.get("dbname") or os.environ.get("PGDATABASE") or d.get("user") or "default"
    return f"{name} at {host}:{port}"


# The roles change gives every session in a LokDarpan database a 30 s statement timeout; the
# operator's own work (a deploy building an index, an import, a benchmark) is exempt.
OPERATOR_OPTIONS = "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0"


def connect(conninfo: str, application: str = "lokdarpan-db") -> psycopg.Connection:
    """An autocommit operator connection (no statement timeout), or ConnectionFailedError with
    libpq's reason in one line."""
    try:
        return psycopg.connect(
            conninfo, autocommit=True, application_name=application, connect_timeout=10,
            options=OPERATOR_OPTIONS,
        )
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
        raise ConnectionFailedError(
            redact(f"cannot connect to {describe(conninfo)}: {reason}", conninfo)
        ) from None


def libpq_env(conninfo: str) -> dict[str, str]:
    """PG* variables equivalent to a conninfo, for client programs (pg_dump, pg_restore, psql,
    pg_prove) that read libpq's environment."""
    params = conninfo_to_dict(conninfo)
    mapping = {"host": "PGHOST", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
               "password": "PGPASSWORD", "passfile": "PGPASSFILE", "service": "PGSERVICE",
               "sslmode": "PGSSLMODE"}
    return {env: str(params[key]) for key, env in mapping.items() if params.get(key)}
