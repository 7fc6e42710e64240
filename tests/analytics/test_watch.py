"""`watch`: LISTEN/NOTIFY per ward with real second connections committing posts and alerts, the
command as a real process ended by Ctrl-C, and reconnection after the server restarts."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from support import ROOT, cli_env

from lokdarpan_db.analytics.watch import WardEvent, WardWatcher


@contextmanager
def watching(url: str, wards: list[str], notes: list[str] | None = None) -> Iterator[list[WardEvent]]:
    """A WardWatcher running in a thread; the list fills with its events."""
    events: list[WardEvent] = []
    watcher = WardWatcher(url, wards, status=(notes.append if notes is not None else lambda _m: None),
                          wake_every=0.1)
    watcher.open()
    thread = threading.Thread(target=lambda: events.extend(watcher.events()), daemon=True)
    thread.start()
    try:
        yield events
    finally:
        watcher.stop()
        thread.join(timeout=10)
        watcher.close()


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def insert_posts(url: str, rows: list[tuple[str, str]], commit: bool = True) -> list[int]:
    with psycopg.connect(url) as conn:
        ids = [conn.execute("insert into post (text, city) values (%s, %s) returning id", row).fetchone()[0]
               for row in rows]
        if not commit:
            conn.rollback()
    return ids


def test_committed_posts_and_alerts_of_watched_wards_arrive_and_nothing_else(ward_db):
    with watching(ward_db, ["Jubilee Hills", "Ward 91"]) as events:
        rolled_back = insert_posts(ward_db, [("never committed", "Jubilee Hills")], commit=False)
        other = insert_posts(ward_db, [("elsewhere", "Charminar")])
        mine = insert_posts(ward_db, [("flooding on road 36", "Jubilee Hills"), ("water", "Khairatabad")])
        with psycopg.connect(ward_db) as conn:  # a batch: one statement, one notification per ward
            batch = [r[0] for r in conn.execute(
                "insert into post (text, city) select 'batch ' || g, 'Jubilee Hills' "
                "from generate_series(1, 700) as g returning id").fetchall()]
            alert = conn.execute("insert into alert (ward, description, severity) "
                                 "values ('Jubilee Hills', 'protest at the water board', 'high') "
                                 "returning id").fetchone()[0]
        expected = {("post", i) for i in mine + batch} | {("alert", alert)}
        assert wait_for(lambda: {(e.kind, e.id) for e in events} >= expected)
        time.sleep(0.3)  # anything else would have arrived by now
    got = [(e.kind, e.id) for e in events]
    assert sorted(got) == sorted(expected) and len(got) == len(set(got))
    assert not {i for k, i in got if k == "post"} & set(rolled_back + other)
    by_id = {(e.kind, e.id): e for e in events}
    assert by_id[("post", mine[1])].ward_id == "GHMC-091"
    assert by_id[("post", mine[0])].text == "flooding on road 36"
    assert by_id[("alert", alert)].severity == "high"


def test_an_unknown_ward_is_refused_before_listening(ward_db, run_cli):
    res = run_cli("--db", ward_db, "watch", "Jubilee Hills", "Atlantis")
    assert res.returncode == 2 and "'Atlantis' is not a ward" in res.stderr and "Traceback" not in res.stderr


def _listeners(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from pg_stat_activity "
                            "where application_name = 'lokdarpan-db watch' "
                            "and datname = current_database()").fetchone()[0]


def test_the_command_prints_json_lines_and_ends_cleanly_on_ctrl_c(ward_db):
    proc = subprocess.Popen(
        [sys.executable, "-m", "lokdarpan_db.cli", "--db", ward_db, "--json", "watch", "95"],
        cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert wait_for(lambda: _listeners(ward_db) == 2, timeout=30), "watch did not start listening"
        time.sleep(0.3)  # LISTEN follows the connection by a round trip
        [post_id] = insert_posts(ward_db, [("garbage not collected", "Jubilee Hills")])
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        assert ready, "no line within 10 s"
        line = json.loads(proc.stdout.readline())
        assert line["kind"] == "post" and line["id"] == post_id and line["ward_id"] == "GHMC-095"
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=15)
        err = proc.stderr.read()
        assert rc == 0 and "Traceback" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(os.environ.get("LOKDARPAN_TEST_DSN") is not None, reason="restarts a server of its own")
def test_watch_reconnects_after_the_server_restarts_and_misses_nothing(plain_server):
    url = plain_server.url()
    notes: list[str] = []
    with watching(url, ["Jubilee Hills"], notes) as events:
        [before] = insert_posts(url, [("before the restart", "Jubilee Hills")])
        assert wait_for(lambda: any(e.id == before for e in events))
        plain_server.stop()
        plain_server.start()
        [during] = insert_posts(url, [("while watch reconnects", "Jubilee Hills")])
        assert wait_for(lambda: any("reconnected" in n for n in notes), timeout=30), notes
        [after] = insert_posts(url, [("after the restart", "Jubilee Hills")])
        assert wait_for(lambda: {before, during, after} <= {e.id for e in events}), [e.id for e in events]
    assert any("connection lost" in n for n in notes)
    assert sorted(e.id for e in events) == [before, during, after]
