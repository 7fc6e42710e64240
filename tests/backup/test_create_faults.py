"""Issue 19: faults injected for real into `backup create`, `list` and `prune`: a create killed with
SIGKILL mid-dump (directory and S3), a live backup next to a prune, a server stopped immediately
mid-dump, and a destination that does not exist."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from conftest import s3_client
from support import PLAN, ROOT, cli_env

from lokdarpan_db.backup.manifest import DUMP_SUFFIX
from lokdarpan_db.backup.store.local import LocalStore
from lokdarpan_db.cli import run
from lokdarpan_db.server.cluster import throwaway

BLOB_SQL = (
    "insert into public.{t} select g, decode(md5(random()::text) || md5(random()::text) ||"
    " md5(random()::text) || md5(random()::text), 'hex') from generate_series(1, {n}) as g"
)


def cli(dest: str | Path, keyfile: Path, *args: str, db: str | None = None) -> int:
    pre = ["--db", db] if db else []
    return run([*pre, "--plan", str(PLAN), "backup", "--dest", str(dest), "--key-file", str(keyfile), *args])


def spawn_create(
    dest: str | Path, keyfile: Path, db: str, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """`lokdarpan-db backup create` as a real process, so it can be killed."""
    args = ["--db", db, "--plan", str(PLAN), "backup", "--dest", str(dest), "--key-file", str(keyfile)]
    return subprocess.Popen(
        [sys.executable, "-m", "lokdarpan_db.cli", *args, "create"],
        cwd=ROOT,
        env=cli_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(what: str, probe: Callable[[], bool], proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if proc.poll() is not None:
            pytest.fail(f"the backup ended (rc {proc.returncode}) before {what}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def partial_files(dest: Path) -> list[Path]:
    return sorted(dest.glob(".*.partial")) if dest.is_dir() else []


def dumped_bytes(tmpdir: Path) -> int:
    """What pg_dump -Fd has written so far into a parallel backup's working directory."""
    total = 0
    for path in tmpdir.glob("lokdarpan-backup-*/dump/*"):
        with contextlib.suppress(FileNotFoundError):  # sealed and unlinked meanwhile
            total += path.stat().st_size
    return total


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def blob_db(source_db: str) -> str:
    """About 25 MB of incompressible rows: a dump that takes seconds, long enough to be killed in."""
    with psycopg.connect(source_db, autocommit=True) as conn:
        conn.execute("create table public.ai_fault_blob (id int primary key, b bytea)")
        conn.execute(BLOB_SQL.format(t="ai_fault_blob", n=400_000))
    return source_db


