"""Key rotation: re-wrap every backup's data key under the current wrapping key.

Only manifests change (the dumps are never rewritten): each verified manifest (its operator MAC
checks with a key of the keyring) has its data key unwrapped with whichever key opens it, the
data-key MAC checked, the data key wrapped again under the keyring's current key, and the
manifest authenticated again under that key. Unverified manifests are skipped, never adopted.
After a rekey the old key can be retired from the key file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import crypto
from .catalog import list_backups
from .manifest import manifest_name
from .store import Store


@dataclass
class RekeyReport:
    key_id: str
    rewrapped: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "rewrapped": self.rewrapped,
            "already_current": self.already,
            "skipped": self.skipped,
        }


def rekey(store: Store, keyring: crypto.Keyring, project: str, dry_run: bool = False) -> RekeyReport:
    report = RekeyReport(crypto.key_id(keyring.current))
    for entry in list_backups(store, keyring):
        m = entry.manifest
        if m is None or not entry.verified:
            report.skipped[entry.backup_id] = entry.problem or "unverified"
            continue
        if m.project != project:
            report.skipped[entry.backup_id] = f"belongs to project {m.project!r}"
            continue
        if m.key_ids == [report.key_id] and m.auth.get("key_id") == report.key_id:
            report.already.append(m.backup_id)
            continue
        try:
            dk = m.data_key(keyring)
        except crypto.IntegrityError as exc:
            report.skipped[entry.backup_id] = str(exc)
            continue
        m.keys = [crypto.wrap(keyring.current, dk, bytes.fromhex(m.nonce_id))]
        m.authenticate(keyring.current)
        if not dry_run:
            store.put(manifest_name(m.backup_id), m.to_json())
        report.rewrapped.append(m.backup_id)
    return report
