"""The backup encryption format: AES-256-GCM in chunks, a per-backup data key wrapped by the
operator's key, and a MAC over the manifest.

Stream (the stored object, `<id>.dump.enc`):

    header  = b"LDBK" | version (1 byte, 1) | backup id (16 bytes) | chunk size (4 bytes, BE)
    chunk i = length of ciphertext (4 bytes, BE) | AES-256-GCM(data key, nonce_i, plaintext_i, aad=header)
    nonce_i = i as 11 bytes big-endian | final flag (1 byte: 1 for the last chunk, else 0)

Each chunk's nonce carries its position and whether it is the last, and its tag covers the
header, so a flipped byte (tag fails), reordered or dropped chunks (counter), a truncation (no
chunk with the final flag, or bytes after it) and a header from another backup are all refused.
A data key is random per backup and never reused, so the counter nonce never repeats under a key.

Keys: the operator's wrapping keys are 32 random bytes, written base64 one per line in a key
file (first line = the current key, the others = older keys kept to read older backups) or
given in $LOKDARPAN_BACKUP_KEY. A key's id is the first 8 bytes of SHA-256(key), in hex. The data
key is wrapped with AES-256-GCM under the wrapping key (aad = backup id | key id) and stored in
the manifest; rotating a key re-wraps data keys in manifests and never rewrites a dump.

Manifests are authenticated by the operator's key itself: an HMAC-SHA-256 keyed with
HKDF-SHA-256(wrapping key, info="lokdarpan-backup manifest authentication v1") over every field
of the manifest but that MAC (backup id, timestamps, sizes, SHA-256 of the dump, the wrapped data
keys …), with the id of the key that made it. `list`, `latest`, `prune` and `rekey` count a
backup only when this MAC verifies with a key of the keyring; someone who can write to the
destination but holds no key cannot make one (see docs/backup-restore.md).

A key file must be private, as ssh demands of a private key: owned by the user running the
command and neither readable nor writable by group or others, else it is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import BadInputError, LokdarpanError

MAGIC = b"LDBK"
VERSION = 1
HEADER = struct.Struct(">4sB16sI")
LENGTH = struct.Struct(">I")
TAG_BYTES = 16
DEFAULT_CHUNK = 1 << 20  # 1 MiB of plaintext per chunk
MAX_CHUNK = 64 << 20
KEY_ENV = "LOKDARPAN_BACKUP_KEY"
AUTH_INFO = b"lokdarpan-backup manifest authentication v1"
FILE_INFO = b"lokdarpan-backup file v1|"


class IntegrityError(LokdarpanError):
    """A backup or its manifest does not authenticate: tampered, truncated, or the wrong key."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    """The operator's wrapping keys; `current` wraps new backups, all of them unwrap."""

    keys: tuple[bytes, ...]

    @property
    def current(self) -> bytes:
        return self.keys[0]

    def by_id(self, kid: str) -> bytes | None:
        return next((k for k in self.keys if key_id(k) == kid), None)

    @classmethod
    def parse(cls, text: str, source: str) -> Keyring:
        keys = []
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                key = base64.b64decode(line, validate=True)
            except (binascii.Error, ValueError):
                raise BadInputError(
                    f"{source}:{n}: not base64 (make a key with `openssl rand -base64 32`)"
                ) from None
            if len(key) != 32:
                raise BadInputError(f"{source}:{n}: a key must be 32 bytes, this one is {len(key)}")
            keys.append(key)
        if not keys:
            raise BadInputError(f"{source}: no key in it")
        return cls(tuple(keys))

    @classmethod
    def load(cls, key_file: Path | None) -> Keyring:
        """From --key-file / $LOKDARPAN_BACKUP_KEY_FILE, else $LOKDARPAN_BACKUP_KEY."""
        ring = cls.load_optional(key_file)
        if ring is None:
            raise BadInputError(f"no backup key: give --key-file FILE or set ${KEY_ENV}")
        return ring

    @classmethod
    def load_optional(cls, key_file: Path | None) -> Keyring | None:
        """As `load`, but None when no key is given at all (a bad key is still an error)."""
        if key_file is not None:
            return cls.parse(read_private_file(Path(key_file)), str(key_file))
        env = os.environ.get(KEY_ENV)
        if env:
            return cls.parse(env.replace(",", "\n"), f"${KEY_ENV}")
        return None


