"""`lokdarpan-db backup …` (encrypted logical backups) and `lokdarpan-db pitr …` (pgBackRest)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from .. import connect
from ..backup import catalog, crypto, restore, retention
from ..backup.dump import create_backup, default_jobs
from ..backup.pitr import BACKUP_TYPES, Pitr
from ..backup.rekey import rekey
from ..backup.spool import WORKDIR_ENV
from ..backup.store import STALE_AFTER, Leftover, Store, open_store
from ..errors import PROBLEMS
from ..server.cluster import LocalCluster
from .context import Context, json_option, pass_ctx
from .output import Table, notice, out


class BackupOptions:
    def __init__(self, dest: str | None, key_file: str | None):
        self.dest = dest
        self.key_file = Path(key_file) if key_file else None

    def store(self, c: Context) -> Store:
        # a --dest that does not exist is a typo (exit 2); the default one is made by the first backup
        default = str(c.project_dir / ".lokdarpan" / "backups")
        return open_store(self.dest or default, missing_ok=not self.dest)

    def keyring(self) -> crypto.Keyring:
        return crypto.Keyring.load(self.key_file)

    def keyring_if_given(self) -> crypto.Keyring | None:
        return crypto.Keyring.load_optional(self.key_file)


def _opts() -> BackupOptions:
    return click.get_current_context().meta["lokdarpan.backup"]


def _project(c: Context) -> str:
    return c.plan().project


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


def _age(hours: float) -> str:
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def _leftover_lines(leftovers: list[Leftover], stale_minutes: int) -> list[str]:
    """What killed runs left, one line per kind of state (issue 19, finding 9)."""

    def count(xs: list[Leftover], one: str, many: str, where: str = "") -> str:
        return f"{len(xs)} {one if len(xs) == 1 else many}{where} ({_size(sum(x.size for x in xs))})"

    dead = [x for x in leftovers if not x.live]
    writing = [x for x in leftovers if x.live and x.kind == "partial file"]
    recent = [x for x in leftovers if x.live and x.kind != "partial file"]
    lines = []
    if dead:
        lines.append(
            count(dead, "unfinished upload", "unfinished uploads", " from killed runs")
            + ": `backup prune` removes them"
        )
    if writing:
        lines.append(count(writing, "backup", "backups") + " being written now by a running backup")
    if recent:
        lines.append(
            count(recent, "unfinished multipart upload", "unfinished multipart uploads")
            + f" active within {stale_minutes} min: a running backup, or one killed since; "
            f"`backup prune` aborts it once idle for {stale_minutes} min (--stale-after)"
        )
    return lines


@click.group()
@click.option(
    "--dest",
    envvar="LOKDARPAN_BACKUP_DEST",
    metavar="DIR|s3://BUCKET/PREFIX",
    help="Where backups live. Default: $LOKDARPAN_BACKUP_DEST, else .lokdarpan/backups.",
)
@click.option(
    "--key-file",
    envvar="LOKDARPAN_BACKUP_KEY_FILE",
    metavar="FILE",
    help="Wrapping keys, base64, one per line, current first. Default: $LOKDARPAN_BACKUP_KEY_FILE, "
    "else the key in $LOKDARPAN_BACKUP_KEY.",
)
@click.pass_context
def backup(ctx: click.Context, dest: str | None, key_file: str | None) -> None:
    """Encrypted logical backups: create, list, prune, verify, restore, drill, rekey.

    \b
    Examples:
      openssl rand -base64 32 > /etc/lokdarpan/backup.keys && chmod 600 /etc/lokdarpan/backup.keys
      lokdarpan-db backup --key-file /etc/lokdarpan/backup.keys --dest s3://lokdarpan-backups/db create
    """
    ctx.meta["lokdarpan.backup"] = BackupOptions(dest, key_file)


@backup.command("create")
@click.option(
    "--scope",
    type=click.Choice(["full", "ai"]),
    default="full",
    show_default=True,
    help="full = the whole database; ai = the AI tables (ai_* and schema ai) only.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    metavar="N",
    help="N > 1: pg_dump -Fd -j N into a private working directory, and N threads compressing and "
    "encrypting its files; 1: pg_dump streamed through zstd and the encryptor, nothing on disk. "
    "Default: the cores.",
)
@click.option(
    "--compress",
    type=click.IntRange(1, 19),
    default=None,
    metavar="1-19",
    help="zstd level of each chunk (default 1).",
)
@click.option(
    "--workdir",
    envvar=WORKDIR_ENV,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help=f"Where --jobs N > 1 keeps pg_dump's (plaintext) directory while it runs, in a private 0700 "
    f"directory removed on every exit. Default: ${WORKDIR_ENV}, else $TMPDIR.",
)
@json_option
@pass_ctx
def create(c: Context, scope: str, jobs: int | None, compress: int | None, workdir: str | None) -> None:
    """Dump in parallel (pg_dump -Fd -j N), compress (zstd) and encrypt (AES-256-GCM) each file
    into one object at the destination, with an authenticated manifest. With --jobs 1 pg_dump's
    output is streamed through zstd and the encryptor instead: no plaintext on disk.

    \b
    Examples:
      lokdarpan-db backup create
      lokdarpan-db backup --dest /srv/backups create --scope ai
      lokdarpan-db backup create --jobs 4 --workdir /srv/encrypted-scratch
      LOKDARPAN_BACKUP_KEY=$(cat key.b64) lokdarpan-db --json backup create --jobs 1
    """
    o = _opts()
    keyring, store = o.keyring(), o.store(c)
    target = connect.resolve(c.db, c.project_dir, notice)
    report = create_backup(
        target.conninfo,
        store,
        keyring,
        _project(c),
        scope,
        compress=compress,
        jobs=jobs or default_jobs(),
        workdir=Path(workdir) if workdir else None,
    )
    m = report.manifest
    c.emit(
        report.as_dict(),
        lambda: out.print(
            f"backup {m.backup_id} → {report.location}: {_size(m.dump_bytes)} dumped, "
            f"{_size(m.stored_bytes)} stored, {len(m.tables)} tables, {sum(m.tables.values()):,} rows, "
            f"key {m.key_ids[0]}, "
            f"{report.seconds:.1f} s",
            markup=False,
        ),
    )


@backup.command("list")
@json_option
@pass_ctx
def list_cmd(c: Context) -> None:
    """The backups at the destination, oldest first, with age, size and state.

    The state is `verified` (the manifest's MAC checks with one of your keys), `unverified: why`
    (damaged, partial, planted or edited: never counted by `latest` or `prune`) or, without a key,
    `unknown (no key)`. Under the table: what killed runs left (partial files, unfinished S3
    uploads), which `backup prune` removes.

    \b
    Examples:
      lokdarpan-db backup list
      lokdarpan-db --json backup --dest s3://lokdarpan-backups/db list
    """
    o = _opts()
    store = o.store(c)
    entries = catalog.list_backups(store, o.keyring_if_given())
    leftovers = store.leftovers()
    now = datetime.now(UTC)
    rows = [e.as_dict(now) for e in entries]
    stale_minutes = int(STALE_AFTER.total_seconds() // 60)

    def human() -> None:
        if not rows:
            out.print("no backups")
            for line in _leftover_lines(leftovers, stale_minutes):
                out.print(line, markup=False)
            return
        t = Table()
        t.add_column("backup", no_wrap=True, min_width=31)  # an id must be copyable whole
        t.add_column("state", no_wrap=True)
        for col in ("scope", "age", "stored", "dump", "plan change"):
            t.add_column(col)
        for e, r in zip(entries, rows, strict=True):
            t.add_row(
                r["backup_id"],
                "unknown (no key)" if e.status == catalog.UNKNOWN else e.status,
                r["scope"],
                _age(r["age_hours"]),
                _size(r["stored_bytes"]),
                _size(r["dump_bytes"]),
                r["plan_change"] or "-",
            )
        out.print(t)
        for e in entries:  # the reasons in full, one line each, where no column squeezes them
            if e.problem:
                out.print(f"{e.backup_id}: unverified: {e.problem}", markup=False, soft_wrap=True)
        if any(e.status == catalog.UNKNOWN for e in entries):
            out.print("no key given: manifests not verified (--key-file or $LOKDARPAN_BACKUP_KEY)")
        for line in _leftover_lines(leftovers, stale_minutes):
            out.print(line, markup=False)

    c.emit({"backups": rows, "leftovers": [x.as_dict(now) for x in leftovers]}, human)


@backup.command("prune")
@click.option("--daily", type=int, default=7, show_default=True, help="Days with a backup to keep.")
@click.option("--weekly", type=int, default=4, show_default=True, help="ISO weeks to keep.")
@click.option("--monthly", type=int, default=12, show_default=True, help="Months to keep.")
@click.option("--yearly", type=int, default=3, show_default=True, help="Years to keep.")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; delete nothing.")
@click.option(
    "--include-unverified",
    is_flag=True,
    help="Also delete unverified backups (damaged, partial, planted, or under a key you no longer hold).",
)
@click.option(
    "--stale-after",
    type=click.IntRange(0, 525600),
    default=int(STALE_AFTER.total_seconds() // 60),
    show_default=True,
    metavar="MINUTES",
    help="Abort unfinished S3 multipart uploads idle this long (a killed run's). Partial files in a "
    "directory are removed as soon as no process holds them.",
)
@json_option
@pass_ctx
def prune(
    c: Context,
    daily: int,
    weekly: int,
    monthly: int,
    yearly: int,
    dry_run: bool,
    include_unverified: bool,
    stale_after: int,
) -> None:
    """Apply grandfather-father-son retention over verified backups; the newest verified backup is
    always kept, and unverified ones never count (kept unless --include-unverified). Also removes
    what killed runs left: partial files no process holds, S3 multipart uploads idle --stale-after.

    \b
    Examples:
      lokdarpan-db backup prune --dry-run
      lokdarpan-db backup prune --daily 14 --weekly 8
      lokdarpan-db backup --dest s3://lokdarpan-backups/db prune --stale-after 180
    """
    policy = retention.Policy(daily, weekly, monthly, yearly)
    o = _opts()
    store, keyring = o.store(c), o.keyring()
    r = retention.prune(store, catalog.list_backups(store, keyring), policy, include_unverified,
                        timedelta(minutes=stale_after), dry_run)
    decision, cleanup = r.decision, r.cleanup

    def human() -> None:
        verb = "would delete" if dry_run else "deleted"
        for e, why in decision.keep:
            out.print(f"keep   {e.backup_id}  ({', '.join(why)})", markup=False)
        for e in decision.delete:
            out.print(f"{verb} {e.backup_id}" + ("" if e.verified else f"  ({e.state})"), markup=False)
        out.print(f"{len(decision.keep)} kept, {len(decision.delete)} {verb}")
        verb = "would remove" if dry_run else "removed"
        for x in cleanup.removed:
            out.print(f"{verb} {x.kind} of {x.name} from a killed run ({_size(x.size)})", markup=False)
        for x in cleanup.kept:
            why = "being written now" if x.kind == "partial file" else f"active within {stale_after} min"
            out.print(f"kept   {x.kind} of {x.name} ({_size(x.size)}): {why}", markup=False)

    c.emit(r.as_dict(), human)


@backup.command("verify")
@click.argument("backup_ref", metavar="BACKUP")
@json_option
@pass_ctx
def verify_cmd(c: Context, backup_ref: str) -> None:
    """Read a backup end to end: manifest MAC, every chunk's tag, size and SHA-256.

    \b
    Examples:
      lokdarpan-db backup verify latest
      lokdarpan-db backup verify 20261125T233000Z-full-1a2b3c4d
    """
    o = _opts()
    r = restore.verify_backup(o.store(c), backup_ref, o.keyring(), _project(c))
    c.emit(
        r.as_dict(),
        lambda: out.print(
            f"{r.backup_id}: {r.chunks} chunks, {_size(r.stored_bytes)}, all authentic ({r.seconds:.1f} s)"
        ),
    )


@backup.command("restore")
@click.argument("backup_ref", metavar="BACKUP")
@click.option(
    "--into", "into", required=True, metavar="DSN", help="The database to restore into (must exist)."
)
@click.option("--jobs", type=int, default=2, show_default=True, help="pg_restore parallel jobs.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace a non-empty database. It stays whole until the restored copy passed its health check.",
)
@click.option(
    "--keep-old",
    is_flag=True,
    help="Keep the replaced database as <target>__old_<UTC time> instead of dropping it.",
)
@click.option(
    "--workdir",
    envvar=WORKDIR_ENV,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help=f"Where the decrypted dump is kept while pg_restore reads it (not with --jobs 1 and a streamed "
    f"or single-file backup), in a private 0700 directory removed on every exit. Default: ${WORKDIR_ENV}, "
    "else $TMPDIR.",
)
@json_option
@pass_ctx
def restore_cmd(
    c: Context, backup_ref: str, into: str, jobs: int, overwrite: bool, keep_old: bool, workdir: str | None
) -> None:
    """Verify every chunk, pg_restore into a new database beside DSN, health-check it, swap it in.

    The target is never written to: a failed, interrupted or killed restore leaves it as it was
    (and at most a <target>__restore_* database, which the next restore into it drops).

    \b
    Examples:
      createdb lokdarpan_restored
      lokdarpan-db backup restore latest --into postgresql:///lokdarpan_restored
      lokdarpan-db backup restore 20261125T233000Z-full-1a2b3c4d --into "$DSN" --jobs 4
      lokdarpan-db backup restore latest --into "$DSN" --overwrite --keep-old
    """
    o = _opts()
    r = restore.restore_backup(
        o.store(c),
        backup_ref,
        connect.normalise(into),
        o.keyring(),
        _project(c),
        c.plan(),
        jobs=jobs,
        overwrite=overwrite,
        workdir=Path(workdir) if workdir else None,
        keep_old=keep_old,
    )
    h = r.health

    def human() -> None:
        out.print(
            f"restored {r.backup_id} into {r.target}: verified in {r.verify_seconds:.1f} s, restored in "
            f"{r.restore_seconds:.1f} s; health ok: plan at {h.plan_change}, "
            f"{h.verified} verify scripts passed, {h.tables_checked} tables' row counts match, "
            f"validate_data_integrity: {h.integrity}",
            markup=False,
        )
        if r.previous:
            out.print(f"the previous {r.target} is kept as {r.previous}", markup=False)
        for name in r.strays_dropped:
            out.print(f"dropped {name}, left by an interrupted restore", markup=False)
        for note in r.notes:
            out.print(note, markup=False)

    c.emit(r.as_dict(), human)


@backup.command("drill")
@click.option("--jobs", type=int, default=2, show_default=True, help="pg_restore parallel jobs.")
@json_option
@pass_ctx
def drill_cmd(c: Context, jobs: int) -> None:
    """create → restore into a scratch database → health check → drop; reports timings.

    \b
    Examples:
      lokdarpan-db backup drill
      lokdarpan-db --json backup --dest s3://lokdarpan-backups/db drill   # nightly
    """
    o = _opts()
    target = connect.resolve(c.db, c.project_dir, notice)
    r = restore.drill(target.conninfo, o.store(c), o.keyring(), _project(c), c.plan(), jobs=jobs)
    s = r.as_dict()["seconds"]

    def human() -> None:
        out.print(
            f"drill ok: {r.create.manifest.backup_id} created {s['create']} s, verified {s['verify']} s, "
            f"restored {s['restore']} s, health {s['health']} s, scratch {r.scratch} dropped {s['drop']} s",
            markup=False,
        )
        for note in r.restore.notes:
            out.print(note, markup=False)

    c.emit(r.as_dict(), human)


@backup.command("rekey")
@click.option("--dry-run", is_flag=True, help="Say what would be re-wrapped; write nothing.")
@json_option
@pass_ctx
def rekey_cmd(c: Context, dry_run: bool) -> None:
    """Re-wrap every backup's data key under the key file's current (first) key.

    \b
    Examples:
      (openssl rand -base64 32; cat backup.keys) > backup.keys.new && mv backup.keys.new backup.keys
      lokdarpan-db backup --key-file backup.keys rekey
    """
    o = _opts()
    r = rekey(o.store(c), o.keyring(), _project(c), dry_run)

    def human() -> None:
        out.print(
            f"{'would re-wrap' if dry_run else 're-wrapped'} {len(r.rewrapped)} backup(s) under key "
            f"{r.key_id}; {len(r.already)} already under it"
        )
        for bid, why in r.skipped.items():
            out.print(f"skipped {bid}: {why}", markup=False)

    c.emit(r.as_dict(), human)
    if r.skipped:
        sys.exit(PROBLEMS)


def _after_subcommand(attr: str, convert: type = str) -> Callable[..., None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is not None:  # given after the subcommand: it wins over the group's (and $…)
            setattr(ctx.meta["lokdarpan.backup"], attr, convert(value))

    return callback


# --dest and --key-file mean the same after the subcommand (`backup create --dest D`) as before it.
for _sub in backup.commands.values():
    _sub.params += [
        click.Option(["--dest"], metavar="DIR|s3://BUCKET/PREFIX", expose_value=False,
                     callback=_after_subcommand("dest"), help="Where backups live (as `backup --dest`)."),
        click.Option(["--key-file"], metavar="FILE", expose_value=False,
                     callback=_after_subcommand("key_file", Path),
                     help="Wrapping keys file (as `backup --key-file`)."),
    ]


# ---------------------------------------------------------------------------------------- pitr


def _pitr(c: Context) -> Pitr:
    return Pitr(LocalCluster(c.project_dir / ".lokdarpan"))


@click.group()
def pitr() -> None:
    """Point-in-time recovery of the embedded cluster with pgBackRest.

    \b
    Examples:
      lokdarpan-db pitr setup && lokdarpan-db pitr backup && lokdarpan-db pitr info
    """


def _keyring_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> crypto.Keyring | None:
    """The --key-file option read once, while the options are read: a key file shared with group or
    others is bad input before the standby check or anything else connects."""
    return crypto.Keyring.load_optional(Path(value) if value else None)


@pitr.command("setup")
@click.option("--repo", metavar="DIR", help="Repository directory. Default: .lokdarpan/pgbackrest/repo.")
@click.option("--retention-full", type=int, default=2, show_default=True, help="Full backups to keep.")
@click.option(
    "--key-file",
    envvar="LOKDARPAN_BACKUP_KEY_FILE",
    metavar="FILE",
    help="The backup key file: the repository passphrase is derived from its current key. "
    "Default: $LOKDARPAN_BACKUP_KEY_FILE, else $LOKDARPAN_BACKUP_KEY, else a random passphrase.",
    callback=_keyring_option,
)
@json_option
@pass_ctx
def pitr_setup(c: Context, repo: str | None, retention_full: int,
               key_file: crypto.Keyring | None) -> None:
    """Configure pgBackRest with an encrypted repository (aes-256-cbc), turn on WAL archiving
    (restarts the server), create the stanza.

    \b
    Examples:
      lokdarpan-db pitr setup --key-file /etc/lokdarpan/backup.keys
      lokdarpan-db pitr setup --repo /mnt/backup-disk/pgbackrest
    """
    r = _pitr(c).setup(repo, retention_full, key_file)
    c.emit(
        r,
        lambda: out.print(
            f"WAL archiving on; repository {r['repository']} encrypted with {r['cipher']} "
            f"(passphrase {r['cipher_pass']}); config {r['config']}",
            markup=False,
        ),
    )


@pitr.command("backup")
@click.option("--type", "kind", type=click.Choice(BACKUP_TYPES), default="full", show_default=True)
@json_option
@pass_ctx
def pitr_backup(c: Context, kind: str) -> None:
    """Take a pgBackRest base backup (full, differential or incremental).

    \b
    Examples:
      lokdarpan-db pitr backup
      lokdarpan-db pitr backup --type incr
    """
    r = _pitr(c).backup(kind)
    c.emit(
        r, lambda: out.print(f"{kind} backup {r['backup'].get('label')} in {r['seconds']} s", markup=False)
    )


@pitr.command("info")
@json_option
@pass_ctx
def pitr_info(c: Context) -> None:
    """Base backups and the archived WAL range: the window you can restore to.

    \b
    Examples:
      lokdarpan-db pitr info
    """
    r = _pitr(c).info()

    def human() -> None:
        out.print(
            f"stanza {r['stanza']}: {r['status']}; WAL {r['wal']['min']} … {r['wal']['max']}", markup=False
        )
        for b in r["backups"]:
            out.print(
                f"  {b['label']}  {b['type']}  {b['start']} → {b['stop']}  {_size(b['size'])}", markup=False
            )

    c.emit(r, human)


@pitr.command("restore")
@click.option("--to", "to", required=True, metavar="TIMESTAMP", help="An instant with a time zone.")
@click.option(
    "--into",
    "into",
    required=True,
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="A new directory for the restored cluster.",
)
@click.option("--port", type=int, default=None, help="Port for the restored cluster (default: a free one).")
@json_option
@pass_ctx
def pitr_restore(c: Context, to: str, into: Path, port: int | None) -> None:
    """Bring up a second cluster in DIR as the database was at TIMESTAMP.

    \b
    Examples:
      lokdarpan-db pitr restore --to "2026-11-25 23:40:00+05:30" --into /srv/pg-restored
    """
    new = _pitr(c).restore(to, into, port)
    data = {"root": str(new.root), "url": new.url(), "port": new.port, "to": to}
    c.emit(data, lambda: out.print(f"restored to {to}: running at {new.url()}", markup=False))
