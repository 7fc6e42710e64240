"""`backup create → list → verify → restore` to a directory through the real CLI, pg_dump and
pg_restore, and every fault the issue names refused with one line, nothing written to the target."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from support import PLAN

from lokdarpan_db.backup import crypto
from lokdarpan_db.backup.dump import create_backup
from lokdarpan_db.backup.manifest import dump_name, manifest_name
from lokdarpan_db.backup.restore import target_objects
from lokdarpan_db.backup.store.local import LocalStore
from lokdarpan_db.cli import run


def cli(dest: Path, keyfile: Path, *args: str, db: str | None = None) -> int:
    pre = ["--db", db] if db else []
    return run([*pre, "--plan", str(PLAN), "backup", "--dest", str(dest), "--key-file", str(keyfile), *args])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_create_list_verify_restore_through_the_cli(source_db, databases, tmp_path, keyfile, capsys):
    dest = tmp_path / "backups"
    assert cli(dest, keyfile, "create", "--json", db=source_db) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["scope"] == "full" and made["rows"] >= 650 and made["plan_change"]
    bid = made["backup_id"]
    stored = (dest / dump_name(bid)).read_bytes()
    assert b"PGDMP" not in stored and b"Jubilee" not in stored  # ciphertext only
    manifest = json.loads((dest / manifest_name(bid)).read_text())
    assert manifest["tables"]["public.ward"] == 150 and manifest["tables"]["public.ai_demo"] == 500
    assert manifest["keys"][0]["key_id"] == made["key_id"] and len(manifest["sha256"]) == 64

    assert cli(dest, keyfile, "list", "--json") == 0
    [row] = json.loads(capsys.readouterr().out)["backups"]
    assert row["backup_id"] == bid and row["status"] == "verified" and row["stored_bytes"] == len(stored)

    assert cli(dest, keyfile, "verify", "latest") == 0
    assert "all authentic" in capsys.readouterr().out

    target = databases.create("restore")
    try:
        assert cli(dest, keyfile, "restore", "--json", bid, "--into", target, "--jobs", "2") == 0
        report = json.loads(capsys.readouterr().out)
        assert report["health"]["ok"] and report["health"]["tables_checked"] == len(manifest["tables"])
        assert report["health"]["verify_scripts_passed"] > 10
        with psycopg.connect(target) as conn:
            assert conn.execute("select count(*) from ward").fetchone()[0] == 150
        # a second restore into the now non-empty target is refused unless told
        assert cli(dest, keyfile, "restore", bid, "--into", target) == 2
        assert "not empty" in one_error_line(capsys)
        assert cli(dest, keyfile, "restore", bid, "--into", target, "--overwrite", "--jobs", "1") == 0
    finally:
        databases.drop(target)


def test_ai_scope_dumps_only_ai_tables(source_db, tmp_path, keyfile, capsys):
    store = LocalStore(tmp_path)
    r = create_backup(source_db, store, crypto.Keyring.load(keyfile), "lokdarpan", "ai")
    with psycopg.connect(source_db) as conn:
        ai_tables = {
            f"public.{name}"
            for (name,) in conn.execute(
                "select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace "
                "and c.relkind in ('r', 'p') and c.relname like 'ai\\_%'"
            )
        }
    assert set(r.manifest.tables) <= ai_tables and r.manifest.tables["public.ai_demo"] == 500
    assert "public.ward" not in r.manifest.tables and "public.post" not in r.manifest.tables
    assert r.manifest.backup_id.split("-")[1] == "ai"


@pytest.fixture(scope="module")
def one_backup(source_db, tmp_path_factory) -> tuple[Path, Path, str]:
    import base64
    import os

    root = tmp_path_factory.mktemp("faults")
    key = root / "keys"
    key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    key.chmod(0o600)
    r = create_backup(source_db, LocalStore(root / "pristine"), crypto.Keyring.load(key), "lokdarpan")
    return root, key, r.manifest.backup_id


def _flip4(path: Path) -> None:
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 4] = bytes(b ^ 0xA5 for b in data[mid : mid + 4])
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 5000])


def _drop_manifest(dest: Path, bid: str) -> None:
    (dest / manifest_name(bid)).unlink()


def _edit_manifest(dest: Path, bid: str) -> None:
    m = json.loads((dest / manifest_name(bid)).read_text())
    m["tables"]["public.ward"] = 151
    (dest / manifest_name(bid)).write_text(json.dumps(m))


def _other_project(dest: Path, bid: str, key: Path) -> None:
    """A genuine backup of another project under the same key: re-signed as its operator would."""
    from lokdarpan_db.backup.manifest import Manifest

    ring = crypto.Keyring.load(key)
    m = Manifest.parse((dest / manifest_name(bid)).read_bytes(), "m")
    dk = m.data_key(ring)
    m.project = "someone-else"
    m.sign(dk)
    m.authenticate(ring.current)
    (dest / manifest_name(bid)).write_bytes(m.to_json())


def _unsigned_edit(dest: Path, bid: str) -> None:
    m = json.loads((dest / manifest_name(bid)).read_text())
    m["project"] = "someone-else"
    (dest / manifest_name(bid)).write_text(json.dumps(m))


FAULTS = {
    "wrong key": (None, 1, "wrong key"),
    "truncated": (lambda d, b: _truncate(d / dump_name(b)), 1, "the manifest says"),
    "4 bytes flipped": (lambda d, b: _flip4(d / dump_name(b)), 1, "does not authenticate"),
    "missing manifest": (_drop_manifest, 1, "no manifest"),
    "edited manifest": (_edit_manifest, 1, "was edited"),
    "another project": (_other_project, 2, "belongs to project 'someone-else'"),
    "project edited without the key": (_unsigned_edit, 1, "was edited or forged"),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_faults_are_refused_and_the_target_untouched(fault, one_backup, databases, tmp_path, capsys):
    root, key, bid = one_backup
    dest = tmp_path / "dest"
    shutil.copytree(root / "pristine", dest)
    damage, code, message = FAULTS[fault]
    if damage is None:
        other = tmp_path / "other.keys"
        other.write_text("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
        other.chmod(0o600)
        key = other
    elif damage is _other_project:
        damage(dest, bid, key)
    else:
        damage(dest, bid)
    target = databases.create("fault")
    try:
        assert cli(dest, key, "restore", bid, "--into", target) == code
        assert message in one_error_line(capsys)
        assert target_objects(target) == 0
    finally:
        databases.drop(target)


def test_truncated_at_a_chunk_boundary_with_its_manifest_fixed_up(source_db, tmp_path, keyfile):
    """Dropping whole chunks and fixing the manifest's size and hash still fails: the manifest's
    MAC; and with the old manifest restored, the missing final chunk."""
    import hashlib

    from lokdarpan_db.backup.restore import verify_backup

    store, ring = LocalStore(tmp_path), crypto.Keyring.load(keyfile)
    bid = create_backup(source_db, store, ring, "lokdarpan", chunk_size=64 * 1024).manifest.backup_id
    data = (tmp_path / dump_name(bid)).read_bytes()
    original = (tmp_path / manifest_name(bid)).read_text()
    m = json.loads(original)
    assert m["chunks"] > 3
    first = crypto.HEADER.size + 4 + int.from_bytes(data[crypto.HEADER.size : crypto.HEADER.size + 4], "big")
    cut = data[:first]
    (tmp_path / dump_name(bid)).write_bytes(cut)
    m["stored_bytes"], m["sha256"] = len(cut), hashlib.sha256(cut).hexdigest()
    (tmp_path / manifest_name(bid)).write_text(json.dumps(m))
    with pytest.raises(crypto.IntegrityError, match="was edited"):
        verify_backup(store, bid, ring, "lokdarpan")
    (tmp_path / manifest_name(bid)).write_text(original)
    (tmp_path / dump_name(bid)).write_bytes(data[: len(data) - 1])
    with pytest.raises(crypto.IntegrityError):
        verify_backup(store, bid, ring, "lokdarpan")


def test_a_full_destination_leaves_nothing(source_db, tmp_path, keyfile, capsys):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        assert cli(mnt, keyfile, "create", db=source_db) == 1
        assert "is full" in one_error_line(capsys)
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_bad_input_is_one_line_exit_2(tmp_path, keyfile, capsys, monkeypatch):
    monkeypatch.delenv("LOKDARPAN_BACKUP_KEY", raising=False)
    monkeypatch.delenv("LOKDARPAN_BACKUP_KEY_FILE", raising=False)
    assert run(["--plan", str(PLAN), "backup", "--dest", str(tmp_path), "verify", "latest"]) == 2
    assert "no backup key" in one_error_line(capsys)
    assert cli(tmp_path, keyfile, "verify", "latest") == 2
    assert "no verified full backup" in one_error_line(capsys)
    assert cli(tmp_path, keyfile, "verify", "yesterday") == 2
    assert "is not a backup id" in one_error_line(capsys)
    assert cli(tmp_path, keyfile, "prune", "--daily", "-3") == 2
    assert "--daily must be 0..1000, got -3" in one_error_line(capsys)
    assert cli(tmp_path, keyfile, "restore", "latest", "--into", "postgresql://x", "--jobs", "0") == 2
    assert "--jobs must be 1..64, got 0" in one_error_line(capsys)


def test_drill_and_prune(source_db, tmp_path, keyfile, capsys):
    assert cli(tmp_path, keyfile, "drill", "--json", db=source_db) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["restore"]["health"]["ok"] and set(d["seconds"]) == {
        "create",
        "verify",
        "restore",
        "health",
        "drop",
    }
    with psycopg.connect(source_db) as conn:
        assert not conn.execute(
            "select 1 from pg_database where datname = %s", (d["scratch_database"],)
        ).fetchone()
    assert cli(tmp_path, keyfile, "create", db=source_db) == 0
    capsys.readouterr()
    # two good backups on one day: daily 0 still keeps the newest, and --dry-run deletes nothing
    assert (
        cli(
            tmp_path,
            keyfile,
            "prune",
            "--json",
            "--daily",
            "0",
            "--weekly",
            "0",
            "--monthly",
            "0",
            "--yearly",
            "0",
            "--dry-run",
        )
        == 0
    )
    p = json.loads(capsys.readouterr().out)
    assert len(p["keep"]) == 1 and len(p["delete"]) == 1 and p["keep"][0]["because"] == ["newest verified"]
    assert len(list(tmp_path.glob("*.dump.enc"))) == 2
    assert (
        cli(tmp_path, keyfile, "prune", "--daily", "0", "--weekly", "0", "--monthly", "0", "--yearly", "0")
        == 0
    )
    assert [p.name for p in tmp_path.glob("*.dump.enc")] == [dump_name(p["keep"][0]["backup_id"])]


def test_rotation_new_key_reads_old_backups(source_db, tmp_path, keyfile, capsys):
    import base64
    import os

    assert cli(tmp_path, keyfile, "create", db=source_db) == 0
    old = keyfile.read_text()
    new = base64.b64encode(os.urandom(32)).decode() + "\n"
    keyfile.write_text(new + old)  # rotation step 1: the new key first, the old one kept
    assert cli(tmp_path, keyfile, "rekey") == 0
    assert "re-wrapped 1 backup(s)" in capsys.readouterr().out
    keyfile.write_text(new)  # step 2: retire the old key
    assert cli(tmp_path, keyfile, "verify", "latest") == 0


def test_the_demo_shows_a_drill(source_db):
    from rich.console import Console

    from lokdarpan_db.devtools.demos.backup import show_backup

    console = Console(record=True, width=200)
    show_backup(source_db, console)
    text = console.export_text()
    assert "backup drill" in text and "verify scripts passed" in text and "scratch dropped" in text


def test_pitr_cli_without_setup_is_one_line_exit_2(project, capsys):
    project.write_plan("")
    assert run(["--plan", str(project.plan), "pitr", "info"]) == 2
    assert "run `lokdarpan-db pitr setup`" in one_error_line(capsys)
    assert run(["--plan", str(project.plan), "pitr", "backup", "--type", "weekly"]) == 2
    assert "weekly" in one_error_line(capsys)
