"""Where backups are kept: a local directory or an S3 bucket, behind one small interface.

A store writes an object from a stream atomically (all of it, or nothing left behind), reads it
back as a stream, and lists, reads, writes and deletes small objects (manifests).

A run killed mid-write (kill -9, a power cut) cannot clean up after itself: it leaves a hidden
partial file (directory) or an unfinished multipart upload (S3). `leftovers()` finds them and
says whether a live backup may still be writing each; `remove_leftover()` removes one only when
none can be (issue 19, finding 9)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from ...errors import BadInputError, LokdarpanError

# A leftover with no sign of a live writer for this long is abandoned: S3 cannot tell a live upload
# from a dead one except by its activity (a live backup uploads a part every few seconds).
STALE_AFTER = timedelta(hours=1)


class StoreError(LokdarpanError):
    """The destination refused or failed (unreachable, full, permission denied)."""


class DestinationMissingError(BadInputError):
    """A directory destination that does not exist (a typo in --dest), or is not a directory."""


@dataclass(frozen=True)
class StoredObject:
    name: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class Leftover:
    """What a killed run left behind: a partial file or an unfinished multipart upload."""

    name: str  # the object it was to become
    kind: str  # "partial file" or "multipart upload"
    size: int
    modified: datetime  # its last activity (the file's mtime; the upload's newest part)
    live: bool  # a running backup may still be writing it: never removed
    handle: str  # the partial file's name, or the upload id

    def as_dict(self, now: datetime) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "bytes": self.size,
            "idle_seconds": round(max((now - self.modified).total_seconds(), 0.0), 1),
            "live": self.live,
        }


class Store(Protocol):
    location: str

    def write_stream(self, name: str, chunks: Iterator[bytes]) -> int: ...
    def read_stream(self, name: str, start: int = 0, length: int | None = None) -> Iterator[bytes]: ...
    def put(self, name: str, data: bytes) -> None: ...
    def get(self, name: str) -> bytes: ...
    def list(self) -> list[StoredObject]: ...
    def delete(self, name: str) -> None: ...
    def leftovers(self, stale_after: timedelta = STALE_AFTER) -> list[Leftover]: ...
    def remove_leftover(self, leftover: Leftover, stale_after: timedelta = STALE_AFTER) -> bool: ...


def open_store(dest: str, missing_ok: bool = False) -> Store:
    """`s3://bucket/prefix` or a directory path. Reading a directory that does not exist is an
    error (a typo must not read as "no backups") unless `missing_ok` (the default destination,
    before the first backup made it); writing creates it either way."""
    if dest.startswith("s3://"):
        from .s3 import S3Store

        return S3Store.from_url(dest)
    if "://" in dest:
        raise StoreError(f"unknown destination {dest!r}: give a directory or s3://bucket/prefix")
    from .local import LocalStore

    return LocalStore(Path(dest), missing_ok=missing_ok)
