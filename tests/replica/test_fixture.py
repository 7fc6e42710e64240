"""The loopback hot standby itself: it is in recovery, streams from the primary over scram, and
has the deployed plan."""

from __future__ import annotations

import psycopg


def test_standby_streams_from_the_primary(replica) -> None:
    with psycopg.connect(replica.standby_url, autocommit=True) as s:
        assert s.execute("select pg_is_in_recovery()").fetchone()[0] is True
        assert s.execute("select status from pg_stat_wal_receiver").fetchone()[0] == "streaming"
        assert s.execute("select count(*) from sqitch.changes").fetchone()[0] > 0
    with psycopg.connect(replica.primary_url, autocommit=True) as p:
        row = p.execute("select application_name, state from pg_stat_replication").fetchone()
        assert row == ("lokdarpan_test_standby", "streaming")
        p.execute("create table public.replica_probe (x int)")
    replica.wait_caught_up()
    with psycopg.connect(replica.standby_url, autocommit=True) as s:
        assert s.execute("select to_regclass('public.replica_probe') is not null").fetchone()[0]
    with psycopg.connect(replica.primary_url, autocommit=True) as p:
        p.execute("drop table public.replica_probe")
