"""`backup verify/restore/drill`: check a backup end to end before touching any target, restore
it with pg_restore, then prove the result with a health check.

Order of a restore: the manifest (operator MAC, project, key, data-key MAC) → the target is
reachable and empty (read only) → every chunk of the dump is read, hashed and authenticated →
only then pg_restore runs.
With --jobs 1 the verified plaintext is streamed into pg_restore's stdin; parallel jobs need a
seekable archive, so the plaintext goes to a private (0600) temporary file that is removed after.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ..errors import BadInputError, LokdarpanError
from ..migrate.engine import Engine
from ..migrate.plan import Plan
from ..migrate.registry import Committer
from . import crypto, pgtools
from .catalog import Entry, find
from .crypto import IntegrityError
from .dump import CreateReport, create_backup
from .manifest import Manifest, dump_name
from .store import Store


class RestoreFailedError(LokdarpanError):
    """pg_restore failed, or the restored database failed its health check."""


@dataclass
class VerifyReport:
    backup_id: str
    stored_bytes: int
    chunks: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup_id": self.backup_id,
            "stored_bytes": self.stored_bytes,
            "chunks": self.chunks,
            "verified": True,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Health:
    plan_change: str | None
    verified: int
    tables_checked: int
    mismatched: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    integrity: str = "absent"
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "plan_change": self.plan_change,
            "verify_scripts_passed": self.verified,
            "tables_checked": self.tables_checked,
            "row_count_mismatches": {
                t: {"manifest": a, "restored": b} for t, (a, b) in self.mismatched.items()
            },
            "validate_data_integrity": self.integrity,
            "problems": self.problems,
        }


@dataclass
class RestoreReport:
    backup_id: str
    target: str
    verify_seconds: float
    restore_seconds: float
    health_seconds: float
    health: Health

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup_id": self.backup_id,
            "target": self.target,
            "verify_seconds": round(self.verify_seconds, 3),
            "restore_seconds": round(self.restore_seconds, 3),
            "health_seconds": round(self.health_seconds, 3),
            "health": self.health.as_dict(),
        }


def open_manifest(
    store: Store, ref: str, keyring: crypto.Keyring, project: str, scope: str = "full"
) -> tuple[Entry, Manifest, bytes]:
    """The backup's entry, manifest and data key, after the structural, operator-MAC, project, key
    and data-key MAC checks. `latest` is the newest verified backup of this project."""
    entry = find(store, ref, keyring, scope, project)
    if entry.manifest is None or not entry.verified:
        raise IntegrityError(f"backup {entry.backup_id}: {entry.problem}")
    m = entry.manifest
    if m.project != project:
        raise BadInputError(f"backup {m.backup_id} belongs to project {m.project!r}, not {project!r}")
    return entry, m, m.data_key(keyring)


def _plaintext(store: Store, m: Manifest, data_key: bytes):
    hasher = hashlib.sha256()
    size = 0

    def ciphertext():
        nonlocal size
        for block in store.read_stream(dump_name(m.backup_id)):
            hasher.update(block)
            size += len(block)
            yield block

    yield from crypto.decrypt_stream(data_key, bytes.fromhex(m.nonce_id), ciphertext())
    if size != m.stored_bytes or hasher.hexdigest() != m.sha256:
        raise IntegrityError(f"backup {m.backup_id}: the dump's SHA-256 or size differs from its manifest")


def verify_backup(store: Store, ref: str, keyring: crypto.Keyring, project: str) -> VerifyReport:
    """Read every chunk, authenticate it and check size and SHA-256 against the manifest."""
    t0 = time.perf_counter()
    _, m, dk = open_manifest(store, ref, keyring, project)
    chunks = sum(1 for _ in _plaintext(store, m, dk))
    if chunks != m.chunks:
        raise IntegrityError(f"backup {m.backup_id}: {chunks} chunks, the manifest says {m.chunks}")
    return VerifyReport(m.backup_id, m.stored_bytes, chunks, time.perf_counter() - t0)


def target_objects(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute(
            "select (select count(*) from pg_catalog.pg_class c join pg_catalog.pg_namespace n"
            "          on n.oid = c.relnamespace"
            "         where n.nspname not in ('pg_catalog', 'information_schema')"
            "           and n.nspname not like 'pg\\_%%')"
            "     + (select count(*) from pg_catalog.pg_extension where extname <> 'plpgsql')"
        ).fetchone()[0]


def restore_backup(
    store: Store,
    ref: str,
    target: str,
    keyring: crypto.Keyring,
    project: str,
    plan: Plan,
    jobs: int = 2,
    overwrite: bool = False,
    workdir: Path | None = None,
) -> RestoreReport:
    if not 1 <= jobs <= 64:
        raise BadInputError(f"--jobs must be 1..64, got {jobs}")
    t0 = time.perf_counter()
    _, m, dk = open_manifest(store, ref, keyring, project)
    try:
        existing = target_objects(target)
    except psycopg.OperationalError as exc:
        raise BadInputError(f"cannot reach the restore target: {' '.join(str(exc).split())}") from None
    if existing and not overwrite:
        raise BadInputError(
            f"the restore target is not empty ({existing} objects); give --overwrite to "
            "replace what the backup holds"
        )
    verify_backup(store, m.backup_id, keyring, project)
    if existing and overwrite:
        recreate_database(target)
    t1 = time.perf_counter()
    args = [pgtools.program("pg_restore"), "--exit-on-error", "--dbname", _dbname(target)]
    env = pgtools.env_for(target)
    if jobs > 1:
        fd, tmp = tempfile.mkstemp(prefix=f"{m.backup_id}-", suffix=".dump", dir=workdir)
        try:
            with os.fdopen(fd, "wb") as fh:
                for block in _plaintext(store, m, dk):
                    fh.write(block)
            res = subprocess.run(
                [*args, f"--jobs={jobs}", tmp], capture_output=True, text=True, env=env, check=False
            )
        finally:
            Path(tmp).unlink(missing_ok=True)
    else:
        res = _stream_restore(args, env, _plaintext(store, m, dk))
    if res.returncode != 0:
        raise RestoreFailedError("pg_restore failed: " + pgtools.last_line(res.stderr))
    if m.database_settings:
        from .dump import apply_database_settings

        with psycopg.connect(target, autocommit=True) as conn:
            apply_database_settings(conn, m.database_settings)
    t2 = time.perf_counter()
    health = health_check(target, m, plan)
    t3 = time.perf_counter()
    report = RestoreReport(m.backup_id, _dbname(target), t1 - t0, t2 - t1, t3 - t2, health)
    if not health.ok:
        raise RestoreFailedError(
            f"restored {m.backup_id}, but the health check failed: {'; '.join(health.problems)}"
        )
    return report


def recreate_database(conninfo: str) -> None:
    """--overwrite: drop the target database and create it empty again, with the same owner.

    pg_restore --clean cannot replace a partitioned table (it drops each partition's inherited
    constraints one by one, which PostgreSQL refuses), so the target starts empty instead; the
    manifest's database-level settings are applied after the restore."""
    from psycopg.conninfo import make_conninfo

    name = _dbname(conninfo)
    with psycopg.connect(make_conninfo(conninfo, dbname="postgres"), autocommit=True) as conn:
        owner = conn.execute(
            "select pg_catalog.pg_get_userbyid(datdba) from pg_catalog.pg_database where datname = %s",
            (name,),
        ).fetchone()
        if owner is None:
            raise BadInputError(f"the restore target database {name} does not exist")
        conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("create database {} owner {} template template0").format(
                sql.Identifier(name), sql.Identifier(owner[0])
            )
        )


