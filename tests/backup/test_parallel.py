"""`backup create --jobs N` (issue 23): pg_dump -Fd -j N, each file compressed (zstd) and
encrypted into ONE stored object with every file listed in the authenticated manifest; verify and
restore (pg_restore -j from named pipes, no plaintext on disk) through the real CLI; every fault
refused: a truncated, missing, extra, reordered or tampered file, and the wrong key."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import psycopg
import pytest
from support import PLAN

from lokdarpan_db.backup import crypto, parallel
from lokdarpan_db.backup.dump import create_backup
from lokdarpan_db.backup.manifest import Manifest, dump_name, manifest_name
from lokdarpan_db.backup.restore import target_objects, verify_backup
from lokdarpan_db.backup.store.local import LocalStore
from lokdarpan_db.cli import run


def cli(dest: Path, keyfile: Path, *args: str, db: str | None = None) -> int:
    pre = ["--db", db] if db else []
    return run([*pre, "--plan", str(PLAN), "backup", "--dest", str(dest), "--key-file", str(keyfile), *args])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_parallel_create_verify_restore_through_the_cli(
    source_db, databases, tmp_path, keyfile, capsys, monkeypatch
):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(mode=0o700)
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    dest = tmp_path / "backups"
    assert cli(dest, keyfile, "create", "--jobs", "2", "--json", db=source_db) == 0
    made = json.loads(capsys.readouterr().out)
    bid = made["backup_id"]
    assert sorted(p.name for p in dest.iterdir()) == [dump_name(bid), manifest_name(bid)]  # ONE object
    stored = (dest / dump_name(bid)).read_bytes()
    assert b"PGDMP" not in stored and b"Jubilee" not in stored  # ciphertext only
    m = json.loads((dest / manifest_name(bid)).read_text())
    names = [f["name"] for f in m["files"]]
    assert "toc.dat" in names and len(names) > 10 and m["tables"]["public.ai_demo"] == 500
    assert sum(f["stored"] for f in m["files"]) == m["stored_bytes"] == len(stored)
    assert "zstd" in m["compression"] and "-j 2" in m["compression"]
    assert list(tmpdir.iterdir()) == []  # pg_dump's directory is gone

    assert cli(dest, keyfile, "list", "--json") == 0
    [row] = json.loads(capsys.readouterr().out)["backups"]
    assert row["status"] == "verified"
    assert cli(dest, keyfile, "verify", bid) == 0
    assert f"{m['chunks']} chunks" in capsys.readouterr().out

    target = databases.create("prestore")
    try:
        for jobs in ("2", "1"):
            args = ["restore", "--json", bid, "--into", target, "--jobs", jobs, "--overwrite"]
            assert cli(dest, keyfile, *args) == 0
            report = json.loads(capsys.readouterr().out)
            assert report["health"]["ok"] and report["health"]["tables_checked"] == len(m["tables"])
            with psycopg.connect(target) as conn:
                assert conn.execute("select count(*) from public.ai_demo").fetchone()[0] == 500
            assert list(tmpdir.iterdir()) == []  # the pipes' directory is gone, nothing was on disk
    finally:
        databases.drop(target)


@pytest.fixture(scope="module")
def pristine(source_db, tmp_path_factory) -> tuple[Path, Path, str]:
    import base64
    import os

    root = tmp_path_factory.mktemp("pfaults")
    key = root / "keys"
    key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    key.chmod(0o600)
    r = create_backup(
        source_db, LocalStore(root / "pristine"), crypto.Keyring.load(key), "lokdarpan",
        jobs=2, chunk_size=8192,
    )
    return root, key, r.manifest.backup_id


def _sections(dest: Path, bid: str) -> tuple[bytes, list[dict]]:
    m = json.loads((dest / manifest_name(bid)).read_text())
    return (dest / dump_name(bid)).read_bytes(), m["files"]


def _biggest(files: list[dict]) -> dict:
    return max(files, key=lambda f: f["stored"])


def _cut_file(dest: Path, bid: str) -> None:
    data, files = _sections(dest, bid)
    f = _biggest(files)
    (dest / dump_name(bid)).write_bytes(data[: f["offset"]] + data[f["offset"] + f["stored"] :])


def _extra_file(dest: Path, bid: str) -> None:
    data, files = _sections(dest, bid)
    f = files[0]
    (dest / dump_name(bid)).write_bytes(data + data[f["offset"] : f["offset"] + f["stored"]])


def _truncate_file(dest: Path, bid: str) -> None:
    """The last chunk of the biggest file cut off, the object padded back to its size."""
    data, files = _sections(dest, bid)
    f = _biggest(files)
    end = f["offset"] + f["stored"]
    (dest / dump_name(bid)).write_bytes(data[: end - 100] + data[end:] + bytes(100))


def _flip_in_file(dest: Path, bid: str) -> None:
    data, files = _sections(dest, bid)
    f = _biggest(files)
    at = f["offset"] + f["stored"] // 2
    flipped = bytearray(data)
    flipped[at] ^= 0x01
    (dest / dump_name(bid)).write_bytes(bytes(flipped))


FAULTS = {
    "wrong key": (None, 1, "wrong key"),
    "a file missing": (_cut_file, 1, "the manifest says"),
    "an extra file": (_extra_file, 1, "the manifest says"),
    "a file truncated": (_truncate_file, 1, "does not authenticate"),
    "a byte flipped in a file": (_flip_in_file, 1, "does not authenticate"),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_faults_are_refused_and_the_target_untouched(fault, pristine, databases, tmp_path, capsys):
    root, key, bid = pristine
    dest = tmp_path / "dest"
    shutil.copytree(root / "pristine", dest)
    damage, code, message = FAULTS[fault]
    if damage is None:
        other = tmp_path / "other.keys"
        other.write_text("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
        other.chmod(0o600)
        key = other
    else:
        damage(dest, bid)
    target = databases.create("pfault")
    try:
        assert cli(dest, key, "restore", bid, "--into", target, "--jobs", "2") == code
        assert message in one_error_line(capsys)
        assert target_objects(target) == 0
    finally:
        databases.drop(target)


def _resign(dest: Path, bid: str, key: Path, data: bytes, edit=None) -> None:
    """An object rewritten, its manifest fixed up and re-authenticated as the key's holder would:
    the per-file checks must still refuse what the object-level hash no longer can."""
    ring = crypto.Keyring.load(key)
    m = Manifest.parse((dest / manifest_name(bid)).read_bytes(), "m")
    dk = m.data_key(ring)
    (dest / dump_name(bid)).write_bytes(data)
    m.stored_bytes, m.sha256 = len(data), hashlib.sha256(data).hexdigest()
    if edit:
        edit(m)
    m.sign(dk)
    m.authenticate(ring.current)
    (dest / manifest_name(bid)).write_bytes(m.to_json())


def test_per_file_checks_hold_even_under_a_re_signed_manifest(pristine, tmp_path):
    root, key, bid = pristine
    ring = crypto.Keyring.load(key)

    def fresh() -> tuple[Path, bytes, list[dict]]:
        dest = tmp_path / f"d{len(list(tmp_path.iterdir()))}"
        shutil.copytree(root / "pristine", dest)
        return (dest, *_sections(dest, bid))

    # bytes after the last file, the file list unchanged
    dest, data, files = fresh()
    _resign(dest, bid, key, data + b"\0" * 64)
    with pytest.raises(crypto.IntegrityError, match="does not cover the dump"):
        verify_backup(LocalStore(dest), bid, ring, "lokdarpan")

    # two sections swapped, the offsets fixed: each file's key binds its index and name
    dest, data, files = fresh()
    a, b = files[1], files[2]
    swapped = (
        data[: a["offset"]]
        + data[b["offset"] : b["offset"] + b["stored"]]
        + data[a["offset"] : a["offset"] + a["stored"]]
        + data[b["offset"] + b["stored"] :]
    )

    def swap(m: Manifest) -> None:
        m.files[1], m.files[2] = dict(m.files[2]), dict(m.files[1])
        m.files[1]["name"], m.files[2]["name"] = a["name"], b["name"]
        m.files[1]["offset"], m.files[2]["offset"] = a["offset"], a["offset"] + b["stored"]

    _resign(dest, bid, key, swapped, swap)
    with pytest.raises(crypto.IntegrityError, match="does not authenticate"):
        verify_backup(LocalStore(dest), bid, ring, "lokdarpan")

    # a file's section replaced by another backup's file of the same place: another data key
    dest, data, files = fresh()
    _resign(dest, bid, key, data, lambda m: m.files[0].update(sha256="0" * 64))
    with pytest.raises(crypto.IntegrityError, match="SHA-256 differs"):
        verify_backup(LocalStore(dest), bid, ring, "lokdarpan")


def test_chunk_plaintext_is_a_bounded_zstd_frame():
    assert parallel.bound(1 << 20) > (1 << 20) + (1 << 20) // 256 + 64
    with pytest.raises(crypto.IntegrityError, match="more than"):
        import zstandard

        parallel._decompress(zstandard.ZstdCompressor().compress(bytes(5000)), 4096, "x")


def test_a_killed_backups_working_directory_is_removed_by_the_next(source_db, tmp_path, keyfile):
    """kill -9 mid-dump leaves pg_dump's directory (plaintext) behind, its lock free: the next
    backup removes it before it starts; a live run's directory (its lock held) is kept."""
    import fcntl
    import os

    left = tmp_path / "lokdarpan-backup-999999999-dead"  # no such pid: the run is gone
    (left / "dump").mkdir(parents=True)
    (left / ".lock").touch()
    (left / "dump" / "3342.dat").write_bytes(b"PGDMP plaintext rows")
    live = tmp_path / f"lokdarpan-backup-{os.getpid()}-live"
    live.mkdir()
    fd = os.open(live / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        r = create_backup(
            source_db, LocalStore(tmp_path / "dest"), crypto.Keyring.load(keyfile), "lokdarpan",
            jobs=1, workdir=tmp_path,
        )
        assert r.manifest.files and not left.exists() and live.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.keys", "dest", live.name]
    finally:
        os.close(fd)
