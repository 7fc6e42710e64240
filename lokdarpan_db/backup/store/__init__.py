"""Where backups are kept: a local directory or an S3 bucket, behind one small interface.

A store writes an object from a stream atomically (all of it, or nothing left behind), reads it
back as a stream, and lists, reads, writes and deletes small objects (manifests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ...errors import LokdarpanError


class StoreError(LokdarpanError):
    """The destination refused or failed (unreachable, full, permission denied)."""


@dataclass(frozen=True)
class StoredObject:
    name: str
    size: int
    modified: datetime


class Store(Protocol):
    location: str

    def write_stream(self, name: str, chunks: Iterator[bytes]) -> int: ...
    def read_stream(self, name: str) -> Iterator[bytes]: ...
    def put(self, name: str, data: bytes) -> None: ...
    def get(self, name: str) -> bytes: ...
    def list(self) -> list[StoredObject]: ...
    def delete(self, name: str) -> None: ...


def open_store(dest: str) -> Store:
    """`s3://bucket/prefix` or a directory path."""
    if dest.startswith("s3://"):
        from .s3 import S3Store

        return S3Store.from_url(dest)
    if "://" in dest:
        raise StoreError(f"unknown destination {dest!r}: give a directory or s3://bucket/prefix")
    from .local import LocalStore

    return LocalStore(Path(dest))
