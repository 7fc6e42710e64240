"""A backup directory: objects are written to a hidden partial file, fsynced, then renamed.

Every file (dumps, manifests, the partial files they are written through) is created 0600 and
every directory this store creates 0700, whatever the umask: a backup is readable by the user
who made it only. An existing directory keeps the mode its owner gave it."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from . import StoredObject, StoreError

READ_BLOCK = 1 << 20
FILE_MODE = 0o600
DIR_MODE = 0o700


class LocalStore:
    def __init__(self, root: Path):
        self.root = root
        self.location = str(root)

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
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
            with os.fdopen(os.open(partial, flags, FILE_MODE), "wb") as fh:
                # the umask filters os.open's mode, and a stale partial file kept its own
                os.fchmod(fh.fileno(), FILE_MODE)
                for chunk in chunks:
                    fh.write(chunk)
                    written += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
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

    def read_stream(self, name: str) -> Iterator[bytes]:
        path = self._path(name)
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            raise StoreError(f"{path} does not exist") from None
        with fh:
            while block := fh.read(READ_BLOCK):
                yield block

    def put(self, name: str, data: bytes) -> None:
        self.write_stream(name, iter([data]))

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{self._path(name)} does not exist") from None

    def list(self) -> list[StoredObject]:
        if not self.root.is_dir():
            return []
        found = []
        for p in self.root.iterdir():
            if p.name.startswith(".") or not p.is_file():
                continue
            st = p.stat()
            found.append(StoredObject(p.name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)))
        return sorted(found, key=lambda o: o.name)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
