"""`backup verify/restore/drill`: check a backup end to end before touching any target, restore
it with pg_restore, then prove the result with a health check.

Order of a restore: the manifest (operator MAC, project, key, data-key MAC) → the target is
reachable and empty (read only) → every chunk of the dump is read, hashed and authenticated →
only then pg_restore runs, into a new database beside the target (module swap), which is health
checked and only then swapped in: the target stays whole until that moment, whatever happens.
A custom-format archive (a streamed `--jobs 1` backup, or a single-file one): with --jobs 1
the verified plaintext is streamed into pg_restore's stdin; parallel jobs need a seekable
archive, so the plaintext goes to a 0600 file, unlinked before it is written, in a private 0700
directory (module spool). A directory-format backup is rebuilt as named files there (module
parallel). pg_restore and its workers die with the restore.
pg_cron's extension and schema are left out of every restore (pg_cron can only live in the
database cron.database_name names, and its jobs are the server's): `lokdarpan-db schedule
install` puts the project's jobs back.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
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
from . import crypto, parallel, pgtools, spool, swap
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
    previous: str | None = None  # the target as it was, kept under this name (--keep-old)
    strays_dropped: list[str] = field(default_factory=list)  # side databases of killed restores
    skipped: list[str] = field(default_factory=list)  # TOC entries left out (pg_cron)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup_id": self.backup_id,
            "target": self.target,
            "verify_seconds": round(self.verify_seconds, 3),
            "restore_seconds": round(self.restore_seconds, 3),
            "health_seconds": round(self.health_seconds, 3),
            "health": self.health.as_dict(),
            "previous_database": self.previous,
            "stray_databases_dropped": self.strays_dropped,
            "skipped_entries": self.skipped,
            "notes": self.notes,
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


def _archive(store: Store, m: Manifest, data_key: bytes):
    """The verified plaintext of a custom-format archive: a streamed backup's one section
    (decompressed), or a single-file backup's stream."""
    if m.stream:
        return parallel.read_file(store, m, data_key, 0)
    return _plaintext(store, m, data_key)


def verify_backup(store: Store, ref: str, keyring: crypto.Keyring, project: str) -> VerifyReport:
    """Read every chunk, authenticate it and check size and SHA-256 against the manifest."""
    t0 = time.perf_counter()
    _, m, dk = open_manifest(store, ref, keyring, project)
    if m.sectioned:
        chunks = parallel.verify_directory(store, m, dk)
    else:
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
    keep_old: bool = False,
) -> RestoreReport:
    """Verify the backup, restore it into a new database beside the target, check that one, and
    only then swap it in (module swap). The target is never written to: any failure, interrupt
    or kill before the swap leaves it as it was."""
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
    name = swap.dbname(target)
    with (
        spool.terminate_as_interrupt(),
        swap.connect_maintenance(target) as admin,
        swap.restore_lock(admin, name),
    ):
        cleaned = swap.drop_strays(admin, name)
        with spool.workdir(workdir) as wd:
            side = swap.create_side(admin, name)
            swapped = False
            try:
                side_url = swap.with_dbname(target, side)
                t1 = time.perf_counter()
                skipped = _pg_restore(store, m, dk, side_url, jobs, wd, name)
                if m.database_settings:
                    from .dump import apply_database_settings

                    with psycopg.connect(side_url, autocommit=True) as conn:
                        apply_database_settings(conn, m.database_settings)
                t2 = time.perf_counter()
                health = health_check(side_url, m, plan)
                t3 = time.perf_counter()
                if not health.ok:
                    raise RestoreFailedError(
                        f"restored {m.backup_id}, but the health check failed: "
                        f"{'; '.join(health.problems)}; {name} is untouched"
                    )
                # pg_cron's jobs are the server's: never dropped with the database they live in
                cron_jobs = swap.pg_cron_jobs_in(admin, target, name)
                keep_old = keep_old or cron_jobs > 0
                with spool.signals_deferred():
                    old = swap.swap_in(admin, name, side, m.backup_id, keep_old)
                    swapped = True
            finally:
                if not swapped:
                    _drop_quietly(admin, side)
        notes = []
        if cron_jobs:
            notes.append(
                f"{name} is pg_cron's database: its {cron_jobs} pg_cron job(s) stay in the previous "
                f"{name}, kept as {old}; run `lokdarpan-db schedule install` to put the project's jobs "
                f"back, re-create any other job from {old}'s cron.job, then drop {old}"
            )
        if not keep_old:
            try:
                swap.drop(admin, old)
            except psycopg.Error as exc:
                notes.append(
                    f"the previous {name} is left as {old}: dropping it failed "
                    f"({' '.join(str(exc).split())}); the next restore into {name} drops it"
                )
    if skipped:
        notes.append(
            f"skipped {len(skipped)} pg_cron entries (the extension lives only in pg_cron's own "
            "database, and its jobs are the server's, not the backup's): re-install the schedule "
            "with `lokdarpan-db schedule install`"
        )
    return RestoreReport(
        m.backup_id,
        name,
        t1 - t0,
        t2 - t1,
        t3 - t2,
        health,
        previous=old if keep_old else None,
        strays_dropped=cleaned,
        skipped=skipped,
        notes=notes,
    )


def _drop_quietly(admin: psycopg.Connection, name: str) -> None:
    with contextlib.suppress(psycopg.Error):  # else the next restore drops it (it carries swap.MARK)
        swap.drop(admin, name)


