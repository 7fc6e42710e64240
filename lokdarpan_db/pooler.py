"""Connection poolers as the CLI sees them (issue 24).

Applications reach the database through a transaction-mode pooler (PgBouncer): every function they
call takes what it needs per transaction. A few verbs need a server session of their own for
longer than one transaction: the deployer's advisory lock (`deploy`, `revert`), `watch`'s LISTEN,
the restore swap's advisory lock, pg_dump's session settings and exported snapshot (`backup`,
`pitr`). Through a transaction pooler their next transaction may run on another server
connection: a lock taken on one backend and released on another stays held, a LISTEN hears
nothing. So they refuse, in one line, exit 3, and are pointed at the server itself.

How a pooler is recognised, without asking it anything: a server announces its backend's process
id when a connection starts (libpq's BackendKeyData, psycopg's `conn.info.backend_pid`). A pooler
answers the start-up itself and announces its own cancel key, whose "pid" is a random number, so
it differs from what `pg_backend_pid()` returns on the server connection the query ran on.
PgBouncer does this in every pool mode; a session-mode pool would work, but cannot be told apart
here: connect directly for these verbs.
"""

from __future__ import annotations

import psycopg

from .errors import CannotRunError


class PoolerError(CannotRunError):
    """A verb that needs a server session reached the server through a connection pooler."""


def server_pid(conn: psycopg.Connection) -> int:
    """The process id of the server backend that runs this connection's current statement."""
    return int(conn.execute("select pg_catalog.pg_backend_pid()").fetchone()[0])


def through_pooler(conn: psycopg.Connection) -> bool:
    """Whether `conn` reaches PostgreSQL through a pooler: the pid announced at connection start is
    not the backend's."""
    return conn.info.backend_pid != server_pid(conn)


def refuse_through_pooler(conn: psycopg.Connection, verb: str, where: str) -> None:
    """Raise PoolerError when `conn` goes through a pooler: `verb` needs a session of its own."""
    if through_pooler(conn):
        raise PoolerError(
            f"{verb}: {where} is reached through a connection pooler (PgBouncer?), and {verb} needs a "
            "server session of its own (advisory lock, LISTEN or snapshot across transactions); "
            "point --db at the PostgreSQL server itself")
