"""`backup create`: pg_dump from a snapshot, compressed and sealed (AES-256-GCM) straight into a
store, with its manifest. Nothing is held whole in memory.

- `--jobs 1` (streamed): pg_dump's custom format, uncompressed (-Z0), read from its stdout a
  chunk at a time, compressed (zstd) and sealed by threads (module parallel): no plaintext
  touches disk.
- `--jobs N > 1` (parallel): pg_dump -Fd -j N into a private working directory, each file sealed
  as pg_dump finishes it (module parallel): the uncompressed files are plaintext on disk while
  pg_dump writes them (docs/backup-restore.md, "Where the plaintext is").
- `jobs=0` (library only, the format before issue 23): pg_dump -Fc (zlib) sealed as one stream.

pg_dump runs in a process group of its own that dies with the backup (module spool): on an error,
Ctrl-C or SIGTERM the group is stopped and the working directory removed before the backup exits.

Row counts for the manifest are taken in the very snapshot pg_dump dumps (the snapshot is
exported from a repeatable-read transaction and passed with --snapshot), so the health check can
demand exact equality after a restore.

From a hot standby (issue 24, docs/scaling.md) the unlogged tables' rows cannot be read during
recovery (their data is not replicated), so pg_dump runs with --no-unlogged-table-data: their
definitions are dumped, their rows are not, and the manifest lists them in `skipped_data` (inside
both MACs). Today that is the disposable access log `ai_embedding_access`."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ..errors import BadInputError, LokdarpanError
from . import crypto, parallel, pgtools, spool
from .manifest import SCOPES, Manifest, dump_name, manifest_name
from .store import Store

TABLES_SQL = """
select n.nspname, c.relname
  from pg_catalog.pg_class as c
  join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
 where c.relkind = 'r'
   and n.nspname not in ('pg_catalog', 'information_schema')
   and n.nspname not like 'pg\\_%%'
   and not exists (select 1 from pg_catalog.pg_depend as d
                    where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid
                      and d.deptype = 'e')
   and (%(scope)s = 'full' or c.relname like 'ai\\_%%' or n.nspname = 'ai')
 order by 1, 2
"""


UNLOGGED_SQL = """
select n.nspname || '.' || c.relname
  from pg_catalog.pg_class as c
  join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
 where c.relkind = 'r' and c.relpersistence = 'u'
"""


MAX_JOBS = 64


def default_jobs() -> int:
    """`backup create`'s default --jobs: the cores this process may run on."""
    try:
        return max(1, min(MAX_JOBS, len(os.sched_getaffinity(0))))
    except (AttributeError, OSError):
        return max(1, min(MAX_JOBS, os.cpu_count() or 1))


class BackupFailedError(LokdarpanError):
    """pg_dump or the destination failed; nothing was kept."""


# pg_dump's (libpq's) words for a server that went away: a crash, an immediate shutdown, a kill.
CONNECTION_LOST = (
    "server closed the connection unexpectedly",
    "terminating connection",
    "could not receive data from server",
    "no connection to the server",
    "SSL SYSCALL error",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "connection to server",
)


