"""Point-in-time recovery through pgBackRest, for real: a cluster archiving WAL with
archive_command = pgbackrest archive-push, a base backup, rows written, the time noted, more rows,
then a restore to the noted time into a second data directory on another port."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.backup.pitr import Pitr
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


def test_restore_to_a_noted_time_keeps_only_the_earlier_rows(pitr):
    p, root = pitr
    setup = p.setup()
    assert "archive-push" in setup["archive_command"]
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
