"""A loopback hot standby for the scale-out tests (issue 24).

`replica` (session scope): a primary throwaway cluster with the plan deployed in database
`lokdarpan`, and a second cluster made from it by `pg_basebackup -R -C -S` (a physical replication
slot, so the primary keeps the WAL the standby still needs) on another free port, started as a hot
standby. Replication authenticates like every other connection of the embedded cluster: scram-sha-256
as `postgres`, the password read from the primary's pgpass file, which `primary_conninfo` names
with `passfile=` (pg_basebackup -R copies the connection's parameters into it).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from support import deploy_plan

from lokdarpan_db.devtools.bench.replica import make_standby
from lokdarpan_db.importers.wards import import_wards
from lokdarpan_db.server.cluster import LocalCluster, throwaway

DB = "lokdarpan"
SLOT = "lokdarpan_test_standby"


@dataclass
class Replica:
    primary: LocalCluster
    standby: LocalCluster

    @property
    def primary_url(self) -> str:
        return self.primary.url(DB)

    @property
    def standby_url(self) -> str:
        return self.standby.url(DB)

    def wait_caught_up(self, timeout: float = 60.0) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary.url("postgres"), autocommit=True) as p:
            target = p.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.standby.url("postgres"), autocommit=True) as s:
            while time.monotonic() < deadline:
                done = s.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]
                if done:
                    return
                time.sleep(0.1)
        raise AssertionError(f"the standby did not replay up to {target} within {timeout}s")


@pytest.fixture(scope="session")
def replica() -> Iterator[Replica]:
    with throwaway(prefix="lokdarpan-primary-") as primary:
        with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
            conn.execute(f"create database {DB}")
        deploy_plan(primary.url(DB))
        root = Path(tempfile.mkdtemp(prefix="lokdarpan-standby-"))
        standby: LocalCluster | None = None
        try:
            standby = make_standby(primary, root, SLOT)
            rep = Replica(primary, standby)
            rep.wait_caught_up()
            yield rep
        finally:
            if standby is not None:
                standby.destroy()
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def loaded(replica: Replica) -> Replica:
    """The replica with the 150 wards loaded on the primary, a row in the unlogged access log there,
    a login-less reader persona (member of lokdarpan_readonly), all replayed on the standby."""
    with psycopg.connect(replica.primary_url, autocommit=True) as conn:
        if conn.execute("select count(*) from public.ward").fetchone()[0] == 0:
            import_wards(conn)
        conn.execute("insert into public.ai_embedding_access (embedding_id) values (1)")
        if not conn.execute("select from pg_roles where rolname = 'replica_reader'").fetchone():
            conn.execute("create role replica_reader nologin in role lokdarpan_readonly")
    replica.wait_caught_up()
    return replica
