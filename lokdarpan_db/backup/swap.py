"""Restore beside the target, then swap it in (issue 19, findings 3 and 4).

`backup restore` never writes into the target database. It restores into a new database on the
same server, `<target>__restore_<hex>`, made like the target (owner, tablespace, encoding,
locale, connection limit, database grants, comment), runs the health check there, and only then
swaps, in one transaction on the maintenance database: end the other sessions of the target,
`alter database <target> rename to <target>__old_<UTC time>`, `alter database <side> rename to
<target>`. The renamed old database is dropped after the swap unless the caller keeps it.

Until the swap commits the target is whole: a restore killed at any point (kill -9 included)
leaves the target as it was and at most a side database, which carries a comment naming its
target (`MARK`). The next restore into the same target drops such strays first; only one restore
per target runs at a time (a session advisory lock on the maintenance database, released by the
server when the restoring process dies, so a stray never belongs to a live restore).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ..errors import BadInputError, LokdarpanError

NAMEDATALEN = 63  # bytes of an identifier PostgreSQL keeps
SIDE = "__restore_"
OLD = "__old_"
MARK = "lokdarpan-db backup restore into {target}: unfinished; the next restore into it drops this"
OLD_MARK = "lokdarpan-db backup restore: {target} as it was before restoring {backup_id} ({when})"
DROP_MARK = "lokdarpan-db backup restore: {target} as it was before restoring {backup_id}; to be dropped"
LOCK_CLASS = 0x1D_0019  # first key of the advisory lock (issue 19); the second is hashtext(target)
SWAP_ATTEMPTS = 5


class SwapError(LokdarpanError):
    """The restored database could not be swapped in (the target was left untouched)."""


def dbname(conninfo: str) -> str:
    return str(conninfo_to_dict(conninfo).get("dbname") or "")


def with_dbname(conninfo: str, name: str) -> str:
    return make_conninfo(conninfo, dbname=name)


def _prefix(target: str, room: int) -> str:
    """The target's name cut (on a character boundary) so that `room` more bytes fit in 63."""
    raw = target.encode()[: NAMEDATALEN - room]
    return raw.decode(errors="ignore")


def side_name(target: str) -> str:
    return f"{_prefix(target, len(SIDE) + 8)}{SIDE}{secrets.token_hex(4)}"


def old_name(target: str, when: datetime) -> str:
    return f"{_prefix(target, len(OLD) + 20)}{OLD}{when:%Y%m%dT%H%M%S}_{secrets.token_hex(2)}"


def connect_maintenance(target: str) -> psycopg.Connection:
    """An autocommit connection to the target's server, in `postgres` (else `template1`), as the
    same role: renames, creates and drops are done from there."""
    last: psycopg.OperationalError | None = None
    for db in ("postgres", "template1"):
        try:
            return psycopg.connect(with_dbname(target, db), autocommit=True)
        except psycopg.OperationalError as exc:
            last = exc
    raise BadInputError(
        "cannot reach the restore target's server through database postgres or template1: "
        + " ".join(str(last).split())
    )


@contextmanager
def restore_lock(conn: psycopg.Connection, target: str) -> Iterator[None]:
    """One restore per target at a time; the server releases the lock if this process dies."""
    got = conn.execute(
        "select pg_catalog.pg_try_advisory_lock(%s, pg_catalog.hashtext(%s))", (LOCK_CLASS, target)
    ).fetchone()[0]
    if not got:
        row = conn.execute(
            "select l.pid from pg_catalog.pg_locks as l where l.locktype = 'advisory' and l.classid = %s"
            " and l.objid = pg_catalog.hashtext(%s)::oid and l.granted limit 1",
            (LOCK_CLASS, target),
        ).fetchone()
        raise BadInputError(
            f"another `backup restore` into {target} is running (server pid {row[0] if row else '?'}): "
            "wait for it to finish"
        )
    try:
        yield
    finally:
        with suppress(psycopg.Error):  # else the connection is gone, and the lock with it
            conn.execute(
                "select pg_catalog.pg_advisory_unlock(%s, pg_catalog.hashtext(%s))", (LOCK_CLASS, target)
            )