def read_private_file(path: Path) -> str:
    """The text of a key file, refused unless it is private to the user running the command
    (owned by them, no group or other permission bits), as ssh refuses a private key."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise BadInputError(f"cannot read key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if st.st_uid != os.geteuid():
            raise BadInputError(
                f"key file {path} is owned by uid {st.st_uid}, not by you (uid {os.geteuid()}): "
                "refusing a key someone else controls"
            )
        if st.st_mode & 0o077:
            raise BadInputError(
                f"key file {path} is accessible by group or others (mode {st.st_mode & 0o777:04o}): "
                f"run `chmod 600 {path}`"
            )
        try:
            return fh.read().decode()
        except OSError as exc:
            raise BadInputError(f"cannot read key file {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise BadInputError(f"key file {path} is not text (base64 keys, one per line)") from None


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(wrapping_key: bytes, data_key: bytes, backup_id: bytes) -> dict[str, str]:
    nonce = os.urandom(12)
    kid = key_id(wrapping_key)
    ct = AESGCM(wrapping_key).encrypt(nonce, data_key, backup_id + kid.encode())
    return {"key_id": kid, "wrapped": base64.b64encode(nonce + ct).decode()}


def unwrap(keyring: Keyring, wrappings: Iterable[dict[str, str]], backup_id: bytes) -> bytes:
    """The data key, from the first wrapping whose key the keyring holds."""
    ids = []
    for w in wrappings:
        kid = str(w.get("key_id", ""))
        ids.append(kid)
        key = keyring.by_id(kid)
        if key is None:
            continue
        try:
            blob = base64.b64decode(str(w.get("wrapped", "")), validate=True)
            return AESGCM(key).decrypt(blob[:12], blob[12:], backup_id + kid.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise IntegrityError(
                f"the data key wrapped by key {kid} does not authenticate (the manifest was edited)"
            ) from None
    raise IntegrityError(
        f"wrong key: this backup is readable with key id {', '.join(ids) or '(none)'}; "
        f"yours: {', '.join(key_id(k) for k in keyring.keys)}"
    )


def manifest_mac(data_key: bytes, payload: bytes) -> str:
    mac_key = hmac.new(data_key, b"lokdarpan-backup manifest v1", hashlib.sha256).digest()
    return hmac.new(mac_key, payload, hashlib.sha256).hexdigest()


def manifest_auth_key(wrapping_key: bytes) -> bytes:
    """The key that authenticates manifests, derived from an operator's wrapping key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=AUTH_INFO).derive(wrapping_key)


def manifest_auth(wrapping_key: bytes, payload: bytes) -> dict[str, str]:
    """The operator's MAC over a manifest's payload, with the id of the key that made it."""
    mac = hmac.new(manifest_auth_key(wrapping_key), payload, hashlib.sha256).hexdigest()
    return {"key_id": key_id(wrapping_key), "hmac": mac}


def _nonce(counter: int, final: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def file_key(data_key: bytes, backup_id: bytes, index: int, name: str) -> bytes:
    """The key of one file of a directory-format backup: HKDF-SHA-256(data key, salt = backup
    nonce id, info = FILE_INFO | index (4 bytes BE) | name). Each file's stream counts its chunks
    from 0, so each needs its own key (a counter nonce must never repeat under a key); the index
    and name in the derivation make a section moved to another place or name fail its tags."""
    info = FILE_INFO + index.to_bytes(4, "big") + name.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=backup_id, info=info).derive(data_key)


def stream_header(backup_id: bytes, chunk_size: int) -> bytes:
    return HEADER.pack(MAGIC, VERSION, backup_id, chunk_size)


def seal_chunk(aead: AESGCM, header: bytes, counter: int, final: bool, plaintext: bytes) -> bytes:
    """One chunk of the stream format (length | ciphertext), sealable out of order: what makes
    parallel encryption possible when the number of chunks is known beforehand."""
    ct = aead.encrypt(_nonce(counter, final), plaintext, header)
    return LENGTH.pack(len(ct)) + ct