def pg_dump_failure(stderr: str) -> str:
    """One line for a failed pg_dump, from its stderr: its `error:` line and the server's message,
    never the `detail: Command was: COPY …` line it ends with. A server that went away mid-dump
    (issue 19) says so first."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    error = next((ln for ln in lines if ": error: " in ln), None)
    server = next((ln for ln in lines if "Error message from server:" in ln), None)
    what = error.split(": error: ", 1)[1] if error else pgtools.last_line(stderr)
    what = re.sub(r"\s*\bPQ\w+\(\) failed[.:]?", "", what).rstrip(" .:")
    if server:
        said = server.split("Error message from server:", 1)[1].strip()
        if said and said not in what:
            what = f"{what}: {said}"
    what = " ".join(what.split())[:300]
    if any(sign in stderr for sign in CONNECTION_LOST):
        return f"the server closed the connection during the dump (pg_dump: {what}); nothing was stored"
    return f"pg_dump failed: {what}; nothing was stored"


@dataclass
class CreateReport:
    manifest: Manifest
    location: str
    seconds: float

    @property
    def throughput_mb_s(self) -> float:
        return self.manifest.dump_bytes / (1 << 20) / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup_id": self.manifest.backup_id,
            "location": self.location,
            "scope": self.manifest.scope,
            "dump_bytes": self.manifest.dump_bytes,
            "stored_bytes": self.manifest.stored_bytes,
            "sha256": self.manifest.sha256,
            "key_id": self.manifest.key_ids[0],
            "tables": len(self.manifest.tables),
            "rows": sum(self.manifest.tables.values()),
            "plan_change": self.manifest.plan_change,
            "skipped_data": self.manifest.skipped_data,
            "seconds": round(self.seconds, 3),
        }


def unlogged_tables(conn: psycopg.Connection, scope: str) -> list[str]:
    """The unlogged tables among those `scope` backs up, schema-qualified."""
    unlogged = {r[0] for r in conn.execute(UNLOGGED_SQL).fetchall()}
    return [f"{s}.{t}" for s, t in conn.execute(TABLES_SQL, {"scope": scope}).fetchall()
            if f"{s}.{t}" in unlogged]


def table_counts(conn: psycopg.Connection, scope: str, skip: list[str] | None = None) -> dict[str, int]:
    counts = {}
    for schema, table in conn.execute(TABLES_SQL, {"scope": scope}).fetchall():
        if f"{schema}.{table}" in (skip or ()):
            continue
        q = sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[f"{schema}.{table}"] = conn.execute(q).fetchone()[0]
    return counts


def database_settings(conn: psycopg.Connection) -> list[dict[str, str | None]]:
    """ALTER DATABASE … SET and ALTER ROLE … IN DATABASE … SET of this database: pg_dump keeps them
    only with --create, which a restore into an existing database cannot use, so the manifest
    carries them and the restore re-applies them. In each array's own order, so re-applying them
    one by one (each `set` appends) gives back the same arrays."""
    rows = conn.execute(
        "select r.rolname, c.setting from pg_catalog.pg_db_role_setting as s"
        " join pg_catalog.pg_database as d on d.oid = s.setdatabase"
        " left join pg_catalog.pg_roles as r on r.oid = s.setrole"
        " cross join lateral unnest(s.setconfig) with ordinality as c(setting, n)"
        " where d.datname = pg_catalog.current_database() order by 1 nulls first, c.n"
    ).fetchall()
    return [{"role": role, "setting": setting} for role, setting in rows]


def apply_database_settings(conn: psycopg.Connection, settings: list[dict[str, str | None]]) -> None:
    db = sql.Identifier(conn.info.dbname)
    for s in settings:
        name, _, value = str(s["setting"]).partition("=")
        assignment = sql.SQL("set {} = {}").format(sql.Identifier(name), sql.Literal(value))
        if s["role"]:
            conn.execute(
                sql.SQL("alter role {} in database {} ").format(sql.Identifier(s["role"]), db) + assignment
            )
        else:
            conn.execute(sql.SQL("alter database {} ").format(db) + assignment)


def deployed_change(conn: psycopg.Connection, project: str) -> tuple[str | None, str | None]:
    if not conn.execute("select to_regclass('sqitch.changes') is not null").fetchone()[0]:
        return None, None
    row = conn.execute(
        "select change, change_id from sqitch.changes where project = %s order by committed_at desc limit 1",
        (project,),
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def new_backup_id(scope: str, when: datetime) -> str:
    return f"{when:%Y%m%dT%H%M%SZ}-{scope}-{secrets.token_hex(4)}"


def create_backup(
    conninfo: str,
    store: Store,
    keyring: crypto.Keyring,
    project: str,
    scope: str = "full",
    chunk_size: int = crypto.DEFAULT_CHUNK,
    compress: int | None = None,
    jobs: int = 0,
    workdir: Path | None = None,
) -> CreateReport:
    """One encrypted backup. `jobs` 0: pg_dump's custom format (zlib level `compress`, 0-9)
    streamed as one file; `jobs` 1: pg_dump's custom format uncompressed, streamed through zstd
    (level `compress`, 1-19, default 1) and the encryptor, nothing on disk; `jobs` N > 1: pg_dump
    -Fd -j N, compressed with zstd and encrypted per file by N threads (module parallel), into
    `workdir`'s private directory (default: $LOKDARPAN_BACKUP_WORKDIR, else $TMPDIR) while
    pg_dump runs. SIGTERM is handled as Ctrl-C while it runs: pg_dump is stopped and the
    working directory removed."""
    with spool.terminate_as_interrupt():
        return _create_backup(conninfo, store, keyring, project, scope, chunk_size, compress, jobs, workdir)


def _create_backup(
    conninfo: str,
    store: Store,
    keyring: crypto.Keyring,
    project: str,
    scope: str,
    chunk_size: int,
    compress: int | None,
    jobs: int,
    workdir: Path | None,
) -> CreateReport:
    if scope not in SCOPES:
        raise BadInputError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
    if not 4096 <= chunk_size <= crypto.MAX_CHUNK:
        raise BadInputError(f"chunk size must be 4 KiB..64 MiB, got {chunk_size}")
    if not 0 <= jobs <= MAX_JOBS:
        raise BadInputError(f"--jobs must be 1..{MAX_JOBS}, got {jobs}")
    if jobs and compress is not None and not 1 <= compress <= 19:
        raise BadInputError(f"zstd compression level must be 1..19, got {compress}")
    if not jobs and compress is not None and not 0 <= compress <= 9:
        raise BadInputError(f"compression level must be 0..9, got {compress}")
    t0 = time.perf_counter()
    started = datetime.now(UTC)
    backup_id = new_backup_id(scope, started)
    nonce_id = secrets.token_bytes(16)
    data_key = crypto.new_data_key()
    # closed, not rolled back, on the way out: after a server crash psycopg would log the rollback
    # it could not do to stderr, a second message under the one error line
    with contextlib.closing(psycopg.connect(conninfo, autocommit=True)) as conn:
        conn.execute("begin isolation level repeatable read read only")
        snapshot = conn.execute("select pg_catalog.pg_export_snapshot()").fetchone()[0]
        database = conn.info.dbname
        server_version = conn.execute("show server_version").fetchone()[0]
        change, change_id = deployed_change(conn, project)
        standby = bool(conn.execute("select pg_catalog.pg_is_in_recovery()").fetchone()[0])
        skipped = unlogged_tables(conn, scope) if standby else []
        tables = table_counts(conn, scope, skip=skipped)
        settings = database_settings(conn) if scope == "full" else []
        if scope == "ai" and not tables and not skipped:
            raise BadInputError(
                f"no AI tables in {database} (tables named ai_* or in schema ai): "
                "nothing for --scope ai to back up"
            )
        args = [pgtools.program("pg_dump"), f"--snapshot={snapshot}", "--no-sync"]
        if jobs == 1:
            args += ["--format=custom", "--compress=0"]
        elif jobs:
            args += ["--format=directory", f"--jobs={jobs}", "--compress=0"]
        else:
            args.append("--format=custom")
            if compress is not None:
                args.append(f"--compress={compress}")
        if standby:
            args.append("--no-unlogged-table-data")
        if scope == "ai":
            args += [f'--table="{t.split(".", 1)[0]}"."{t.split(".", 1)[1]}"' for t in [*tables, *skipped]]
        stats = {"dump": 0, "chunks": 0}
        files: list[dict[str, Any]] = []
        level = parallel.DEFAULT_LEVEL if compress is None else compress
        if jobs == 1:
            stored, sha256 = _streamed_dump(
                args, conninfo, store, backup_id, data_key, nonce_id, level, chunk_size, workdir, files
            )
            stats = {"dump": files[0]["bytes"], "chunks": files[0]["chunks"]}
        elif jobs:
            stored, sha256 = _directory_dump(
                args, conninfo, store, backup_id, data_key, nonce_id, jobs, level, chunk_size, workdir, files
            )
            stats = {"dump": sum(f["bytes"] for f in files), "chunks": sum(f["chunks"] for f in files)}
        else:
            stored, sha256 = _custom_dump(
                args, conninfo, store, backup_id, data_key, nonce_id, chunk_size, stats
            )
        # the snapshot was needed only while pg_dump ran: a connection lost now loses nothing
        with contextlib.suppress(psycopg.OperationalError):
            conn.execute("commit")
    manifest = Manifest(
        backup_id=backup_id,
        nonce_id=nonce_id.hex(),
        project=project,
        scope=scope,
        database=database,
        server_version=server_version,
        pg_dump_version=pgtools.version("pg_dump"),
        plan_change=change,
        plan_change_id=change_id,
        started=started.isoformat(),
        finished=datetime.now(UTC).isoformat(),
        dump_bytes=stats["dump"],
        stored_bytes=stored,
        chunks=max(stats["chunks"], 1),
        chunk_size=chunk_size,
        sha256=sha256,
        database_settings=settings,
        tables=tables,
        skipped_data=skipped,
        files=files,
        compression=(
            f"pg_dump custom format (uncompressed, streamed), zstd level {level} per chunk"
            if jobs == 1
            else f"pg_dump directory format (-j {jobs}, uncompressed), zstd level {level} per chunk"
            if jobs
            else f"pg_dump custom format, zlib level {6 if compress is None else compress}"
        ),
        keys=[crypto.wrap(keyring.current, data_key, nonce_id)],
    )
    manifest.sign(data_key)
    manifest.authenticate(keyring.current)
    try:
        store.put(manifest_name(backup_id), manifest.to_json())
    except BaseException:
        store.delete(dump_name(backup_id))
        raise
    return CreateReport(manifest, store.location, time.perf_counter() - t0)


def _custom_dump(
    args: list[str],
    conninfo: str,
    store: Store,
    backup_id: str,
    data_key: bytes,
    nonce_id: bytes,
    chunk_size: int,
    stats: dict[str, int],
) -> tuple[int, str]:
    """pg_dump -Fc's stdout, sealed chunk by chunk into the store: (stored bytes, SHA-256)."""
    with tempfile.TemporaryFile() as errfile:
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=errfile, env=pgtools.env_for(conninfo)
        )
        assert proc.stdout is not None

        def plaintext() -> Iterator[bytes]:
            while block := proc.stdout.read(chunk_size):
                stats["dump"] += len(block)
                stats["chunks"] += 1
                yield block
            if proc.wait() != 0:
                errfile.seek(0)
                raise BackupFailedError(pg_dump_failure(errfile.read().decode(errors="replace")))

        hasher = _Hasher(crypto.encrypt_stream(data_key, nonce_id, plaintext(), chunk_size))
        try:
            stored = store.write_stream(dump_name(backup_id), iter(hasher))
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    return stored, hasher.hexdigest()


