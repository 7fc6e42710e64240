"""Field-level encryption of personal data (the seed's `EncryptedField`), for applications and the CLI.

The database never sees a key: applications encrypt with Fernet (https://github.com/fernet/spec) and
the database only checks a token's shape (`fernet_token_problem()`). Lookups and uniqueness go through
a keyed blind index (HMAC-SHA256 of the normalised address), computed here too.

Keys, never from command-line arguments:

- Fernet keys, newest first: ``$LOKDARPAN_FIELD_KEYS`` (comma-separated) or the file named by
  ``$LOKDARPAN_FIELD_KEY_FILE`` (one key per line, ``#`` comments; must be 0600 and yours, as backup
  key files). The first key encrypts; every key decrypts (`MultiFernet`), so a new key goes first and
  the old one stays until `lokdarpan-db keys rotate` has moved every row to the new one.
- The blind-index key: ``$LOKDARPAN_BLIND_INDEX_KEY`` or a ``blind-index: <key>`` line of the key file
  (a Fernet-format key: 32 random bytes, urlsafe base64). It does not rotate with the Fernet keys: the
  index of every row would change at once, so sign-in and the unique index would need a second column
  and a full rewrite. Rotate it only after a compromise, with a planned re-index.

Example (an application signing a user in by e-mail)::

    from lokdarpan_db import fieldcrypt
    keys = fieldcrypt.FieldKeys.load()
    cur.execute("select * from login_credentials(%s)", [keys.blind_index(email)])
    ...
    cur.execute('insert into "user" (username, email, email_index, password_hash) values (%s, %s, %s, %s)',
                [name, keys.encrypt(email), keys.blind_index(email), pw_hash])
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .backup.crypto import read_private_file
from .errors import BadInputError

KEYS_ENV = "LOKDARPAN_FIELD_KEYS"
KEY_FILE_ENV = "LOKDARPAN_FIELD_KEY_FILE"
BLIND_ENV = "LOKDARPAN_BLIND_INDEX_KEY"
BLIND_PREFIX = "blind-index:"
BLIND_INFO = b"lokdarpan e-mail blind index v1"


class FieldKeyError(BadInputError):
    """A missing, malformed or wrong field-encryption key (exit 2, one line, the key never shown)."""


def _fernet_key(text: str, where: str) -> Fernet:
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise FieldKeyError(
            f"{where} is not a Fernet key (32 random bytes in urlsafe base64, 44 characters; "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )
    return Fernet(text.encode("ascii"))


def normalise_email(address: str) -> str:
    """The form the blind index is computed over: surrounding white space removed, lower case (the
    old case-insensitive unique index compared ``lower(email)``)."""
    return address.strip().lower()


@dataclass(frozen=True)
class FieldKeys:
    """The Fernet keys (newest first) and, when given, the blind-index key."""

    fernets: tuple[Fernet, ...]
    blind_key: bytes | None
    source: str

    @classmethod
    def parse(cls, fernet_keys: list[str], blind: str | None, source: str) -> FieldKeys:
        keys = [k.strip() for k in fernet_keys if k.strip()]
        if not keys:
            raise FieldKeyError(f"{source} holds no Fernet key")
        fernets = tuple(_fernet_key(k, f"key {i} of {source}") for i, k in enumerate(keys, 1))
        blind_key = None
        if blind is not None and blind.strip():
            _fernet_key(blind.strip(), f"the blind-index key of {source}")
            master = base64.urlsafe_b64decode(blind.strip().encode("ascii"))
            blind_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=BLIND_INFO).derive(master)
        return cls(fernets, blind_key, source)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> FieldKeys:
        """Keys from the key file named by $LOKDARPAN_FIELD_KEY_FILE, else $LOKDARPAN_FIELD_KEYS (and
        $LOKDARPAN_BLIND_INDEX_KEY); a missing or malformed key raises FieldKeyError."""
        env = os.environ if environ is None else environ
        path = env.get(KEY_FILE_ENV)
        if path:
            text = read_private_file(Path(path))
            lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
            blind = next((ln[len(BLIND_PREFIX):] for ln in lines if ln.startswith(BLIND_PREFIX)), None)
            fernet = [k for ln in lines if not ln.startswith(BLIND_PREFIX) for k in ln.split(",")]
            return cls.parse(fernet, blind or env.get(BLIND_ENV), f"key file {path}")
        value = env.get(KEYS_ENV)
        if not value:
            raise FieldKeyError(
                f"no field-encryption key: set {KEYS_ENV} (comma-separated Fernet keys, newest first) "
                f"or {KEY_FILE_ENV} (a 0600 file, one key per line)"
            )
        return cls.parse(value.split(","), env.get(BLIND_ENV), f"${KEYS_ENV}")

    @property
    def multi(self) -> MultiFernet:
        return MultiFernet(list(self.fernets))

    def encrypt(self, plaintext: str) -> str:
        """A Fernet token of the text under the newest key (what the database stores)."""
        return self.fernets[0].encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of a token made under any of the keys; FieldKeyError when none decrypts it."""
        try:
            return self.multi.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            raise FieldKeyError(
                f"a token does not decrypt with any of the {len(self.fernets)} key(s) of {self.source}: "
                "wrong or missing key"
            ) from None

    def key_number(self, token: str) -> int | None:
        """Which key (0 = newest) decrypts the token, or None. Fernet tokens carry no key id."""
        data = token.encode("ascii")
        for i, f in enumerate(self.fernets):
            try:
                f.decrypt(data)
            except InvalidToken:
                continue
            return i
        return None

    def rotate(self, token: str) -> str:
        """The token re-encrypted under the newest key (its original timestamp kept)."""
        return self.multi.rotate(token.encode("ascii")).decode("ascii")

    def row_values(self, address: str) -> tuple[str, bytes]:
        """(email, email_index) for a "user" row: the token and the blind index of an address."""
        return self.encrypt(address), self.blind_index(address)

    def blind_index(self, address: str) -> bytes:
        """HMAC-SHA256 (32 bytes) of the normalised e-mail: what "user".email_index holds and the
        sign-in functions take."""
        if self.blind_key is None:
            raise FieldKeyError(
                f"no blind-index key: set {BLIND_ENV} or add a '{BLIND_PREFIX} <key>' line to the key file"
            )
        return hmac.new(self.blind_key, normalise_email(address).encode(), hashlib.sha256).digest()


def generate_key() -> str:
    """A new random key in Fernet's format (for a Fernet key or the blind-index key)."""
    return Fernet.generate_key().decode("ascii")


def ephemeral() -> FieldKeys:
    """Fresh random keys held only in memory: for demo data, benchmarks and tests whose e-mails
    nobody needs to read back."""
    return FieldKeys.parse([generate_key()], generate_key(), "ephemeral keys")
