"""Directory-format backups (`backup create --jobs N`): pg_dump -Fd -j N, compressed with zstd and
encrypted per file, in parallel, into ONE stored object; read back per file for restore.

Why: pg_dump's custom format compresses with zlib in one process (about 7 MB/s on the build
machine), so a backup could never beat it. Here pg_dump writes uncompressed (-Z0) with N workers
into a private working directory, and N threads compress (zstd, per chunk) and encrypt its files.

The stored object `<id>.dump.enc` is the files' sections, one after another; each section is the
stream format of module crypto (header, chunks, the last with the final flag) under the file's own
key (crypto.file_key: derived from the data key, the file's index and name), and each chunk's
plaintext is one zstd frame of at most `chunk_size` bytes of the file, so chunks compress and seal
independently (in parallel, a bounded window of them in flight) and decompress on their own. The
manifest's `files` lists every section (name, offset, size, plaintext bytes, chunks, SHA-256).

Sealing runs beside pg_dump: the working directory is watched (inotify IN_CLOSE_WRITE) and each
data file is sealed as soon as pg_dump closed it (toc.dat, written when pg_dump exits, comes
last), so the sections are stored in the order the files were finished, and a file is unlinked as
soon as its last chunk is sealed. While pg_dump runs, its uncompressed files are plaintext in the
working directory (0700, private, locked; removed on every exit, and one left
by a killed run is removed by the next backup or restore): set TMPDIR to a private volume with
room for it.

Restore rebuilds the directory in a private working directory the same way (module spool), each
file decrypted, decompressed and checked by one of N threads from its own section (a ranged read
of the stored object), then runs pg_restore -Fd -j N on it. pg_restore opens the files by name and
accepts only regular files (named pipes and symlinks to /dev/fd are refused: "is not a regular
file"), so unlike a single-file backup's restore the plaintext has names while it runs.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import select
import stat
import struct
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import crypto, spool
from .crypto import IntegrityError
from .manifest import STREAM_FILE, Manifest, dump_name
from .store import Store

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$")
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
DEFAULT_LEVEL = 1  # zstd, 1..19: on pg_dump text, level 1 compresses as well as zlib -6 at 15x the speed


def return_freed_buffers() -> None:
    """Fix glibc's mmap threshold at 1 MiB, so the 1-16 MiB buffers that sealing threads and the
    S3 upload's threads allocate go back to the system when freed. Left dynamic, glibc raises it
    (up to 32 MiB) after the first such free, and later buffers stay in per-thread arenas: a backup
    to S3 peaked at 190-236 MB whatever its part settings, 146 MB with this."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, 1 << 20)


def bound(chunk_size: int) -> int:
    """The largest plaintext of a chunk: a zstd frame of chunk_size bytes (ZSTD_compressBound is
    n + n/256 + a few bytes, so this leaves room)."""
    return chunk_size + (chunk_size >> 7) + 512


def _compressor(level: int) -> Callable[[bytes], bytes]:
    import zstandard

    local = threading.local()  # one compressor per thread: an instance is not thread-safe

    def compress(data: bytes) -> bytes:
        c = getattr(local, "c", None)
        if c is None:
            c = local.c = zstandard.ZstdCompressor(level=level, write_content_size=True)
        return c.compress(data)

    return compress