def encrypt_stream(
    data_key: bytes, backup_id: bytes, plaintext: Iterator[bytes], chunk_size: int = DEFAULT_CHUNK
) -> Iterator[bytes]:
    """Encrypt an iterator of plaintext blocks (each at most chunk_size) into the stream format.
    Holds two chunks at most: one is sealed only when the next shows whether it is the last."""
    header = HEADER.pack(MAGIC, VERSION, backup_id, chunk_size)
    yield header
    aead = AESGCM(data_key)
    counter = 0
    pending = b""
    for block in plaintext:
        if not block:
            continue
        if pending:
            ct = aead.encrypt(_nonce(counter, False), pending, header)
            yield LENGTH.pack(len(ct)) + ct
            counter += 1
        pending = block
    ct = aead.encrypt(_nonce(counter, True), pending, header)
    yield LENGTH.pack(len(ct)) + ct


class Reader:
    """Exact reads over an iterator of blocks, counting (and, with `hasher` set, hashing) what
    it hands out."""

    def __init__(self, source: Iterator[bytes]):
        self.source = source
        self.buf = bytearray()
        self.done = False
        self.consumed = 0
        self.hasher: Any = None

    def read_exact(self, n: int, what: str = "the backup") -> bytes | None:
        """n bytes; None at a clean end of input; IntegrityError for a partial read."""
        while len(self.buf) < n and not self.done:
            try:
                self.buf += next(self.source)
            except StopIteration:
                self.done = True
        if not self.buf and self.done:
            return None
        if len(self.buf) < n:
            raise IntegrityError(f"{what} is truncated (it ends inside a chunk)")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        self.consumed += n
        if self.hasher is not None:
            self.hasher.update(out)
        return out


def decrypt_stream(data_key: bytes, backup_id: bytes, ciphertext: Iterator[bytes]) -> Iterator[bytes]:
    """Yield verified plaintext chunk by chunk; IntegrityError on anything inauthentic."""
    reader = Reader(ciphertext)
    yield from decrypt_section(reader, data_key, backup_id)
    if reader.read_exact(1) is not None:
        raise IntegrityError("bytes after the final chunk (the backup was tampered with)")


def decrypt_section(
    reader: Reader, data_key: bytes, backup_id: bytes, what: str = "the backup"
) -> Iterator[bytes]:
    """One stream (header, chunks up to the one with the final flag) from `reader`, verified
    chunk by chunk; stops after the final chunk, so a caller can read what follows it."""
    header = reader.read_exact(HEADER.size, what)
    if header is None:
        raise IntegrityError(f"{what} is empty")
    magic, version, bid, chunk_size = HEADER.unpack(header)
    if magic != MAGIC:
        raise IntegrityError(f"{what}: not a lokdarpan backup (bad magic)")
    if version != VERSION:
        raise IntegrityError(f"{what}: unknown backup format version {version}")
    if bid != backup_id:
        raise IntegrityError(f"{what}: the dump belongs to another backup than its manifest")
    if not 0 < chunk_size <= MAX_CHUNK + (MAX_CHUNK >> 7) + 4096:
        raise IntegrityError(f"{what}: implausible chunk size {chunk_size}")
    aead = AESGCM(data_key)
    counter = 0
    while True:
        raw = reader.read_exact(LENGTH.size, what)
        if raw is None:
            raise IntegrityError(f"{what} is truncated (its final chunk is missing)")
        (n,) = LENGTH.unpack(raw)
        if not TAG_BYTES <= n <= chunk_size + TAG_BYTES:
            raise IntegrityError(f"{what}: chunk {counter}: implausible length {n} (corrupted)")
        ct = reader.read_exact(n, what)
        if ct is None:
            raise IntegrityError(f"{what} is truncated (it ends inside a chunk)")
        try:
            plain = aead.decrypt(_nonce(counter, False), ct, header)
            final = False
        except InvalidTag:
            try:
                plain = aead.decrypt(_nonce(counter, True), ct, header)
                final = True
            except InvalidTag:
                raise IntegrityError(
                    f"{what}: chunk {counter} does not authenticate (corrupted, reordered or wrong key)"
                ) from None
        yield plain
        counter += 1
        if final:
            return


def hmac_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
