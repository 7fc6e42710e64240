"""Point-in-time recovery through pgBackRest, for real: a cluster archiving WAL with
archive_command = pgbackrest archive-push, a base backup, rows written, the time noted, more rows,
then a restore to the noted time into a second data directory on another port."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.backup import crypto
from lokdarpan_db.backup.pitr import Pitr, derive_cipher_pass
from lokdarpan_db.errors import BadInputError
from lokdarpan_db.server.cluster import LocalCluster

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/pgbackrest").exists(), reason="pgbackrest missing: make deps"
)


@pytest.fixture(scope="module")
def pitr():
    root = Path(tempfile.mkdtemp(prefix="lokdarpan-pitr-"))
    os.chmod(root, 0o755)
    cluster = LocalCluster(root / "pg", database="postgres")
    cluster.init(fast=True)
    cluster.start()
    p = Pitr(cluster)
    try:
        yield p, root
    finally:
        cluster.stop()
        for extra in root.glob("restored*"):
            LocalCluster(extra, database="postgres").stop()
        shutil.rmtree(root, ignore_errors=True)


KEY = os.urandom(32)


def test_restore_to_a_noted_time_keeps_only_the_earlier_rows(pitr):
    p, root = pitr
    setup = p.setup(keyring=crypto.Keyring((KEY,)))
    assert "archive-push" in setup["archive_command"]
    assert setup["cipher"] == "aes-256-cbc" and crypto.key_id(KEY) in setup["cipher_pass"]
    with psycopg.connect(p.cluster.url("postgres"), autocommit=True) as conn:
        assert conn.execute("show archive_mode").fetchone()[0] == "on"
    first = p.backup("full")
    assert first["backup"]["type"] == "full"
    url = p.cluster.url("postgres")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select pg_sleep(1.1)")  # pgBackRest wants a backup that stopped before the target
        conn.execute("create table pitr_probe (id int primary key, batch text)")
        conn.execute("insert into pitr_probe select g, 'before' from generate_series(1, 100) g")
        noted = conn.execute("select clock_timestamp()").fetchone()[0]
        conn.execute("select pg_sleep(1.1)")
        conn.execute("insert into pitr_probe select g, 'after' from generate_series(101, 150) g")
    p._run("check")  # switches WAL and waits until the segment with the later rows is archived
    info = p.info()
    assert info["backups"] and info["wal"]["max"]
    assert_repository_encrypted(p)
    restored = p.restore(noted.isoformat(sep=" "), root / "restored")
    try:
        assert restored.port != p.cluster.port
        with psycopg.connect(restored.url("postgres"), autocommit=True) as conn:
            rows = conn.execute("select batch, count(*) from pitr_probe group by 1").fetchall()
            assert rows == [("before", 100)]
            assert conn.execute("select pg_is_in_recovery()").fetchone()[0] is False
            assert (
                conn.execute("show archive_mode").fetchone()[0] == "off"
            )  # it does not archive into our repo
        with psycopg.connect(url) as conn:  # the original still has both batches
            assert conn.execute("select count(*) from pitr_probe").fetchone()[0] == 150
    finally:
        restored.stop()


def test_bad_restore_requests(pitr):
    p, root = pitr
    if not p.configured:
        pytest.skip("needs the setup of the test above")
    with pytest.raises(BadInputError, match="with a time zone"):
        p.restore("yesterday", root / "x")
    (root / "busy").mkdir()
    (root / "busy" / "f").write_text("x")
    with pytest.raises(BadInputError, match="not empty"):
        p.restore("2026-11-25 23:40:00+00", root / "busy")
    with pytest.raises(BadInputError, match="--port must be"):
        p.restore("2026-11-25 23:40:00+00", root / "y", port=80)


def test_pitr_commands_need_setup(tmp_path):
    with pytest.raises(BadInputError, match="pitr setup"):
        Pitr(LocalCluster(tmp_path)).info()


def assert_repository_encrypted(p: Pitr) -> None:
    """Issue 18 (Low): the pgBackRest repository was plaintext. Now every file in it is
    encrypted (pgBackRest writes OpenSSL's `Salted__` format), pgBackRest reports the cipher, and
    the passphrase is only in the 0600 config, never in the archive_command or the server's
    settings."""
    conf = p.config.read_text()
    assert "repo1-cipher-type=aes-256-cbc" in conf
    assert f"repo1-cipher-pass={derive_cipher_pass(KEY)}" in conf
    assert stat.S_IMODE(p.config.stat().st_mode) == 0o600
    assert stat.S_IMODE(p.root.stat().st_mode) == 0o700
    repo = p.root / "repo"
    backup_info = repo / "backup" / "lokdarpan" / "backup.info"
    assert backup_info.read_bytes().startswith(b"Salted__")
    wal = [f for f in (repo / "archive" / "lokdarpan").rglob("0000000*") if f.is_file()]
    assert wal and all(f.read_bytes().startswith(b"Salted__") for f in wal)
    manifests = list((repo / "backup" / "lokdarpan").glob("*/backup.manifest"))
    assert manifests and all(m.read_bytes().startswith(b"Salted__") for m in manifests)
    [stanza] = json.loads(p._run("--output=json", "info"))
    assert [r["cipher"] for r in stanza["repo"]] == ["aes-256-cbc"]
    with psycopg.connect(p.cluster.url("postgres")) as conn:
        assert derive_cipher_pass(KEY) not in conn.execute("show archive_command").fetchone()[0]


def test_the_cipher_pass_is_derived_from_the_key_and_nothing_else():
    a, b = os.urandom(32), os.urandom(32)
    assert derive_cipher_pass(a) == derive_cipher_pass(a) != derive_cipher_pass(b)
    assert len(derive_cipher_pass(a)) == 64  # 48 bytes, base64


def test_setup_again_keeps_the_passphrase_and_the_key_file_must_be_private(project, tmp_path, capsys):
    import base64

    from lokdarpan_db.cli import run

    project.write_plan("")
    p = Pitr(LocalCluster(tmp_path / ".lokdarpan"))
    p.root.mkdir(parents=True)
    p.config.write_text("[global]\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=c2VjcmV0\n")
    assert p._configured_cipher_pass() == "c2VjcmV0"  # a setup without a key reuses it
    key = tmp_path / "backup.keys"
    key.write_text(base64.b64encode(KEY).decode() + "\n")
    key.chmod(0o644)
    assert run(["--plan", str(project.plan), "pitr", "setup", "--key-file", str(key)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "accessible by group or others (mode 0644)" in err, err
