"""Issue 19: `pitr restore` requests that cannot be met give one line and exit 2 before pgBackRest
runs: --into an existing file (was `internal: NotADirectoryError`), and --to a time in the future or
after the newest archived WAL (was pgBackRest's misleading `unable to find backup set with stop
time less than …`). A real cluster archiving into a real, encrypted pgBackRest repository."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.backup import crypto
from lokdarpan_db.backup.pitr import Pitr
from lokdarpan_db.cli import run
from lokdarpan_db.server.cluster import LocalCluster

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/pgbackrest").exists(), reason="pgbackrest missing: make deps"
)


@pytest.fixture(scope="module")
def project_pitr():
    """A project whose embedded cluster (.lokdarpan) archives WAL, with one full base backup."""
    root = Path(tempfile.mkdtemp(prefix="lokdarpan-pitrf-"))
    os.chmod(root, 0o755)
    (root / "db").mkdir()
    (root / "db" / "sqitch.plan").write_text("%syntax-version=1.0.0\n%project=pitrfaults\n\n")
    cluster = LocalCluster(root / ".lokdarpan", database="postgres")
    cluster.init(fast=True)
    cluster.start()
    p = Pitr(cluster)
    try:
        p.setup(keyring=crypto.Keyring((os.urandom(32),)))
        p.backup("full")
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("create table probe (id int)")
            conn.execute("insert into probe values (1)")
        p._run("check")  # the WAL with the insert reaches the repository
        yield p, root
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def pitr_cli(root: Path, *args: str) -> int:
    return run(["--plan", str(root / "db" / "sqitch.plan"), "pitr", *args])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_into_an_existing_file_is_one_line_exit_2(project_pitr, capsys):
    _, root = project_pitr
    a_file = root / "not-a-dir"
    a_file.write_text("x")
    past = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S+00")
    assert pitr_cli(root, "restore", "--to", past, "--into", str(a_file)) == 2
    err = one_error_line(capsys)
    assert f"--into {a_file} is a file" in err and "internal" not in err, err
    assert a_file.read_text() == "x"
    under_a_file = a_file / "restored"
    assert pitr_cli(root, "restore", "--to", past, "--into", str(under_a_file)) == 2
    assert "internal" not in one_error_line(capsys)


def test_a_target_in_the_future_names_the_newest_recoverable_point(project_pitr, capsys):
    p, root = project_pitr
    into = root / "restored-future"
    assert pitr_cli(root, "restore", "--to", "2099-01-01 00:00:00+05:30", "--into", str(into)) == 2
    err = one_error_line(capsys)
    m = re.search(r"newest recoverable point is (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00)", err)
    assert "--to 2098-12-31 18:30:00+00 is in the future" in err and m, err
    newest = datetime.fromisoformat(m.group(1) + ":00")
    assert abs(newest - p.newest_archived()) < timedelta(seconds=1)
    assert newest >= datetime.fromisoformat(p.info()["backups"][-1]["stop"])
    assert "pgbackrest" not in err and not into.exists()


def test_a_target_after_the_newest_archived_wal_is_refused(project_pitr, capsys):
    p, root = project_pitr
    newest = p.newest_archived()
    while datetime.now(UTC) - newest < timedelta(seconds=2.5):
        time.sleep(0.2)
    target = (newest + timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M:%S+00")
    into = root / "restored-late"
    assert pitr_cli(root, "restore", "--to", target, "--into", str(into)) == 2
    err = one_error_line(capsys)
    assert f"--to {target} is after the newest recoverable point" in err and "pg_switch_wal" in err, err
    assert not into.exists()


def test_a_target_before_the_first_base_backup_is_refused(project_pitr, capsys):
    _, root = project_pitr
    assert pitr_cli(root, "restore", "--to", "2020-01-01 00:00:00+00", "--into", str(root / "r-early")) == 2
    assert "is not after the end of the oldest base backup" in one_error_line(capsys)