def kill_mid_dump(dest: Path, keyfile: Path, db: str) -> None:
    """Start `backup create`, SIGKILL it once its partial file holds more than 1 MB."""
    before = set(partial_files(dest))
    proc = spawn_create(dest, keyfile, db)
    wait_for(
        "the dump to be half written",
        lambda: any(p.stat().st_size > 1 << 20 for p in set(partial_files(dest)) - before),
        proc,
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    proc.stderr.close()


def test_killed_creates_leave_partial_files_that_list_shows_and_prune_removes(
    blob_db, tmp_path, keyfile, capsys
):
    """Finding 9: two `backup create` runs killed with SIGKILL mid-dump left hidden partial files
    that `list` and `prune` neither showed nor deleted."""
    dest = tmp_path / "backups"
    assert cli(dest, keyfile, "create", db=blob_db) == 0  # one good backup, so prune keeps something
    capsys.readouterr()
    kill_mid_dump(dest, keyfile, blob_db)
    kill_mid_dump(dest, keyfile, blob_db)
    left = partial_files(dest)
    assert len(left) == 2
    total = sum(p.stat().st_size for p in left)

    assert cli(dest, keyfile, "list") == 0
    out = capsys.readouterr().out
    assert "2 unfinished uploads from killed runs (" in out and "`backup prune` removes them" in out, out
    assert cli(dest, keyfile, "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed["backups"]) == 1 and listed["backups"][0]["status"] == "verified"
    assert sorted(x["bytes"] for x in listed["leftovers"]) == sorted(p.stat().st_size for p in left)
    assert not any(x["live"] for x in listed["leftovers"])
    assert {x["kind"] for x in listed["leftovers"]} == {"partial file"}

    assert cli(dest, keyfile, "prune", "--dry-run", "--json") == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["leftovers"]["removed_bytes"] == total and partial_files(dest) == left

    assert cli(dest, keyfile, "prune") == 0
    out = capsys.readouterr().out
    assert out.count("removed partial file of ") == 2, out
    assert partial_files(dest) == []
    assert [p.name for p in dest.iterdir()] and all(not p.name.startswith(".") for p in dest.iterdir())
    assert cli(dest, keyfile, "list", "--json") == 0
    after = json.loads(capsys.readouterr().out)
    assert after["leftovers"] == [] and len(after["backups"]) == 1


LIVE_WRITER = """
import sys
from pathlib import Path
from lokdarpan_db.backup.store.local import LocalStore

def chunks():
    yield b"x" * (1 << 20)
    print("writing", flush=True)
    sys.stdin.readline()  # a slow pg_dump: the backup is alive, its partial file half written
    yield b"y" * (1 << 20)

print(LocalStore(Path(sys.argv[1])).write_stream(sys.argv[2], chunks()), flush=True)
"""


def test_prune_never_removes_the_partial_file_of_a_live_backup(tmp_path, keyfile, capsys):
    dest = tmp_path / "backups"
    dest.mkdir()
    name = "20261125T233000Z-full-1a2b3c4d" + DUMP_SUFFIX
    writer = subprocess.Popen(
        [sys.executable, "-c", LIVE_WRITER, str(dest), name],
        cwd=ROOT,
        env=cli_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        [partial] = partial_files(dest)
        assert cli(dest, keyfile, "list") == 0
        assert "1 backup (1.0 MB) being written now by a running backup" in capsys.readouterr().out
        assert cli(dest, keyfile, "prune", "--stale-after", "0", "--json") == 0
        report = json.loads(capsys.readouterr().out)["leftovers"]
        assert report["removed"] == [] and [x["live"] for x in report["kept"]] == [True]
        assert partial.exists()
        # the lock is what protects it, whatever its age
        os.utime(partial, (0, 0))
        assert not LocalStore(dest).remove_leftover(LocalStore(dest).leftovers()[0])
        writer.stdin.write("go on\n")
        writer.stdin.flush()
        assert writer.wait(30) == 0
        assert int(writer.stdout.readline()) == 2 << 20
    finally:
        writer.kill()
        writer.wait()
    assert (dest / name).stat().st_size == 2 << 20 and partial_files(dest) == []


def test_a_server_stopped_immediately_mid_dump_is_one_line_and_stores_nothing(tmp_path, keyfile):
    """A server crash during `backup create` ended with pg_dump's `detail: Command was: COPY …`."""
    dest = tmp_path / "backups"
    with throwaway(prefix="lokdarpan-crash-") as cluster:
        url = cluster.url("postgres")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create table public.ai_crash_blob (id int primary key, b bytea)")
            conn.execute(BLOB_SQL.format(t="ai_crash_blob", n=400_000))
        tmpdir = tmp_path / "tmp"
        tmpdir.mkdir(mode=0o700)
        proc = spawn_create(dest, keyfile, url, {"TMPDIR": str(tmpdir)})
        # pg_dump -Fd -j N writes into the working directory first (issue 23): stop the server then
        wait_for("pg_dump to be half way", lambda: dumped_bytes(tmpdir) > 1 << 20, proc)
        stop = cluster._run_as_owner(["pg_ctl", "stop", "-D", str(cluster.datadir), "-m", "immediate", "-w"])
        assert stop.returncode == 0, stop.stderr
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    err = err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("error: the server closed the connection during the dump (pg_dump: "), err
    assert err.endswith("; nothing was stored") and "Command was" not in err, err
    assert not dest.exists() or list(dest.iterdir()) == []  # no dump, manifest or partial file
    assert list(tmpdir.iterdir()) == []  # nor pg_dump's working directory


def test_a_destination_that_does_not_exist_is_an_error(tmp_path, keyfile, capsys):
    """`backup --dest /typo list` said "no backups" and exited 0."""
    typo = tmp_path / "bakcups"
    for verb in (["list"], ["prune"], ["verify", "latest"], ["rekey"]):
        assert cli(typo, keyfile, *verb) == 2, verb
        err = one_error_line(capsys)
        assert f"backup destination {typo} does not exist" in err, err
    assert not typo.exists()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert cli(a_file, keyfile, "list") == 2
    assert f"backup destination {a_file} is not a directory" in one_error_line(capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli(empty, keyfile, "list") == 0
    assert capsys.readouterr().out.strip() == "no backups"


def test_the_default_destination_before_the_first_backup_lists_nothing(project, keyfile, capsys):
    project.write_plan("")
    rc = run(["--plan", str(project.plan), "backup", "--key-file", str(keyfile), "list"])
    assert rc == 0 and capsys.readouterr().out.strip() == "no backups"


def test_a_killed_s3_upload_is_listed_and_aborted_by_prune(blob_db, bucket, s3_server, keyfile, capsys):
    """Finding 9 (S3): a `backup create` killed mid-upload left its multipart upload (and the parts
    S3 bills for) that `prune` never aborted."""
    dest = f"s3://{bucket}/db"
    s3 = s3_client(s3_server)

    def uploads() -> list[dict]:
        return s3.list_multipart_uploads(Bucket=bucket, Prefix="db/").get("Uploads", [])

    def parts_uploaded() -> bool:
        return any(
            s3.list_parts(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"]).get("Parts") for u in uploads()
        )

    proc = spawn_create(dest, keyfile, blob_db, env={"LOKDARPAN_S3_PART_MB": "5"})
    wait_for("a part to reach S3", parts_uploaded, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    proc.stderr.close()
    [upload] = uploads()
    assert upload["Key"].startswith("db/") and upload["Key"].endswith(DUMP_SUFFIX)

    assert cli(dest, keyfile, "list", "--json") == 0
    [left] = json.loads(capsys.readouterr().out)["leftovers"]
    assert left["kind"] == "multipart upload" and left["bytes"] >= 5 << 20 and left["live"]
    assert cli(dest, keyfile, "list") == 0
    out = capsys.readouterr().out
    assert "1 unfinished multipart upload (" in out and "active within 60 min" in out, out

    # by default an upload active within the hour may be a running backup: kept
    assert cli(dest, keyfile, "prune") == 0
    assert "kept   multipart upload of" in capsys.readouterr().out
    assert [u["UploadId"] for u in uploads()] == [upload["UploadId"]]
    # idle past the threshold (0 here: no backup is running), it is aborted
    assert cli(dest, keyfile, "prune", "--stale-after", "0") == 0
    assert "removed multipart upload of " in capsys.readouterr().out
    assert uploads() == []
    assert cli(dest, keyfile, "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"backups": [], "leftovers": []}