class _ClosedFiles:
    """Names of the files closed after writing in one directory (Linux inotify IN_CLOSE_WRITE);
    `None` of it elsewhere: then every file is sealed once pg_dump has exited."""

    IN_CLOSE_WRITE = 0x8
    IN_NONBLOCK = 0o4000
    IN_CLOEXEC = 0o2000000
    EVENT = struct.Struct("iIII")

    def __init__(self, directory: Path):
        self.fd = -1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(self.IN_NONBLOCK | self.IN_CLOEXEC)
        except (OSError, AttributeError):
            return
        if fd < 0:
            return
        if libc.inotify_add_watch(fd, str(directory).encode(), self.IN_CLOSE_WRITE) < 0:
            os.close(fd)
            return
        self.fd = fd

    def read(self, timeout: float) -> list[str]:
        if self.fd < 0:
            time.sleep(timeout)
            return []
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        try:
            buf = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return []
        names, at = [], 0
        while at + self.EVENT.size <= len(buf):
            _, mask, _, length = self.EVENT.unpack_from(buf, at)
            raw = buf[at + self.EVENT.size : at + self.EVENT.size + length]
            at += self.EVENT.size + length
            if mask & self.IN_CLOSE_WRITE and raw.rstrip(b"\0"):
                names.append(raw.rstrip(b"\0").decode(errors="replace"))
        return names

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def finished_files(
    directory: Path, proc: subprocess.Popen[bytes], failed: Callable[[], None]
) -> Iterator[str]:
    """The files of pg_dump -Fd's output `directory` (made empty beforehand, so pg_dump writes
    into it), each as soon as pg_dump closed it, so sealing runs beside the dump; toc.dat and
    whatever is left once pg_dump exited come last (after `failed()`, which raises if it failed).
    pg_dump -Fd writes each data file once, start to end, and toc.dat when it closes the archive."""
    watch = _ClosedFiles(directory)
    done: set[str] = set()
    try:
        while proc.poll() is None:
            for name in watch.read(0.5):
                if name != "toc.dat" and name not in done and (directory / name).exists():
                    done.add(name)
                    yield name
        failed()
        for name in sorted(p.name for p in directory.iterdir()):
            if name not in done:  # those in `done` are sealed, or still in the window
                done.add(name)
                yield name
    finally:
        watch.close()