def _pg_dump_failed(child: spool.Child, where: Path | None = None) -> None:
    """Raise BackupFailedError (one line) if pg_dump failed; waits for it to exit."""
    if child.wait() != 0:
        said = child.stderr
        hint = ""
        if where is not None and "No space left on device" in said:
            hint = (
                f" (no room in {where}: set {spool.WORKDIR_ENV} or TMPDIR to a private volume with room "
                "for the dump, or use --jobs 1: it streams, nothing on disk)"
            )
        raise BackupFailedError(pg_dump_failure(said) + hint)


def _streamed_dump(
    args: list[str],
    conninfo: str,
    store: Store,
    backup_id: str,
    data_key: bytes,
    nonce_id: bytes,
    level: int,
    chunk_size: int,
    workdir: Path | None,
    files: list[dict[str, Any]],
) -> tuple[int, str]:
    """pg_dump -Fc -Z0's stdout, compressed and sealed chunk by chunk (one more thread compresses
    while this one reads the pipe) into the store as one section: (stored bytes, SHA-256). The
    plaintext exists only in this process's memory, a bounded window of chunks of it."""
    parallel.return_freed_buffers()
    spool.sweep(spool.base_dir(workdir))  # plaintext a killed parallel run left: this one needs no room
    child = spool.Child(args, pgtools.env_for(conninfo), stdout=subprocess.PIPE)
    try:
        assert child.proc.stdout is not None
        sealed = parallel.seal_stream(
            child.proc.stdout, data_key, nonce_id, 1, level, chunk_size, files, lambda: _pg_dump_failed(child)
        )
        hasher = _Hasher(sealed)
        stored = store.write_stream(dump_name(backup_id), iter(hasher))
    finally:
        child.stop()
    return stored, hasher.hexdigest()