def _dbname(conninfo: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(conninfo).get("dbname") or "")


def _stream_restore(args: list[str], env: dict[str, str], plaintext) -> subprocess.CompletedProcess:
    with tempfile.TemporaryFile() as errfile:
        proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stderr=errfile, stdout=subprocess.DEVNULL, env=env
        )
        assert proc.stdin is not None
        try:
            for block in plaintext:
                proc.stdin.write(block)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        rc = proc.wait()
        errfile.seek(0)
        return subprocess.CompletedProcess(args, rc, "", errfile.read().decode(errors="replace"))


def health_check(conninfo: str, m: Manifest, plan: Plan) -> Health:
    """The deployed plan matches the manifest, every verify script passes (full backups), row
    counts per table equal the manifest's, and validate_data_integrity() passes when present."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        from .dump import deployed_change

        change, change_id = deployed_change(conn, m.project)
        h = Health(plan_change=change, verified=0, tables_checked=0)
        if m.scope == "full" and change_id != m.plan_change_id:
            h.problems.append(f"deployed change is {change!r}, the backup had {m.plan_change!r}")
        if m.scope == "full" and change_id is not None:
            try:
                result = Engine(conn, plan, Committer("backup", "db@lokdarpan.in")).verify()
                h.verified = len(result.ok)
                h.problems += [f"verify {name}: {why}" for name, why in result.failed]
            except LokdarpanError as exc:
                h.problems.append(f"verify: {exc}")
        for table, want in m.tables.items():
            schema, name = table.split(".", 1)
            try:
                got = conn.execute(
                    sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
                ).fetchone()[0]
            except psycopg.Error:
                got = None
            h.tables_checked += 1
            if got != want:
                h.mismatched[table] = (want, got)
        if h.mismatched:
            h.problems.append(
                f"row counts differ in {len(h.mismatched)} table(s): "
                + ", ".join(f"{t} {a}→{b}" for t, (a, b) in list(h.mismatched.items())[:5])
            )
        if m.scope == "full":
            from .dump import database_settings

            if database_settings(conn) != m.database_settings:
                h.problems.append("database settings differ from the backup's")
        fn = conn.execute("select to_regproc('validate_data_integrity') is not null").fetchone()[0]
        if fn:
            rows = conn.execute("select check_name, status from validate_data_integrity()").fetchall()
            failed = [name for name, status in rows if str(status).upper() == "FAIL"]
            h.integrity = "FAIL: " + ", ".join(failed) if failed else f"PASS ({len(rows)} checks)"
            if failed:
                h.problems.append("validate_data_integrity() failed: " + ", ".join(failed))
    return h


@dataclass
class DrillReport:
    create: CreateReport
    restore: RestoreReport
    scratch: str
    drop_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup": self.create.as_dict(),
            "restore": self.restore.as_dict(),
            "scratch_database": self.scratch,
            "seconds": {
                "create": round(self.create.seconds, 3),
                "verify": round(self.restore.verify_seconds, 3),
                "restore": round(self.restore.restore_seconds, 3),
                "health": round(self.restore.health_seconds, 3),
                "drop": round(self.drop_seconds, 3),
            },
        }


def drill(
    conninfo: str, store: Store, keyring: crypto.Keyring, project: str, plan: Plan, jobs: int = 2
) -> DrillReport:
    """create → restore into a scratch database on the same server → health check → drop."""
    from ..devtools.scratch import create_database, drop_database

    created = create_backup(conninfo, store, keyring, project, "full")
    scratch = create_database(conninfo, "lokdarpan_drill")
    try:
        restored = restore_backup(
            store, created.manifest.backup_id, scratch, keyring, project, plan, jobs=jobs
        )
    finally:
        t = time.perf_counter()
        drop_database(conninfo, scratch)
        dropped = time.perf_counter() - t
    return DrillReport(created, restored, _dbname(scratch), dropped)