# pg_restore -l lines of pg_cron: its extension (and comment), everything in schema cron (job
# rows, sequence values, ACLs of its tables and functions) and the ACL or comment of the schema.
_PG_CRON = re.compile(
    r"^\d+; \d+ \d+ (?:EXTENSION - pg_cron |COMMENT - EXTENSION pg_cron |(?:ACL|COMMENT|SCHEMA) - "
    r"(?:SCHEMA )?cron |[A-Z][A-Z ]* cron )"
)


def without_pg_cron(listing: str) -> tuple[str, list[str]]:
    """A pg_restore TOC list without pg_cron's entries, and the entries left out."""
    kept, skipped = [], []
    for line in listing.splitlines():
        (skipped if _PG_CRON.match(line + " ") else kept).append(line)
    return "\n".join(kept) + "\n", skipped


def restore_error(stderr: str, target: str) -> str:
    """The cause pg_restore reports first, on one line; later errors ("a worker process died
    unexpectedly") only follow from it."""
    lines = [" ".join(ln.split()) for ln in (stderr or "").splitlines() if ln.strip()]
    errors = [
        ln.removeprefix("pg_restore: error:").strip() for ln in lines if ln.startswith("pg_restore: error:")
    ]
    cause = errors[0] if errors else (lines[-1] if lines else "no output")
    if "No space left on device" in stderr or "could not extend file" in stderr:
        if "No space left on device" not in cause:
            cause = next((e for e in errors if "No space left on device" in e), cause)
        return (
            f"pg_restore failed: {cause} (the tablespace of {target} is full: the restore needs room "
            f"for the old and the new database side by side until the swap; free space there); "
            f"{target} is untouched"
        )
    return f"pg_restore failed: {cause}; {target} is untouched"


def _pg_restore(
    store: Store, m: Manifest, dk: bytes, side_url: str, jobs: int, wd: Path, target: str
) -> list[str]:
    """pg_restore of the backup into the side database, pg_cron's entries left out. Returns them."""
    args = [pgtools.program("pg_restore"), "--exit-on-error", "--dbname", swap.dbname(side_url)]
    env = pgtools.env_for(side_url)
    if m.directory:
        # pg_restore -Fd opens its files by name, regular files only (module parallel)
        archive = parallel.decrypt_directory(store, m, dk, wd, jobs)
        args.append("--format=directory")
        listing = _toc(wd, [pgtools.program("pg_restore"), "--format=directory", "--list", str(archive)], env)
        kept, skipped = without_pg_cron(listing)
        if skipped:
            (wd / "toc.list").write_text(kept)
            args += ["--use-list", str(wd / "toc.list")]
        child = spool.Child([*args, f"--jobs={jobs}", str(archive)], env)
        try:
            rc = child.wait()
        finally:
            child.stop()
    elif jobs > 1:
        fd = spool.anonymous_file(wd, _archive(store, m, dk), need=m.dump_bytes)
        try:
            archive = f"/dev/fd/{fd}"
            listing = _toc(wd, [pgtools.program("pg_restore"), "--list", archive], env, pass_fds=(fd,))
            kept, skipped = without_pg_cron(listing)
            if skipped:
                (wd / "toc.list").write_text(kept)
                args += ["--use-list", str(wd / "toc.list")]
            child = spool.Child([*args, f"--jobs={jobs}", archive], env, pass_fds=(fd,))
            try:
                rc = child.wait()
            finally:
                child.stop()
        finally:
            os.close(fd)
    else:
        listing = _toc(wd, [pgtools.program("pg_restore"), "--list"], env, chunks=_archive(store, m, dk))
        kept, skipped = without_pg_cron(listing)
        if skipped:
            (wd / "toc.list").write_text(kept)
            args += ["--use-list", str(wd / "toc.list")]
        child = spool.Child(args, env, stdin=subprocess.PIPE)
        try:
            _feed(child, _archive(store, m, dk))
            rc = child.wait()
        finally:
            child.stop()
    if rc != 0:
        raise RestoreFailedError(restore_error(child.stderr, target))
    return skipped


def _feed(child: spool.Child, chunks) -> bool:
    """Write chunks to the child's stdin until done or the child stops reading; True if all went."""
    stdin = child.proc.stdin
    assert stdin is not None
    try:
        for block in chunks:
            stdin.write(block)
        stdin.close()
        return True
    except BrokenPipeError:
        return False
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
        with contextlib.suppress(BrokenPipeError):
            stdin.close()


def _toc(wd: Path, args: list[str], env: dict[str, str], pass_fds: tuple[int, ...] = (), chunks=None) -> str:
    """pg_restore --list of the archive (from a file, or from the head of the plaintext stream:
    the table of contents comes first, and pg_restore stops reading after it)."""
    out = wd / "toc.full"
    with out.open("wb") as fh:
        child = spool.Child(
            args,
            env,
            stdin=subprocess.PIPE if chunks is not None else None,
            pass_fds=pass_fds,
            stdout=fh.fileno(),
        )
        try:
            if chunks is not None:
                _feed(child, chunks)
            rc = child.wait()
        finally:
            child.stop()
    if rc != 0:
        raise RestoreFailedError("pg_restore --list failed: " + pgtools.last_line(child.stderr))
    return out.read_text()


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
    """create (parallel, `jobs`) → restore into a scratch database on the same server (pg_restore
    -j `jobs`) → health check → drop."""
    from ..scratch import create_database, drop_database

    created = create_backup(conninfo, store, keyring, project, "full", jobs=jobs)
    scratch = create_database(conninfo, "lokdarpan_drill")
    try:
        restored = restore_backup(
            store, created.manifest.backup_id, scratch, keyring, project, plan, jobs=jobs
        )
    finally:
        t = time.perf_counter()
        drop_database(conninfo, scratch)
        dropped = time.perf_counter() - t
    return DrillReport(created, restored, swap.dbname(scratch), dropped)