def strays(conn: psycopg.Connection, target: str) -> list[str]:
    """Side databases of killed restores into `target`, and old copies a killed restore was about
    to drop: found by the comment each carries, never by name alone."""
    rows = conn.execute(
        "select d.datname, pg_catalog.shobj_description(d.oid, 'pg_database')"
        "  from pg_catalog.pg_database as d"
        " where pg_catalog.shobj_description(d.oid, 'pg_database') like 'lokdarpan-db backup restore%'"
        " order by 1"
    ).fetchall()
    side = MARK.format(target=target)
    old = DROP_MARK.split("{backup_id}")[0].format(target=target)
    return [
        name
        for name, comment in rows
        if name != target
        and (comment == side or (comment.startswith(old) and comment.endswith("; to be dropped")))
    ]


def drop(conn: psycopg.Connection, name: str) -> None:
    conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def drop_strays(conn: psycopg.Connection, target: str) -> list[str]:
    names = strays(conn, target)
    for name in names:
        drop(conn, name)
    return names


def _target_row(conn: psycopg.Connection, target: str) -> dict[str, Any]:
    row = conn.execute(
        "select pg_catalog.to_jsonb(d) || pg_catalog.jsonb_build_object("
        "  'owner', pg_catalog.pg_get_userbyid(d.datdba),"
        "  'tablespace', (select t.spcname from pg_catalog.pg_tablespace as t where t.oid = d.dattablespace),"
        "  'comment', pg_catalog.shobj_description(d.oid, 'pg_database'),"
        "  'grants', (select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array("
        "                 a.privilege_type, case when a.grantee = 0 then null"
        "                                        else pg_catalog.pg_get_userbyid(a.grantee) end,"
        "                 a.is_grantable))"
        "               from pg_catalog.aclexplode(d.datacl) as a))"
        " from pg_catalog.pg_database as d where d.datname = %s",
        (target,),
    ).fetchone()
    if row is None:
        raise BadInputError(f"the restore target database {target} does not exist")
    return row[0]


def create_side(conn: psycopg.Connection, target: str) -> str:
    """A new empty database made like the target, marked as an unfinished restore."""
    d = _target_row(conn, target)
    name = side_name(target)
    opts = [
        sql.SQL("owner {}").format(sql.Identifier(d["owner"])),
        sql.SQL("template template0"),
        sql.SQL("tablespace {}").format(sql.Identifier(d["tablespace"])),
        sql.SQL("encoding {}").format(
            sql.Literal(
                conn.execute("select pg_catalog.pg_encoding_to_char(%s)", (d["encoding"],)).fetchone()[0]
            )
        ),
        sql.SQL("lc_collate {} lc_ctype {}").format(sql.Literal(d["datcollate"]), sql.Literal(d["datctype"])),
        sql.SQL("connection limit {}").format(sql.Literal(int(d["datconnlimit"]))),
    ]
    provider = d.get("datlocprovider")
    locale = d.get("daticulocale") or d.get("datlocale")
    if provider == "i":
        opts.append(sql.SQL("locale_provider icu icu_locale {}").format(sql.Literal(locale)))
        if d.get("daticurules"):
            opts.append(sql.SQL("icu_rules {}").format(sql.Literal(d["daticurules"])))
    elif provider == "b":
        opts.append(sql.SQL("locale_provider builtin builtin_locale {}").format(sql.Literal(locale)))
    elif provider == "c":
        opts.append(sql.SQL("locale_provider libc"))
    try:
        conn.execute(sql.SQL("create database {} ").format(sql.Identifier(name)) + sql.SQL(" ").join(opts))
    except psycopg.errors.InsufficientPrivilege as exc:
        raise BadInputError(
            f"cannot create the database to restore into beside {target} ({' '.join(str(exc).split())}): "
            "the restoring role needs CREATEDB and membership in the target's owner"
        ) from None
    conn.execute(
        sql.SQL("comment on database {} is {}").format(
            sql.Identifier(name), sql.Literal(MARK.format(target=target))
        )
    )
    if d.get("grants") is not None:
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("revoke all on database {} from public").format(ident))
        for privilege, grantee, grantable in d["grants"]:
            conn.execute(
                sql.SQL("grant {} on database {} to {}{}").format(
                    sql.SQL(privilege),
                    ident,
                    sql.SQL("public") if grantee is None else sql.Identifier(grantee),
                    sql.SQL(" with grant option" if grantable else ""),
                )
            )
    return name


