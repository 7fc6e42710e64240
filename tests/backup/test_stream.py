"""Where the plaintext is (issue 23): `backup create --jobs 1` streams pg_dump's custom format
(-Z0) through zstd and the encryptor with nothing on disk, and restores from that stream; faults
in such a backup are refused; a parallel create (--jobs N > 1) interrupted by SIGTERM or Ctrl-C
stops pg_dump and removes its private working directory, leaving no plaintext behind."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from support import PLAN, ROOT, cli_env

from lokdarpan_db.backup import crypto
from lokdarpan_db.backup.dump import create_backup
from lokdarpan_db.backup.manifest import STREAM_FILE, Manifest, dump_name, manifest_name
from lokdarpan_db.backup.restore import target_objects, verify_backup
from lokdarpan_db.backup.store.local import LocalStore
from lokdarpan_db.cli import run


def cli(dest: Path, keyfile: Path, *args: str, db: str | None = None) -> int:
    pre = ["--db", db] if db else []
    return run([*pre, "--plan", str(PLAN), "backup", "--dest", str(dest), "--key-file", str(keyfile), *args])


def test_jobs_1_streams_with_nothing_on_disk_and_restores(source_db, databases, tmp_path, keyfile, capsys):
    # a working directory that does not exist: a backup that tried to put anything there would fail
    nowhere = tmp_path / "no-such-dir"
    dest = tmp_path / "backups"
    assert cli(dest, keyfile, "create", "--jobs", "1", "--workdir", str(nowhere), "--json", db=source_db) == 0
    bid = json.loads(capsys.readouterr().out)["backup_id"]
    assert not nowhere.exists()
    stored = (dest / dump_name(bid)).read_bytes()
    assert b"PGDMP" not in stored and b"Jubilee" not in stored  # ciphertext only
    m = Manifest.parse((dest / manifest_name(bid)).read_bytes(), "m")
    assert m.stream and not m.directory
    assert [f["name"] for f in m.files] == [STREAM_FILE] and m.files[0]["stored"] == len(stored)
    assert "streamed" in m.compression and "zstd" in m.compression
    assert m.dump_bytes == m.files[0]["bytes"] > 0 and m.chunks == m.files[0]["chunks"]
    assert cli(dest, keyfile, "verify", bid) == 0
    capsys.readouterr()

    target = databases.create("srestore")
    try:
        for jobs in ("1", "2"):
            args = ["restore", "--json", bid, "--into", target, "--jobs", jobs, "--overwrite"]
            assert cli(dest, keyfile, *args, "--workdir", str(tmp_path)) == 0
            report = json.loads(capsys.readouterr().out)
            assert report["health"]["ok"] and report["health"]["tables_checked"] == len(m.tables)
            with psycopg.connect(target) as conn:
                assert conn.execute("select count(*) from public.ai_demo").fetchone()[0] == 500
            assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.keys", "backups"]
    finally:
        databases.drop(target)


def _append(data: bytes) -> bytes:
    return data + data[-200:]


def _cut(data: bytes) -> bytes:
    return data[:-100]


def _flip(data: bytes) -> bytes:
    b = bytearray(data)
    b[len(b) // 2] ^= 0x01
    return bytes(b)


@pytest.mark.parametrize(
    "damage,message",
    [
        (None, "wrong key"),
        (_append, "the manifest says|bytes after"),
        (_cut, "the manifest says|truncated"),
        (_flip, "does not authenticate|implausible length|truncated"),
    ],
    ids=["wrong key", "bytes appended", "truncated", "a byte flipped"],
)
def test_faults_in_a_streamed_backup_are_refused(
    damage, message, source_db, databases, tmp_path, keyfile, capsys
):
    dest = tmp_path / "d"
    r = create_backup(
        source_db, LocalStore(dest), crypto.Keyring.load(keyfile), "lokdarpan", jobs=1, chunk_size=8192
    )
    bid = r.manifest.backup_id
    assert r.manifest.stream and r.manifest.chunks > 3
    key = keyfile
    if damage is None:
        key = tmp_path / "other.keys"
        key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
        key.chmod(0o600)
    else:
        obj = dest / dump_name(bid)
        obj.write_bytes(damage(obj.read_bytes()))
        with pytest.raises(crypto.IntegrityError, match=message):
            verify_backup(LocalStore(dest), bid, crypto.Keyring.load(keyfile), "lokdarpan")
    target = databases.create("sfault")
    try:
        assert cli(dest, key, "restore", bid, "--into", target, "--jobs", "1") == 1
        err = capsys.readouterr().err.strip()
        assert "Traceback" not in err and len(err.splitlines()) == 1, err
        if damage is None:
            assert message in err
        assert target_objects(target) == 0
    finally:
        databases.drop(target)


@pytest.fixture(scope="module")
def bulky(databases):
    """A database whose parallel dump takes a while: 1.5M rows, about 100 MB of pg_dump text."""
    url = databases.create("bulky")
    with psycopg.connect(url, autocommit=True) as conn:
        for t in ("a", "b"):
            conn.execute(f"create table public.bulk_{t} (id int primary key, note text)")
            conn.execute(
                f"insert into public.bulk_{t} select g, md5(g::text) || md5((g + 7)::text)"
                " from generate_series(1, 750000) as g"
            )
    yield url
    databases.drop(url)


def _pids_below(pid: int) -> dict[int, str]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat[stat.rindex(")") + 2 :].split()[1]), []).append(int(entry.name))
    found, todo = {}, [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            try:
                found[child] = (Path("/proc") / str(child) / "comm").read_text().strip()
            except OSError:
                continue
            todo.append(child)
    return found


def _alive(pids) -> list[int]:
    out = []
    for p in pids:
        try:
            state = (Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.append(p)
    return out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_interrupted_parallel_create_leaves_no_plaintext(signum, bulky, tmp_path, keyfile):
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    dest = tmp_path / "dest"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lokdarpan_db.cli", "--db", bulky, "--plan", str(PLAN), "backup", "--dest",
         str(dest), "--key-file", str(keyfile), "create", "--jobs", "2"],
        cwd=ROOT, env=cli_env({"LOKDARPAN_BACKUP_WORKDIR": str(work)}), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    kids: dict[int, str] = {}
    while time.monotonic() < deadline and proc.poll() is None:
        data = [p for p in work.glob("lokdarpan-backup-*/dump/*.dat*") if p.stat().st_size > 0]
        if data:  # pg_dump is writing table data: plaintext on disk
            kids = _pids_below(proc.pid)
            break
        time.sleep(0.02)
    assert proc.poll() is None and "pg_dump" in kids.values(), proc.communicate()
    os.kill(proc.pid, signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip() == "interrupted"
    deadline = time.monotonic() + 20
    while _alive(kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive(kids) == [], kids  # pg_dump and its workers were stopped
    assert list(work.iterdir()) == []  # its working directory is gone, plaintext and all
    assert (list(dest.iterdir()) if dest.exists() else []) == []  # no partial object kept