def seal_directory(
    directory: Path,
    names: Iterable[str],
    data_key: bytes,
    nonce_id: bytes,
    jobs: int,
    level: int,
    chunk_size: int,
    files: list[dict[str, Any]],
) -> Iterator[bytes]:
    """The stored object for pg_dump's output directory: the section of each file `names` gives
    (as pg_dump finishes it), its chunks compressed and sealed by `jobs` threads, in order, at
    most 2*jobs+2 chunks in flight. Appends the manifest's entries to `files` in that order; each
    file is unlinked once its section is complete."""
    compress = _compressor(level)
    header = crypto.stream_header(nonce_id, bound(chunk_size))
    window = 2 * jobs + 2
    offset = 0

    def work(aead: AESGCM, counter: int, final: bool, block: bytes) -> bytes:
        frame = compress(block)
        if len(frame) > bound(chunk_size):  # cannot happen with zstd; never write a chunk restore refuses
            raise IntegrityError(f"a compressed chunk of {len(block)} bytes grew to {len(frame)}")
        return crypto.seal_chunk(aead, header, counter, final, frame)

    # (entry, its hasher, a sealed chunk or its future, whether it ends the file)
    pending: deque[tuple[dict[str, Any], Any, Future[bytes] | bytes, bool]] = deque()

    def emit() -> bytes:
        nonlocal offset
        entry, hasher, out, last = pending.popleft()
        data = out if isinstance(out, bytes) else out.result()
        hasher.update(data)
        entry["stored"] += len(data)
        if last:
            entry["offset"] = offset
            entry["sha256"] = hasher.hexdigest()
            offset += entry["stored"]
            files.append(entry)
            with suppress(FileNotFoundError):
                (directory / entry["name"]).unlink()
        return data

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="seal") as pool:
        try:
            for index, name in enumerate(names):
                if not NAME_RE.match(name) or not stat.S_ISREG((directory / name).lstat().st_mode):
                    raise IntegrityError(f"unexpected entry {name[:60]!r} in pg_dump's output directory")
                aead = AESGCM(crypto.file_key(data_key, nonce_id, index, name))
                with (directory / name).open("rb") as fh:
                    size = os.fstat(fh.fileno()).st_size
                    count = max(1, -(-size // chunk_size))
                    entry: dict[str, Any] = {
                        "name": name, "offset": 0, "stored": 0, "bytes": size, "chunks": count
                    }
                    hasher = hashlib.sha256()
                    pending.append((entry, hasher, header, False))
                    for counter in range(count):
                        block = fh.read(chunk_size)
                        if len(block) != min(chunk_size, size - counter * chunk_size):
                            raise IntegrityError(f"{name} changed size while it was encrypted")
                        last = counter == count - 1
                        pending.append((entry, hasher, pool.submit(work, aead, counter, last, block), last))
                        while len(pending) > window:
                            yield emit()
                    if fh.read(1):
                        raise IntegrityError(f"{name} grew while it was encrypted (written after its close)")
            while pending:
                yield emit()
        finally:
            for *_, out, _last in pending:
                if isinstance(out, Future):
                    out.cancel()


def seal_stream(
    source: BinaryIO,
    data_key: bytes,
    nonce_id: bytes,
    jobs: int,
    level: int,
    chunk_size: int,
    files: list[dict[str, Any]],
    failed: Callable[[], None],
) -> Iterator[bytes]:
    """The stored object of a streamed backup (`backup create --jobs 1`): pg_dump -Fc -Z0's
    output read from the pipe `source` in chunks of `chunk_size`, each compressed (zstd) and sealed
    by `jobs` threads as the section of one file, STREAM_FILE, at most 2*jobs+2 chunks in flight:
    the plaintext only ever exists in this process's memory. A chunk is sealed once the next read
    shows whether it is the last, and the last only after `failed()` (which raises if pg_dump
    failed) returned: a failed dump never gets a final chunk. Appends the manifest's entry to
    `files`."""
    compress = _compressor(level)
    header = crypto.stream_header(nonce_id, bound(chunk_size))
    aead = AESGCM(crypto.file_key(data_key, nonce_id, 0, STREAM_FILE))
    entry: dict[str, Any] = {"name": STREAM_FILE, "offset": 0, "stored": 0, "bytes": 0, "chunks": 0}
    hasher = hashlib.sha256()
    window = 2 * jobs + 2

    def work(counter: int, final: bool, block: bytes) -> bytes:
        frame = compress(block)
        if len(frame) > bound(chunk_size):  # cannot happen with zstd; never write a chunk restore refuses
            raise IntegrityError(f"a compressed chunk of {len(block)} bytes grew to {len(frame)}")
        return crypto.seal_chunk(aead, header, counter, final, frame)

    def out(data: bytes) -> bytes:
        hasher.update(data)
        entry["stored"] += len(data)
        return data

    pending: deque[Future[bytes]] = deque()
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="seal") as pool:
        try:
            yield out(header)
            block = source.read(chunk_size)
            while True:
                following = source.read(chunk_size) if block else b""
                last = not following
                if last:
                    failed()
                entry["bytes"] += len(block)
                pending.append(pool.submit(work, entry["chunks"], last, block))
                entry["chunks"] += 1
                while len(pending) > window or (last and pending):
                    yield out(pending.popleft().result())
                if last:
                    break
                block = following
        finally:
            for f in pending:
                f.cancel()
    entry["sha256"] = hasher.hexdigest()
    files.append(entry)


def check_files(m: Manifest) -> list[dict[str, Any]]:
    """The manifest's file list, checked for shape (the MACs already vouch for its content):
    contiguous sections covering the object, valid and distinct names, toc.dat among them (or,
    for a streamed backup, the one file STREAM_FILE)."""
    at, names = 0, set()
    for e in m.files:
        ok = (
            isinstance(e, dict)
            and isinstance(e.get("name"), str)
            and NAME_RE.match(e["name"])
            and all(isinstance(e.get(k), int) and e[k] >= 0 for k in ("offset", "stored", "bytes", "chunks"))
            and isinstance(e.get("sha256"), str)
            and e["offset"] == at
            and e["name"] not in names
        )
        if not ok:
            raise IntegrityError(f"backup {m.backup_id}: the manifest's file list is malformed")
        names.add(e["name"])
        at += e["stored"]
    wanted = names == {STREAM_FILE} if m.stream else "toc.dat" in names and STREAM_FILE not in names
    if at != m.stored_bytes or not wanted:
        raise IntegrityError(f"backup {m.backup_id}: the manifest's file list does not cover the dump")
    return m.files


def _decompress(frame: bytes, limit: int, what: str) -> bytes:
    import zstandard

    try:
        data = zstandard.ZstdDecompressor().decompress(frame, max_output_size=limit)
    except zstandard.ZstdError as exc:
        raise IntegrityError(f"{what}: a chunk does not decompress ({str(exc)[:80]})") from None
    if len(data) > limit:
        raise IntegrityError(f"{what}: a chunk decompresses to more than {limit} bytes")
    return data


def file_plaintext(
    reader: crypto.Reader, m: Manifest, data_key: bytes, index: int, entry: dict[str, Any]
) -> Iterator[bytes]:
    """One file's verified plaintext from its section at the reader's position; checks its
    chunks, plaintext size, and the section's size and SHA-256 against the manifest."""
    what = f"file {entry['name']} of backup {m.backup_id}"
    nonce_id = bytes.fromhex(m.nonce_id)
    key = crypto.file_key(data_key, nonce_id, index, entry["name"])
    start = reader.consumed
    reader.hasher = hashlib.sha256()
    chunks, size = 0, 0
    try:
        for frame in crypto.decrypt_section(reader, key, nonce_id, what):
            plain = _decompress(frame, m.chunk_size, what)
            chunks += 1
            size += len(plain)
            yield plain
        digest = reader.hasher.hexdigest()
    finally:
        reader.hasher = None
    if reader.consumed - start != entry["stored"] or not crypto.hmac_equal(digest, entry["sha256"]):
        raise IntegrityError(f"{what}: its section's size or SHA-256 differs from the manifest")
    if chunks != entry["chunks"] or size != entry["bytes"]:
        raise IntegrityError(f"{what}: {chunks} chunks, {size} bytes; the manifest says otherwise")


def verify_directory(store: Store, m: Manifest, data_key: bytes) -> int:
    """Read the whole object once: every file's section authenticates, decompresses and matches
    the manifest, nothing follows the last, and the object's size and SHA-256 match. Returns the
    number of chunks read."""
    files = check_files(m)
    hasher = hashlib.sha256()
    size = 0

    def ciphertext() -> Iterator[bytes]:
        nonlocal size
        for block in store.read_stream(dump_name(m.backup_id)):
            hasher.update(block)
            size += len(block)
            yield block

    reader = crypto.Reader(ciphertext())
    chunks = 0
    for index, entry in enumerate(files):
        for _ in file_plaintext(reader, m, data_key, index, entry):
            chunks += 1
    if reader.read_exact(1) is not None:
        raise IntegrityError(f"backup {m.backup_id}: bytes after its last file (the dump was tampered with)")
    if size != m.stored_bytes or hasher.hexdigest() != m.sha256:
        raise IntegrityError(f"backup {m.backup_id}: the dump's SHA-256 or size differs from its manifest")
    return chunks


def read_file(store: Store, m: Manifest, data_key: bytes, index: int) -> Iterator[bytes]:
    """One file's verified plaintext, read with a ranged read of its section."""
    entry = m.files[index]
    reader = crypto.Reader(store.read_stream(dump_name(m.backup_id), entry["offset"], entry["stored"]))
    yield from file_plaintext(reader, m, data_key, index, entry)
    if reader.read_exact(1) is not None:  # a store that returned more than asked
        raise IntegrityError(f"file {entry['name']} of backup {m.backup_id}: bytes after its section")


def decrypt_directory(store: Store, m: Manifest, data_key: bytes, workdir: Path, jobs: int) -> Path:
    """pg_dump's directory rebuilt in `workdir` (private, 0700; module spool) for pg_restore:
    each file decrypted, decompressed and checked by one of `jobs` threads into a 0600 file.
    pg_restore -Fd opens its files by name and refuses anything but regular files (named pipes
    and symlinks to /dev/fd are refused with "is not a regular file"), so these are named: the
    working directory is removed on every exit the process lives through, and one left by a killed
    restore is removed by the next restore or backup."""
    files = check_files(m)
    directory = workdir / "dump"
    directory.mkdir(mode=0o700)

    def one(index: int) -> None:
        path = directory / files[index]["name"]
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                for block in read_file(store, m, data_key, index):
                    fh.write(block)
        except OSError as exc:
            if exc.errno in spool.NO_SPACE:
                raise spool.no_space(workdir.parent, exc, m.dump_bytes, streamable=False) from None
            raise

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="decrypt") as pool:
        for f in [pool.submit(one, i) for i in range(len(files))]:
            f.result()
    return directory
