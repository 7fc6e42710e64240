"""Issue 18, finding 6: someone who can write to the destination but holds no key plants copies of
a real backup, future-dated, renamed or made under their own key. Only manifests whose operator
MAC verifies count: `list` says which are verified, `latest` never picks a planted one, `prune`
keeps both real backups, and deletes the planted ones only with --include-unverified. Run against
a directory and against a real S3 server (moto's server mode), through the store interface the
attacker's writes would land in."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import PLAN

from lokdarpan_db.backup import crypto
from lokdarpan_db.backup.catalog import find, list_backups
from lokdarpan_db.backup.dump import create_backup
from lokdarpan_db.backup.manifest import Manifest, dump_name, manifest_name
from lokdarpan_db.backup.rekey import rekey
from lokdarpan_db.backup.store import Store, open_store
from lokdarpan_db.backup.store.local import LocalStore
from lokdarpan_db.cli import run


def _move(store: Store, m: Manifest, old: str, new_id: str, when: datetime) -> Manifest:
    """Give a backup another id and time (dump copied, manifest edited, nothing re-signed)."""
    store.put(dump_name(new_id), store.get(dump_name(old)))
    m.backup_id, m.started, m.finished = new_id, when.isoformat(), when.isoformat()
    return m


def _id(when: datetime, suffix: str) -> str:
    return f"{when:%Y%m%dT%H%M%SZ}-full-{suffix}"


def backdate(store: Store, ring: crypto.Keyring, bid: str, days: int) -> str:
    """As the operator (who holds the key): a real backup made `days` earlier, signed again."""
    m = Manifest.parse(store.get(manifest_name(bid)), "m")
    dk = m.data_key(ring)
    when = m.started_at - timedelta(days=days)
    new_id = _id(when, bid[-8:])
    _move(store, m, bid, new_id, when)
    m.sign(dk)
    m.authenticate(ring.current)
    store.put(manifest_name(new_id), m.to_json())
    store.delete(manifest_name(bid))
    store.delete(dump_name(bid))
    return new_id


def plant(store: Store, genuine: str, now: datetime) -> dict[str, str]:
    """What an attacker without the key can write; returns planted id -> the reason `list` gives."""
    raw = store.get(manifest_name(genuine))
    planted: dict[str, str] = {}

    # 1. the real manifest and dump copied under a later name, the manifest left as it was
    bid = _id(now + timedelta(days=1), "00000001")
    store.put(manifest_name(bid), raw)
    store.put(dump_name(bid), store.get(dump_name(genuine)))
    planted[bid] = "the manifest names another backup"

    # 2. copied and edited to match its new name and a later date (the attack)
    for i in (2, 3, 4):
        when = now + timedelta(days=i)
        bid = _id(when, f"0000000{i}")
        m = _move(store, Manifest.parse(raw, "m"), genuine, bid, when)
        store.put(manifest_name(bid), m.to_json())
        planted[bid] = "does not verify with key"

    # 3. a whole backup made under the attacker's own key (a fresh data key, wrapped and signed)
    theirs = os.urandom(32)
    when = now + timedelta(days=5)
    bid = _id(when, "00000005")
    m = _move(store, Manifest.parse(raw, "m"), genuine, bid, when)
    dk = crypto.new_data_key()
    m.keys = [crypto.wrap(theirs, dk, bytes.fromhex(m.nonce_id))]
    m.sign(dk)
    m.authenticate(theirs)
    store.put(manifest_name(bid), m.to_json())
    planted[bid] = f"wrong key: the manifest is authenticated by key id {crypto.key_id(theirs)}"

    # 4. no operator MAC at all: the MAC field dropped, and a manifest in the old format 1
    when = now + timedelta(days=6)
    bid = _id(when, "00000006")
    m = _move(store, Manifest.parse(raw, "m"), genuine, bid, when)
    m.auth = {}
    store.put(manifest_name(bid), m.to_json())
    planted[bid] = "no operator MAC"
    when = now + timedelta(days=7)
    bid = _id(when, "00000007")
    old = json.loads(raw)
    old.pop("auth")
    old.update(format="lokdarpan-backup/1", backup_id=bid, started=when.isoformat())
    store.put(manifest_name(bid), json.dumps(old).encode())
    store.put(dump_name(bid), store.get(dump_name(genuine)))
    planted[bid] = "format lokdarpan-backup/1 has no operator MAC"
    return planted


@pytest.fixture(params=["local", "s3"])
def dest(request, tmp_path) -> str:
    if request.param == "local":
        return str(tmp_path / "backups")
    return f"s3://{request.getfixturevalue('bucket')}/db"


@pytest.fixture()
def planted_store(source_db, dest, keyfile):
    """Two real backups (yesterday and today) and seven planted ones dated in the next week."""
    store, ring = open_store(dest), crypto.Keyring.load(keyfile)
    older = backdate(store, ring, create_backup(source_db, store, ring, "lokdarpan").manifest.backup_id, 1)
    newer = create_backup(source_db, store, ring, "lokdarpan").manifest.backup_id
    now = datetime.now(UTC)
    return store, ring, [older, newer], plant(store, newer, now)


def cli(dest: str, keyfile: Path | None, *args: str) -> int:
    key = ["--key-file", str(keyfile)] if keyfile else []
    return run(["--plan", str(PLAN), "backup", "--dest", dest, *key, *args])


def test_list_verifies_each_manifest_with_the_operators_key(planted_store, dest, keyfile, capsys):
    _, _, genuine, planted = planted_store
    assert cli(dest, keyfile, "list", "--json") == 0
    rows = {r["backup_id"]: r for r in json.loads(capsys.readouterr().out)["backups"]}
    assert set(rows) == set(genuine) | set(planted)
    assert [bid for bid, r in rows.items() if r["status"] == "verified"] == genuine
    for bid, why in planted.items():
        assert rows[bid]["status"] == "unverified" and not rows[bid]["verified"], bid
        assert why in rows[bid]["problem"], (bid, rows[bid]["problem"])
        assert rows[bid]["plan_change"] is None  # nothing an unverified manifest says is repeated
    assert cli(dest, keyfile, "list") == 0
    table = capsys.readouterr().out
    lines = table.splitlines()
    assert all(any(b in ln and " verified " in ln for ln in lines) for b in genuine)
    assert all(any(b in ln and " unverified " in ln for ln in lines) for b in planted)
    for bid, why in planted.items():
        assert any(ln.startswith(f"{bid}: unverified: ") and why in ln for ln in lines), (bid, table)


def test_without_a_key_list_says_unknown_never_ok(planted_store, dest, capsys, monkeypatch):
    _, _, genuine, planted = planted_store
    monkeypatch.delenv("LOKDARPAN_BACKUP_KEY", raising=False)
    monkeypatch.delenv("LOKDARPAN_BACKUP_KEY_FILE", raising=False)
    assert cli(dest, None, "list", "--json") == 0
    rows = {r["backup_id"]: r["status"] for r in json.loads(capsys.readouterr().out)["backups"]}
    assert all(rows[bid] == "unknown" for bid in genuine)
    assert "verified" not in rows.values()
    # what needs no key is still told: a manifest under another name, one without a MAC format
    renamed, *_, old_format = planted
    assert rows[renamed] == "unverified" and rows[old_format] == "unverified"
    assert cli(dest, None, "list") == 0
    assert "unknown (no key)" in capsys.readouterr().out
    assert cli(dest, None, "prune") == 2
    assert "no backup key" in capsys.readouterr().err


def test_latest_is_the_newest_verified_backup(planted_store, dest, keyfile, capsys):
    store, ring, genuine, _ = planted_store
    assert find(store, "latest", ring).backup_id == genuine[-1]
    assert cli(dest, keyfile, "verify", "latest", "--json") == 0
    assert json.loads(capsys.readouterr().out)["backup_id"] == genuine[-1]


def test_prune_counts_only_verified_backups(planted_store, dest, keyfile, capsys):
    store, ring, genuine, planted = planted_store
    policy = ["--daily", "2", "--weekly", "0", "--monthly", "0", "--yearly", "0"]
    assert cli(dest, keyfile, "prune", "--json", *policy) == 0
    p = json.loads(capsys.readouterr().out)
    assert p["delete"] == []
    keep = {k["backup_id"]: k["because"] for k in p["keep"]}
    assert keep[genuine[-1]] == ["newest verified", "daily"] and keep[genuine[0]] == ["daily"]
    assert all(keep[bid][0].startswith("unverified") for bid in planted)
    names = {o.name for o in store.list()}
    assert {dump_name(b) for b in genuine} | {manifest_name(b) for b in genuine} <= names

    # with the flag, exactly the planted objects go, and both real backups stay
    assert cli(dest, keyfile, "prune", "--json", "--include-unverified", *policy) == 0
    p = json.loads(capsys.readouterr().out)
    assert sorted(d["backup_id"] for d in p["delete"]) == sorted(planted)
    assert all(d["status"] == "unverified" for d in p["delete"])
    assert {o.name for o in store.list()} == {n(b) for b in genuine for n in (dump_name, manifest_name)}
    assert [e.backup_id for e in list_backups(store, ring) if e.verified] == genuine


def test_rekey_never_adopts_a_planted_manifest(planted_store, keyfile):
    store, ring, genuine, planted = planted_store
    rotated = crypto.Keyring((os.urandom(32), *ring.keys))
    r = rekey(store, rotated, "lokdarpan")
    assert sorted(r.rewrapped) == sorted(genuine) and set(r.skipped) == set(planted)
    after = list_backups(store, crypto.Keyring((rotated.current,)))  # the old key retired
    assert [e.backup_id for e in after if e.verified] == genuine


def test_a_backup_is_bound_to_its_name_and_time(source_db, tmp_path, keyfile):
    """The operator MAC covers the id, the times, sizes and hash: any one edited breaks it."""
    store, ring = LocalStore(tmp_path), crypto.Keyring.load(keyfile)
    bid = create_backup(source_db, store, ring, "lokdarpan").manifest.backup_id
    raw = json.loads(store.get(manifest_name(bid)))
    for field, value in [
        ("backup_id", _id(datetime(2099, 1, 1, tzinfo=UTC), bid[-8:])),
        ("started", "2099-01-01T00:00:00+00:00"),
        ("finished", "2099-01-01T00:00:00+00:00"),
        ("sha256", "0" * 64),
        ("tables", {}),
        ("keys", []),
        ("nonce_id", "00" * 16),
    ]:
        edited = Manifest.parse(json.dumps({**raw, field: value}).encode(), "m")
        assert "was edited or forged" in (edited.auth_problem(ring) or ""), field
    assert Manifest.parse(json.dumps(raw).encode(), "m").auth_problem(ring) is None


def test_local_backup_files_are_private_whatever_the_umask(source_db, tmp_path, keyfile):
    """Dumps, manifests and the partial files they are written through are 0600; the
    directories the store creates are 0700, under a permissive umask."""
    root = tmp_path / "a" / "b" / "backups"
    store = LocalStore(root)
    seen: list[int] = []

    def chunks():
        yield b"x" * 10
        [partial] = [p for p in root.iterdir() if p.name.endswith(".partial")]
        seen.append(stat.S_IMODE(partial.stat().st_mode))
        yield b"y"

    old = os.umask(0o002)
    try:
        store.write_stream("probe", chunks())
        create_backup(source_db, store, crypto.Keyring.load(keyfile), "lokdarpan")
    finally:
        os.umask(old)
    assert seen == [0o600]
    for d in (tmp_path / "a", tmp_path / "a" / "b", root):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    files = list(root.iterdir())
    assert len(files) == 3 and {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}
    # a stale world-readable partial left by a killed run is made private before it is reused
    stale = root / ".again.partial"
    stale.write_bytes(b"old")
    stale.chmod(0o666)
    store.put("again", b"new")
    assert stat.S_IMODE((root / "again").stat().st_mode) == 0o600
