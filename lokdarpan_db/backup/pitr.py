"""Point-in-time recovery with pgBackRest for the embedded cluster: base backups plus continuous
WAL archiving into a repository directory, and restores to any instant after the
first base backup into a second cluster.

Layout beside the cluster (`<cluster root>/pgbackrest/`, 0700): pgbackrest.conf (0600), repo/
(the default repository), log/, lock/, spool/. pgBackRest runs as the postgres OS user, as the
server does.

The repository is encrypted (`repo1-cipher-type=aes-256-cbc`). Its passphrase is derived from the
operator's current backup key (HKDF, so the key kept off the machine also recovers the repository)
when one is given, else random; either way it lives only in pgbackrest.conf, which pgBackRest
reads, never in a command line or the environment of the server's archive_command.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import BadInputError, LokdarpanError
from ..server.cluster import SUPERUSER, LocalCluster, free_port
from . import crypto

PGBACKREST = "/usr/bin/pgbackrest"
STANZA = "lokdarpan"
BACKUP_TYPES = ("full", "diff", "incr")
CIPHER = "aes-256-cbc"
CIPHER_INFO = b"lokdarpan pgbackrest repo1-cipher-pass v1"
WAL_SEGMENT_RE = re.compile(r"^[0-9A-F]{24}(-[0-9a-f]{40})?(\.gz|\.lz4|\.zst|\.bz2)?$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$")


class PitrError(LokdarpanError):
    """pgBackRest failed (its message is in the error)."""


@dataclass
class Pitr:
    cluster: LocalCluster

    @property
    def root(self) -> Path:
        return self.cluster.root / "pgbackrest"

    @property
    def config(self) -> Path:
        return self.root / "pgbackrest.conf"

    @property
    def configured(self) -> bool:
        return self.config.exists()

    def _run(self, *args: str, check: bool = True) -> str:
        if not Path(PGBACKREST).exists():
            raise PitrError("pgbackrest is not installed; run `make deps`")
        res = self.cluster._run_as_owner([PGBACKREST, f"--config={self.config}", f"--stanza={STANZA}", *args])
        if check and res.returncode != 0:
            lines = [ln for ln in (res.stderr + res.stdout).splitlines() if "ERROR" in ln] or [
                res.stderr.strip()
            ]
            raise PitrError(f"pgbackrest {args[-1]} failed: {' '.join(lines[-1].split())}")
        return res.stdout

    def _configured_cipher_pass(self) -> str | None:
        """The passphrase of an earlier setup, so running setup again keeps the repository readable."""
        try:
            text = self.config.read_text()
        except OSError:
            return None
        found = re.search(r"^repo1-cipher-pass=(.+)$", text, re.M)
        return found.group(1).strip() if found else None

    # ------------------------------------------------------------------ setup
    def setup(
        self, repo: str | None = None, retention_full: int = 2, keyring: crypto.Keyring | None = None
    ) -> dict[str, Any]:
        """Write pgbackrest.conf (0600, an encrypted repository), turn on WAL archiving
        (restarting the server), create the stanza and check that a WAL segment reaches the
        repository. With a keyring the repository passphrase is derived from its current key."""
        if not self.cluster.initialized:
            raise BadInputError(f"no cluster at {self.cluster.root}; run `lokdarpan-db cluster init`")
        if not 1 <= retention_full <= 100:
            raise BadInputError(f"--retention-full must be 1..100, got {retention_full}")
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        dirs = {name: self.root / name for name in ("log", "lock", "spool")}
        if keyring is not None:
            cipher_pass = derive_cipher_pass(keyring.current)
            cipher_source = f"derived from backup key {crypto.key_id(keyring.current)}"
        elif existing := self._configured_cipher_pass():
            cipher_pass, cipher_source = existing, f"kept from the existing {self.config.name}"
        else:
            cipher_pass = base64.b64encode(secrets.token_bytes(48)).decode()
            cipher_source = f"random, only in {self.config}: keep a copy off the machine"
        lines = ["[global]"]
        if repo and "://" in repo:
            raise BadInputError(
                f"--repo {repo!r}: give a directory (S3 repositories: see docs/backup-restore.md)"
            )
        dirs["repo"] = Path(repo).resolve() if repo else self.root / "repo"
        lines.append(f"repo1-path={dirs['repo']}")
        lines += [
            f"repo1-cipher-type={CIPHER}",
            f"repo1-cipher-pass={cipher_pass}",
            f"repo1-retention-full={retention_full}",
            f"log-path={dirs['log']}",
            f"lock-path={dirs['lock']}",
            f"spool-path={dirs['spool']}",
            "log-level-console=warn",
            "log-level-file=info",
            "start-fast=y",
            "compress-type=gz",
            "compress-level=1",
            "process-max=2",
            "",
            f"[{STANZA}]",
            f"pg1-path={self.cluster.datadir}",
            f"pg1-socket-path={self.cluster.sockdir}",
            f"pg1-port={self.cluster.port}",
            f"pg1-user={SUPERUSER}",
            "",
        ]
        for d in (self.root, *dirs.values()):
            d.mkdir(parents=True, exist_ok=True)
            self.cluster._chown(d)
        os.chmod(self.root, 0o700)
        fd = os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as fh:
            os.fchmod(fh.fileno(), 0o600)  # before the passphrase is written, whatever the umask
            fh.write("\n".join(lines))
        self.cluster._chown(self.config)
        self.cluster.start()
        command = f"{PGBACKREST} --config={self.config} --stanza={STANZA} archive-push %p"
        with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("alter system set archive_mode = 'on'")
            conn.execute("alter system set wal_level = 'replica'")
            conn.execute(
                psycopg.sql.SQL("alter system set archive_command = {}").format(psycopg.sql.Literal(command))
            )
        self.cluster.stop()
        self.cluster.start()
        self._run("stanza-create")
        self._run("check")
        return {
            "config": str(self.config),
            "repository": repo or str(dirs["repo"]),
            "stanza": STANZA,
            "archive_command": command,
            "cipher": CIPHER,
            "cipher_pass": cipher_source,
        }

    def _require(self) -> None:
        if not self.configured:
            raise BadInputError(f"PITR is not set up for {self.cluster.root}; run `lokdarpan-db pitr setup`")

    # ------------------------------------------------------------------ backup / info
    def backup(self, kind: str = "full") -> dict[str, Any]:
        self._require()
        if kind not in BACKUP_TYPES:
            raise BadInputError(f"unknown backup type {kind!r}: use {', '.join(BACKUP_TYPES)}")
        self.cluster.start()
        t0 = time.perf_counter()
        self._run(f"--type={kind}", "backup")
        info = self.info()
        latest = info["backups"][-1] if info["backups"] else {}
        return {"type": kind, "seconds": round(time.perf_counter() - t0, 2), "backup": latest}

    def info(self) -> dict[str, Any]:
        self._require()
        raw = json.loads(self._run("--output=json", "info") or "[]")
        stanza = raw[0] if raw else {}
        backups = [
            {
                "label": b["label"],
                "type": b["type"],
                "start": datetime.fromtimestamp(b["timestamp"]["start"]).astimezone().isoformat(),
                "stop": datetime.fromtimestamp(b["timestamp"]["stop"]).astimezone().isoformat(),
                "size": b["info"]["size"],
                "repo_size": b["info"]["repository"]["delta"],
                "wal_start": b["archive"]["start"],
                "wal_stop": b["archive"]["stop"],
            }
            for b in stanza.get("backup", [])
        ]
        archive = stanza.get("archive", [])
        return {
            "stanza": stanza.get("name", STANZA),
            "status": stanza.get("status", {}).get("message"),
            "backups": backups,
            "wal": {
                "min": archive[0].get("min") if archive else None,
                "max": archive[0].get("max") if archive else None,
            },
        }

    # ------------------------------------------------------------------ restore
    def newest_archived(self) -> datetime | None:
        """When the newest WAL segment reached the repository (its file's time): no commit after
        that can be recovered yet. None when the repository cannot be read from here."""
        found = re.search(r"^repo1-path=(.+)$", self.config.read_text(), re.M) if self.configured else None
        if not found:
            return None
        newest = None
        try:
            for f in (Path(found.group(1).strip()) / "archive" / STANZA).rglob("*"):
                if WAL_SEGMENT_RE.match(f.name) and f.is_file():
                    newest = max(newest or 0.0, f.stat().st_mtime)
        except OSError:
            return None
        return datetime.fromtimestamp(newest, UTC) if newest else None

    def check_target(self, target: datetime) -> None:
        """Refuse, before pgBackRest runs, a target no backup and no archived WAL can reach: in the
        future, after the newest archived WAL, or before the oldest base backup finished (issue 19:
        pgBackRest's own message for these misleads)."""
        now = datetime.now(UTC)
        stops = [datetime.fromisoformat(b["stop"]) for b in self.info()["backups"]]
        if not stops:
            raise BadInputError("the repository has no base backup yet: run `lokdarpan-db pitr backup`")
        newest = max([*stops, self.newest_archived() or stops[-1]])
        shown = f"--to {_utc(target)}"
        if target > now:
            raise BadInputError(
                f"{shown} is in the future (now {_utc(now)}); the newest recoverable point is {_utc(newest)}"
            )
        if target > newest:
            raise BadInputError(
                f"{shown} is after the newest recoverable point, {_utc(newest)} (the newest WAL in the "
                "repository): archive the current WAL first (`select pg_switch_wal()`) or pick an "
                "earlier time"
            )
        if target <= min(stops):
            raise BadInputError(
                f"{shown} is not after the end of the oldest base backup, {_utc(min(stops))}: "
                "nothing earlier can be restored"
            )

    def restore(self, to: str, into: Path, port: int | None = None, start: bool = True) -> LocalCluster:
        """Restore to the instant `to` (a timestamp with a time zone) into a new cluster at `into`
        (which must not exist or be empty), started on its own port and promoted."""
        target = parse_target(to)
        if port is not None and not 1024 <= port <= 65535:
            raise BadInputError(f"--port must be 1024..65535, got {port}")
        into = into.resolve()
        if into.exists() and not into.is_dir():
            raise BadInputError(f"--into {into} is a file: give a new directory for the restored cluster")
        if into.exists() and any(into.iterdir()):
            raise BadInputError(f"{into} is not empty; restore into a new directory")
        self._require()
        if into == self.cluster.root or (self.cluster.root in into.parents and into.name == "data"):
            raise BadInputError(f"{into} is the running cluster's own directory")
        self.check_target(_as_datetime(target))
        new = LocalCluster(into, database="postgres")
        try:
            into.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInputError(f"--into {into}: cannot create it ({exc.strerror})") from None
        os.chmod(into, 0o700)
        for d in (into, new.datadir, new.sockdir):
            d.mkdir(exist_ok=True)
            new._chown(d)
        os.chmod(new.datadir, 0o700)
        try:
            self._run(
                f"--pg1-path={new.datadir}",
                "--type=time",
                f"--target={target}",
                "--target-action=promote",
                "--archive-mode=off",
                "restore",
            )
        except PitrError:
            shutil.rmtree(into, ignore_errors=True)
            raise
        conf = new.datadir / "postgresql.auto.conf"
        keep = [
            ln
            for ln in conf.read_text().splitlines()
            if not ln.startswith(("port = ", "unix_socket_directories = "))
        ]
        keep += [f"port = {port or free_port()}", f"unix_socket_directories = '{new.sockdir}'"]
        conf.write_text("\n".join(keep) + "\n")
        _copy_secrets(self.cluster, new)
        if start:
            new.start()
            _wait_promoted(new)
        return new


def _copy_secrets(old: LocalCluster, new: LocalCluster) -> None:
    """The restored cluster has the original's superuser password (its catalog came from the
    backup), so it gets the same password files: 0600, owned as the originals are."""
    for name in ("password_file", "pgpass_file"):
        src: Path | None = getattr(old, name, None)
        if src is None or not src.exists():
            continue
        dst: Path = getattr(new, name)
        st = src.stat()
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(src.read_bytes())
        if os.geteuid() == 0:
            os.chown(dst, st.st_uid, st.st_gid)


def derive_cipher_pass(backup_key: bytes) -> str:
    """repo1-cipher-pass from the operator's backup key: HKDF-SHA-256, 48 bytes, base64."""
    raw = HKDF(algorithm=hashes.SHA256(), length=48, salt=None, info=CIPHER_INFO).derive(backup_key)
    return base64.b64encode(raw).decode()


def _as_datetime(target: str) -> datetime:
    """parse_target's string back to an aware datetime."""
    return datetime.strptime(target[:-3], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00")


def parse_target(to: str) -> str:
    """An instant with a time zone, as pgBackRest wants it: UTC, `YYYY-MM-DD HH:MM:SS.ffffff+00`."""
    if not TS_RE.match(to.strip()):
        raise BadInputError(f"--to {to!r}: give a timestamp with a time zone, like 2026-11-25 23:40:00+05:30")
    try:
        when = datetime.fromisoformat(to.strip().replace(" ", "T"))
    except ValueError:
        raise BadInputError(f"--to {to!r} is not a valid timestamp") from None
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")


def _wait_promoted(cluster: LocalCluster, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            if not conn.execute("select pg_is_in_recovery()").fetchone()[0]:
                return
        time.sleep(0.3)
    raise PitrError(
        f"the restored cluster at {cluster.root} did not finish recovery in {timeout:.0f} s "
        f"(see {cluster.logfile})"
    )
