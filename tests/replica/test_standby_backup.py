"""`backup create` from the hot standby (issue 24): the unlogged access log's rows cannot be read
during recovery, so they are skipped (--no-unlogged-table-data) and the authenticated manifest
says so; the backup lists as verified and restores into a new database on the primary."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import psycopg
import pytest
from support import PLAN

from lokdarpan_db.backup.manifest import manifest_name
from lokdarpan_db.cli import run

# The project's unlogged tables: the access log, and the votes-add-up check's queue (empty outside
# the transaction that fills it)
SKIPPED = [
    "public.ai_embedding_access",
    "public.polling_station_result_check_pending",
    "public.polling_station_result_check_queue",
]


@pytest.fixture()
def keyfile(tmp_path: Path) -> Path:
    path = tmp_path / "backup.keys"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(0o600)
    return path


def backup(dest: Path, keyfile: Path, *args: str, db: str | None = None) -> int:
    pre = ["--db", db] if db else []
    return run([*pre, "--plan", str(PLAN), "backup", "--dest", str(dest), "--key-file", str(keyfile), *args])


def test_backup_from_the_standby_restores_on_the_primary(loaded, tmp_path, keyfile, capsys) -> None:
    dest = tmp_path / "backups"
    assert backup(dest, keyfile, "create", "--json", db=loaded.standby_url) == 0, capsys.readouterr().err
    made = json.loads(capsys.readouterr().out)
    assert made["skipped_data"] == SKIPPED
    manifest = json.loads((dest / manifest_name(made["backup_id"])).read_text())
    assert manifest["skipped_data"] == SKIPPED
    assert manifest["tables"]["public.ward"] == 150 and "public.ai_embedding_access" not in manifest["tables"]

    assert backup(dest, keyfile, "list", "--json") == 0
    [row] = json.loads(capsys.readouterr().out)["backups"]
    assert row["status"] == "verified"
    assert backup(dest, keyfile, "verify", "latest") == 0
    capsys.readouterr()

    with psycopg.connect(loaded.primary.url("postgres"), autocommit=True) as conn:
        conn.execute("create database from_standby")
    target = loaded.primary.url("from_standby")
    assert backup(dest, keyfile, "restore", "--json", made["backup_id"], "--into", target) == 0, \
        capsys.readouterr().err
    report = json.loads(capsys.readouterr().out)
    assert report["health"]["ok"] and report["health"]["tables_checked"] == len(manifest["tables"])
    with psycopg.connect(target) as conn:
        assert conn.execute("select count(*) from public.ward").fetchone()[0] == 150
        # the definition came along, the rows did not
        assert conn.execute("select relpersistence from pg_class "
                            "where oid = 'public.ai_embedding_access'::regclass").fetchone()[0] == "u"
        assert conn.execute("select count(*) from public.ai_embedding_access").fetchone()[0] == 0


def test_the_skipped_data_field_is_authenticated(loaded, tmp_path, keyfile, capsys) -> None:
    dest = tmp_path / "backups"
    assert backup(dest, keyfile, "create", "--json", db=loaded.standby_url) == 0
    bid = json.loads(capsys.readouterr().out)["backup_id"]
    path = dest / manifest_name(bid)
    edited = json.loads(path.read_text())
    edited["skipped_data"] = []  # hide that the access log's rows are missing
    path.write_text(json.dumps(edited))
    assert backup(dest, keyfile, "list", "--json") == 0
    [row] = json.loads(capsys.readouterr().out)["backups"]
    assert row["status"] != "verified"


def test_a_backup_of_the_primary_skips_nothing(loaded, tmp_path, keyfile, capsys) -> None:
    dest = tmp_path / "backups"
    assert backup(dest, keyfile, "create", "--json", db=loaded.primary_url) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["skipped_data"] == []
    manifest = json.loads((dest / manifest_name(made["backup_id"])).read_text())
    assert manifest["tables"]["public.ai_embedding_access"] == 1


def test_a_manifest_written_before_skipped_data_existed_still_verifies(keyfile) -> None:
    from lokdarpan_db.backup import crypto
    from lokdarpan_db.backup.manifest import Manifest

    keyring = crypto.Keyring.load(keyfile)
    m = Manifest(backup_id="20260101T000000Z-full-0123abcd", nonce_id="00" * 16, project="lokdarpan",
                 scope="full", database="lokdarpan", server_version="15", pg_dump_version="15",
                 plan_change=None, plan_change_id=None, started="2026-01-01T00:00:00+00:00",
                 finished="2026-01-01T00:00:01+00:00", dump_bytes=1, stored_bytes=1, chunks=1,
                 chunk_size=4096, sha256="0" * 64, tables={"public.ward": 150})
    m.authenticate(keyring.current)
    old = json.loads(m.to_json())
    del old["skipped_data"]  # as `backup create` wrote it before issue 24
    parsed = Manifest.parse(json.dumps(old).encode(), "old.manifest.json")
    assert parsed.skipped_data == [] and parsed.auth_problem(keyring) is None
    parsed.skipped_data = ["public.ai_embedding_access"]
    assert "does not verify" in (parsed.auth_problem(keyring) or "")