def _directory_dump(
    args: list[str],
    conninfo: str,
    store: Store,
    backup_id: str,
    data_key: bytes,
    nonce_id: bytes,
    jobs: int,
    level: int,
    chunk_size: int,
    workdir: Path | None,
    files: list[dict[str, Any]],
) -> tuple[int, str]:
    """pg_dump -Fd -j N into a private working directory, then its files compressed and sealed
    in parallel into one stored object (module parallel): (stored bytes, SHA-256)."""
    parallel.return_freed_buffers()
    with spool.workdir(workdir, prefix=spool.BACKUP_PREFIX) as wd:
        out = wd / "dump"
        out.mkdir(mode=0o700)  # made empty here, so pg_dump writes into it and it can be watched
        # its own process group, stopped whole (leader and workers) before the directory is removed
        child = spool.Child([*args, f"--file={out}"], pgtools.env_for(conninfo))
        try:
            names = parallel.finished_files(out, child.proc, lambda: _pg_dump_failed(child, wd.parent))
            sealed = parallel.seal_directory(out, names, data_key, nonce_id, jobs, level, chunk_size, files)
            hasher = _Hasher(sealed)
            stored = store.write_stream(dump_name(backup_id), iter(hasher))
        finally:
            child.stop()
    return stored, hasher.hexdigest()


class _Hasher:
    def __init__(self, chunks: Iterator[bytes]):
        import hashlib

        self.chunks = chunks
        self.h = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        for c in self.chunks:
            self.h.update(c)
            yield c

    def hexdigest(self) -> str:
        return self.h.hexdigest()