def swap_in(conn: psycopg.Connection, target: str, side: str, backup_id: str, keep_old: bool) -> str:
    """In one transaction: end the target's other sessions, rename it away, rename the side
    database to the target's name. Returns the old database's new name. Retried when a session
    reconnects between the end of the others and the rename."""
    d = _target_row(conn, target)
    now = datetime.now(UTC)
    old = old_name(target, now)
    mark = (OLD_MARK if keep_old else DROP_MARK).format(
        target=target, backup_id=backup_id, when=now.strftime("%Y-%m-%d %H:%M:%S UTC")
    )
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with conn.transaction():
                conn.execute(
                    "select pg_catalog.pg_terminate_backend(a.pid) from pg_catalog.pg_stat_activity as a"
                    " where a.datname = %s and a.pid <> pg_catalog.pg_backend_pid()",
                    (target,),
                )
                conn.execute(
                    sql.SQL("alter database {} rename to {}").format(
                        sql.Identifier(target), sql.Identifier(old)
                    )
                )
                conn.execute(
                    sql.SQL("comment on database {} is {}").format(sql.Identifier(old), sql.Literal(mark))
                )
                conn.execute(
                    sql.SQL("comment on database {} is {}").format(
                        sql.Identifier(side), sql.Literal(d["comment"])
                    )
                )
                conn.execute(
                    sql.SQL("alter database {} rename to {}").format(
                        sql.Identifier(side), sql.Identifier(target)
                    )
                )
            return old
        except psycopg.errors.ObjectInUse as exc:
            if attempt == SWAP_ATTEMPTS:
                raise SwapError(
                    f"could not swap the restored database in: {' '.join(str(exc).split())} "
                    f"(sessions kept reconnecting to {target}); {target} is untouched"
                ) from None
            time.sleep(0.2 * attempt)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise SwapError(
                f"could not swap the restored database in: {' '.join(str(exc).split())}; {target} is "
                "untouched (the restoring role must own the target, have CREATEDB, and may end only "
                "sessions of its own roles unless it has pg_signal_backend)"
            ) from None
    raise AssertionError("unreachable")


def pg_cron_jobs_in(conn: psycopg.Connection, conninfo: str, name: str) -> int:
    """How many pg_cron jobs the database `name` holds when it is pg_cron's own database (the
    server preloads pg_cron and cron.database_name names it); 0 otherwise. Such a database is
    kept when a restore replaces it: the restored one has no pg_cron (see restore.py)."""
    row = conn.execute(
        "select pg_catalog.current_setting('shared_preload_libraries'),"
        " pg_catalog.current_setting('cron.database_name', true)"
    ).fetchone()
    libs = [x.strip() for x in (row[0] or "").split(",")]
    if "pg_cron" not in libs or (row[1] or "postgres") != name:
        return 0
    try:
        with psycopg.connect(with_dbname(conninfo, name), autocommit=True) as db:
            if db.execute("select to_regclass('cron.job') is null").fetchone()[0]:
                return 0
            return int(db.execute("select count(*) from cron.job").fetchone()[0])
    except psycopg.Error:
        return 0
