"""A backup directory: objects are written to a hidden partial file, fsynced, then renamed.

Every file (dumps, manifests, the partial files they are written through) is created 0600 and
every directory this store creates 0700, whatever the umask: a backup is readable by the user
who made it only. An existing directory keeps the mode its owner gave it.

The writer holds an exclusive flock on its partial file from creation to the rename, so a partial
file nobody holds a lock on was left by a run that died (the kernel drops the lock with the
process, kill -9 included): `leftovers()` reports it and `remove_leftover()` deletes it, taking the
lock itself first, so a live backup's partial file is never removed. Where the filesystem has no
flock, a partial file untouched for `stale_after` counts as abandoned instead."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import STALE_AFTER, DestinationMissingError, Leftover, StoredObject, StoreError

READ_BLOCK = 1 << 20
FILE_MODE = 0o600
DIR_MODE = 0o700
PARTIAL_RE = re.compile(r"^\.(?P<name>.+)\.partial$")
NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS)


class LocalStore:
    def __init__(self, root: Path, missing_ok: bool = False):
        self.root = root
        self.location = str(root)
        self.missing_ok = missing_ok  # reading a missing directory: no backups, not an error

    def _exists(self) -> bool:
        """Whether the directory is there to read; a missing one is an error unless missing_ok."""
        if self.root.is_dir():
            return True
        if self.root.exists():
            raise DestinationMissingError(f"backup destination {self.root} is not a directory")
        if self.missing_ok:
            return False
        raise DestinationMissingError(
            f"backup destination {self.root} does not exist: check --dest or $LOKDARPAN_BACKUP_DEST "
            "(`backup create` makes it)"
        )

    def _path(self, name: str) -> Path:
        if "/" in name or name.startswith("."):
            raise StoreError(f"invalid object name {name!r}")
        return self.root / name

    def _prepare(self) -> None:
        missing = [p for p in (self.root, *self.root.parents) if not p.exists()]
        try:
            for d in reversed(missing):
                d.mkdir(mode=DIR_MODE, exist_ok=True)
                os.chmod(d, DIR_MODE)  # mkdir's mode is filtered by the umask
        except OSError as exc:
            raise StoreError(f"cannot create backup directory {self.root}: {exc.strerror}") from None

    def write_stream(self, name: str, chunks: Iterator[bytes]) -> int:
        self._prepare()
        final = self._path(name)
        partial = self.root / f".{name}.partial"
        written = 0
        try:
            with os.fdopen(_open_locked(partial), "wb") as fh:
                # the umask filters os.open's mode, and a stale partial file kept its own
                os.fchmod(fh.fileno(), FILE_MODE)
                for chunk in chunks:
                    fh.write(chunk)
                    written += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
                # renamed while the lock is held: a prune never sees this partial file unlocked
                os.replace(partial, final)
            _fsync_dir(self.root)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise StoreError(
                    f"the destination {self.root} is full (no space left after "
                    f"{written:,} bytes); nothing was kept"
                ) from None
            raise StoreError(f"cannot write {final}: {exc.strerror}") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return written

    def read_stream(self, name: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The file's bytes, or `length` bytes of it from `start` (fewer if it is shorter)."""
        path = self._path(name)
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            raise StoreError(f"{path} does not exist") from None
        with fh:
            fh.seek(start)
            left = length
            while left is None or left > 0:
                block = fh.read(READ_BLOCK if left is None else min(READ_BLOCK, left))
                if not block:
                    return
                if left is not None:
                    left -= len(block)
                yield block

    def put(self, name: str, data: bytes) -> None:
        self.write_stream(name, iter([data]))

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{self._path(name)} does not exist") from None

    def _entries(self) -> list[Path]:
        if not self._exists():
            return []
        try:
            return list(self.root.iterdir())
        except OSError as exc:
            raise StoreError(f"cannot read backup directory {self.root}: {exc.strerror}") from None

    def list(self) -> list[StoredObject]:
        found = []
        for p in self._entries():
            if p.name.startswith(".") or not p.is_file():
                continue
            st = p.stat()
            found.append(StoredObject(p.name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)))
        return sorted(found, key=lambda o: o.name)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def leftovers(self, stale_after: timedelta = STALE_AFTER) -> list[Leftover]:
        """The hidden partial files: each `live` while a process holds its lock (or, without
        flock, while it was written to within `stale_after`)."""
        found = []
        now = datetime.now(UTC)
        for p in self._entries():
            m = PARTIAL_RE.match(p.name)
            if not m:
                continue
            try:
                st = p.lstat()
            except FileNotFoundError:  # renamed or removed meanwhile
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            try:
                held = _lock_held(p)
            except FileNotFoundError:
                continue
            except PermissionError:  # another user's: judged by its age alone
                held = None
            except OSError as exc:
                raise StoreError(f"cannot read {p}: {exc.strerror}") from None
            modified = datetime.fromtimestamp(st.st_mtime, UTC)
            live = held if held is not None else now - modified < stale_after
            found.append(Leftover(m["name"], "partial file", st.st_size, modified, live, p.name))
        return sorted(found, key=lambda o: o.name)

    def remove_leftover(self, leftover: Leftover, stale_after: timedelta = STALE_AFTER) -> bool:
        """Delete an abandoned partial file; False (nothing done) if a live writer holds it.
        The lock is taken first and held while unlinking, and the path must still be the file
        locked, so a backup that starts, finishes or renames meanwhile is never touched."""
        path = self.root / leftover.handle
        if not PARTIAL_RE.match(leftover.handle) or "/" in leftover.handle:
            raise StoreError(f"{leftover.handle!r} is not a partial file")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return False
        try:
            st = os.fstat(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a live backup is writing it
            except OSError as exc:
                if exc.errno not in NO_LOCKS:
                    raise
                idle = datetime.now(UTC) - datetime.fromtimestamp(st.st_mtime, UTC)
                if idle < stale_after:
                    return False
            if not _same_file(path, st):
                return False
            path.unlink()
            return True
        except OSError as exc:
            raise StoreError(f"cannot remove {path}: {exc.strerror}") from None
        finally:
            os.close(fd)


def _same_file(path: Path, st: os.stat_result) -> bool:
    try:
        now = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino)


def _open_locked(partial: Path) -> int:
    """Open (creating) the partial file and hold an exclusive flock on it, emptied. Retried if a
    prune removed the file between our open and our lock (the path then names no file, or another)."""
    for _ in range(10):
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                if exc.errno not in NO_LOCKS:  # no flock here: the age rule protects it instead
                    raise
            if _same_file(partial, os.fstat(fd)):
                os.ftruncate(fd, 0)
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    raise StoreError(f"cannot hold {partial}: it keeps being removed")


def _lock_held(path: Path) -> bool | None:
    """Whether some process holds a flock on the file; None where the filesystem has no flock."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError as exc:
            if exc.errno in NO_LOCKS:
                return None
            raise
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
