"""`health` on both ends of streaming replication (issue 24): the role, the standby's lag in
bytes and seconds, the WAL retained by slots, and on the primary the connected standbys."""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from lokdarpan_db.cli import run
from lokdarpan_db.ledger import health
from lokdarpan_db.replication import Replication, StandbyLag, replication_status


def metrics(report: dict) -> dict[str, dict]:
    return {c["metric"]: c for c in report["checks"]}


def test_health_on_the_standby_reports_role_and_lag(replica, capsys) -> None:
    replica.wait_caught_up()
    rc = run(["--db", replica.standby_url, "--json", "health"])
    report = json.loads(capsys.readouterr().out)
    assert report["role"] == "standby" and rc == health.SEVERITY[report["status"]]
    m = metrics(report)
    assert m["wal_receiver_streaming"]["status"] == "OK"
    assert m["replication_lag_bytes"]["value"] >= 0 and m["replication_lag_bytes"]["unit"] == "bytes"
    assert m["replication_lag_seconds"]["value"] is not None
    assert m["replication_lag_seconds"]["warning"] == health.LAG_SECONDS[0]
    assert report["replication"]["receiving"] is True
    assert "replication_slot_retained_wal" in m


def test_health_on_the_primary_lists_the_standby(replica, capsys) -> None:
    run(["--db", replica.primary_url, "--json", "health"])
    report = json.loads(capsys.readouterr().out)
    assert report["role"] == "primary"
    [standby] = report["replication"]["standbys"]
    assert standby["name"] == "lokdarpan_test_standby" and standby["state"] == "streaming"
    m = metrics(report)
    assert m["standby_lag_bytes:lokdarpan_test_standby"]["status"] in ("OK", "WARNING")
    assert m["standby_lag_seconds:lokdarpan_test_standby"]["value"] is not None
    # the standby's slot holds WAL on the primary: retained bytes are counted
    assert report["replication"]["slot_retained_bytes"] is not None
    assert m["replication_slot_retained_wal"]["value"] >= 0


def test_health_human_names_the_role(replica, capsys) -> None:
    run(["--db", replica.standby_url, "health"])
    out = capsys.readouterr().out
    assert "health (standby)" in out and "bytes" in out


def test_lag_while_the_primary_writes_is_measured(replica) -> None:
    """Lag appears on the standby while replay is paused and the primary writes: bytes behind,
    and seconds as the age of the last replayed commit."""
    with psycopg.connect(replica.primary_url, autocommit=True) as p:
        p.execute("create table public.lag_probe0 (x int)")
        p.execute("drop table public.lag_probe0")
    replica.wait_caught_up()
    with psycopg.connect(replica.standby.url("postgres"), autocommit=True) as s:
        s.execute("select pg_wal_replay_pause()")
        try:
            with psycopg.connect(replica.primary_url, autocommit=True) as p:
                p.execute("create table public.lag_probe as select g, md5(g::text) as t "
                          "from generate_series(1, 20000) as g")
                p.execute("drop table public.lag_probe")
                p.execute("select pg_switch_wal()")
            rep = None
            for _ in range(100):
                rep = replication_status(s)
                if rep.lag_bytes and rep.lag_bytes > 100_000:
                    break
                time.sleep(0.1)
            assert rep is not None and rep.role == "standby" and rep.lag_bytes > 100_000
            assert rep.lag_seconds is not None and rep.lag_seconds >= 0
            check = {c.metric: c for c in health.replication_checks(rep)}["replication_lag_bytes"]
            assert check.value == rep.lag_bytes and check.status in ("OK", "WARNING")
        finally:
            s.execute("select pg_wal_replay_resume()")
    replica.wait_caught_up()


@pytest.mark.parametrize(("lag_bytes", "lag_seconds", "status"), [
    (0, 0.0, "OK"),
    (health.LAG_BYTES[0], 1.0, "WARNING"),
    (0, health.LAG_SECONDS[1] + 1, "CRITICAL"),
])
def test_lag_thresholds(lag_bytes: int, lag_seconds: float, status: str) -> None:
    rep = Replication("standby", lag_bytes, lag_seconds, True, 0)
    report = health.HealthReport(health.replication_checks(rep), rep)
    assert report.status == status and report.exit_code == health.SEVERITY[status]


def test_a_standby_not_streaming_warns_and_a_lagging_one_is_critical_on_the_primary() -> None:
    rep = Replication("standby", 0, 0.0, False, 0)
    assert health.HealthReport(health.replication_checks(rep), rep).status == "WARNING"
    lagging = StandbyLag("s1", "127.0.0.1", "streaming", "async", health.LAG_BYTES[1], 2.0)
    rep = Replication("primary", slot_retained_bytes=0, standbys=(lagging,))
    assert health.HealthReport(health.replication_checks(rep), rep).exit_code == 2
