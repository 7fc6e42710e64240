"""The manifest beside each backup (`<id>.manifest.json`): what the backup holds and how to read
it, authenticated twice:

- `auth`: an HMAC keyed from the operator's wrapping key (HKDF) over every other field, the
  wrapped data keys included, with that key's id. This is what makes a backup *verified*:
  `list`, `latest`, `prune` and `rekey` check it, and someone who can write to the destination
  but holds no key cannot make one. Its payload names the backup id, so a genuine manifest
  copied under another name (`<other id>.manifest.json`) is refused, and any edit (a later
  `started`, another id, other sizes or hashes) breaks it.
- `mac`: an HMAC keyed from the backup's data key over the fields except `keys`, `mac` and
  `auth`, checked once the data key is unwrapped (restore, verify, rekey).

`files` (a directory-format backup, `backup create --jobs N`) lists each file of pg_dump's
directory in the order its encrypted section is stored in the one dump object: name, offset and
size of the section, plaintext bytes, chunks and the section's SHA-256. Both MACs cover it; it is
left out of their payloads when empty (a single-file custom-format backup).

A streamed backup (`backup create --jobs 1`) is the same shape with ONE file, `archive.dump`:
pg_dump's custom format, uncompressed, piped through zstd and the encryptor, so no plaintext
touches a disk; its restore streams it back into pg_restore.

`skipped_data` lists the tables whose definitions are in the dump but whose rows are not: the
unlogged tables of a backup taken from a hot standby (issue 24). Both MACs cover it; it is left
out of their payloads only when empty, so manifests written before the field existed verify.

Format `lokdarpan-backup/2`. Manifests of format 1 (written before `auth` existed, before any
release) are listed as unverified and never counted: make new backups."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from . import crypto
from .crypto import IntegrityError

FORMAT = "lokdarpan-backup/2"
OLD_FORMATS = ("lokdarpan-backup/1",)
SCOPES = ("full", "ai")
ID_RE = re.compile(r"^\d{8}T\d{6}Z-(full|ai)-[0-9a-f]{8}$")
DUMP_SUFFIX = ".dump.enc"
MANIFEST_SUFFIX = ".manifest.json"
STREAM_FILE = "archive.dump"  # the one file of a streamed backup (`backup create --jobs 1`)


def dump_name(backup_id: str) -> str:
    return backup_id + DUMP_SUFFIX


def manifest_name(backup_id: str) -> str:
    return backup_id + MANIFEST_SUFFIX


@dataclass
class Manifest:
    backup_id: str
    nonce_id: str  # the 16 random bytes in the stream header, hex
    project: str
    scope: str
    database: str
    server_version: str
    pg_dump_version: str
    plan_change: str | None
    plan_change_id: str | None
    started: str
    finished: str
    dump_bytes: int
    stored_bytes: int
    chunks: int
    chunk_size: int
    sha256: str
    tables: dict[str, int]
    database_settings: list[dict[str, str | None]] = field(default_factory=list)
    skipped_data: list[str] = field(default_factory=list)  # unlogged tables dumped without rows
    # a directory-format (parallel) backup: its files, in the order their sections are stored,
    # each {name, offset, stored, bytes, chunks, sha256}; empty for a single-file (custom) dump
    files: list[dict[str, Any]] = field(default_factory=list)
    cipher: str = "AES-256-GCM, chunked, counter nonce with final flag"
    compression: str = "pg_dump custom format (zlib per table)"
    keys: list[dict[str, str]] = field(default_factory=list)
    mac: str = ""
    auth: dict[str, str] = field(default_factory=dict)
    format: str = FORMAT

    @property
    def started_at(self) -> datetime:
        return datetime.fromisoformat(self.started)

    @property
    def finished_at(self) -> datetime:
        return datetime.fromisoformat(self.finished)

    @property
    def sectioned(self) -> bool:
        """Stored as zstd-compressed sections listed in `files` (a directory or a streamed backup);
        else a single-file custom-format dump, encrypted as one stream."""
        return bool(self.files)

    @property
    def stream(self) -> bool:
        """A streamed backup: pg_dump's custom format (-Z0) as the one section STREAM_FILE."""
        first = self.files[0] if len(self.files) == 1 else None
        return isinstance(first, dict) and first.get("name") == STREAM_FILE

    @property
    def directory(self) -> bool:
        """A directory-format (pg_dump -Fd -j) backup, stored as one section per file."""
        return self.sectioned and not self.stream

    @property
    def key_ids(self) -> list[str]:
        return [k["key_id"] for k in self.keys]

    def signed_payload(self) -> bytes:
        body = {k: v for k, v in asdict(self).items() if k not in ("keys", "mac", "auth")}
        for optional in ("skipped_data", "files"):  # absent from manifests older than the field
            if not body[optional]:
                del body[optional]
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def auth_payload(self) -> bytes:
        """Every field but `auth` itself, canonically: what the operator's MAC covers."""
        body = {k: v for k, v in asdict(self).items() if k != "auth"}
        for optional in ("skipped_data", "files"):  # absent from manifests older than the field
            if not body[optional]:
                del body[optional]
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def sign(self, data_key: bytes) -> None:
        self.mac = crypto.manifest_mac(data_key, self.signed_payload())

    def authenticate(self, wrapping_key: bytes) -> None:
        """Seal the manifest with the operator's key (after `sign` and the key wrapping)."""
        self.auth = crypto.manifest_auth(wrapping_key, self.auth_payload())

    def auth_problem(self, keyring: crypto.Keyring) -> str | None:
        """None when the operator's MAC verifies with a key of the keyring, else why not."""
        if not isinstance(self.auth, dict) or not self.auth.get("hmac"):
            return "no operator MAC: the manifest was not written by `backup create` with a key"
        kid = str(self.auth.get("key_id", ""))
        key = keyring.by_id(kid)
        if key is None:
            return (
                f"wrong key: the manifest is authenticated by key id {kid[:16]}; "
                f"yours: {', '.join(crypto.key_id(k) for k in keyring.keys)}"
            )
        want = crypto.manifest_auth(key, self.auth_payload())["hmac"]
        if not crypto.hmac_equal(want, str(self.auth.get("hmac", ""))):
            return f"the manifest's MAC does not verify with key {kid} (it was edited or forged)"
        return None

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def parse(cls, raw: bytes, name: str) -> Manifest:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise IntegrityError(f"{name}: the manifest is not JSON (damaged or edited)") from None
        if isinstance(data, dict) and data.get("format") in OLD_FORMATS:
            raise IntegrityError(
                f"{name}: format {data['format']} has no operator MAC (written before manifests were "
                "authenticated); not counted"
            )
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise IntegrityError(f"{name}: not a {FORMAT} manifest")
        try:
            m = cls(**data)
            aware = m.started_at.tzinfo is not None
        except (TypeError, ValueError) as exc:
            raise IntegrityError(f"{name}: the manifest's fields are wrong ({str(exc)[:80]})") from None
        if not aware:
            raise IntegrityError(f"{name}: the manifest's start time has no time zone")
        if not isinstance(m.backup_id, str) or not ID_RE.match(m.backup_id) or m.scope not in SCOPES:
            raise IntegrityError(f"{name}: the manifest names an invalid backup id or scope")
        return m

    def data_key(self, keyring: crypto.Keyring) -> bytes:
        """Unwrap the data key and check the manifest's MAC; IntegrityError otherwise."""
        dk = crypto.unwrap(keyring, self.keys, bytes.fromhex(self.nonce_id))
        if not crypto.hmac_equal(crypto.manifest_mac(dk, self.signed_payload()), self.mac):
            raise IntegrityError(f"the manifest of {self.backup_id} was edited (its MAC does not match)")
        return dk
