"""`watch`: LISTEN/NOTIFY per ward with real second connections committing posts and alerts, the
command as a real process ended by Ctrl-C, and reconnection after the server restarts. A
notification is a hint only: forged and garbled ones (sent by a login with no project role) print
nothing, payloads carry no ids, and a row committed late with a lower id is still printed once."""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from support import ROOT, cli_env

from lokdarpan_db.analytics.watch import WardEvent, WardWatcher, parse_payload

CHANNEL_95 = "lokdarpan_ward_ghmc_095"  # Jubilee Hills


@contextmanager
def watching(url: str, wards: list[str], notes: list[str] | None = None,
             overlap: float = 5.0) -> Iterator[list[WardEvent]]:
    """A WardWatcher running in a thread; the list fills with its events (warnings go to notes)."""
    events: list[WardEvent] = []
    watcher = WardWatcher(url, wards, status=(notes.append if notes is not None else lambda _m: None),
                          wake_every=0.1, overlap=overlap)
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


# ------------------------------------------------------------------ notifications are hints only
@dataclass
class Logins:
    reader: str  # member of lokdarpan_readonly: runs watch
    app: str  # member of lokdarpan_analyst: writes posts and alerts
    outsider: str  # member of nothing: may still LISTEN and NOTIFY
    reader_password: str


@pytest.fixture(scope="module")
def logins(ward_db) -> Iterator[Logins]:
    """Three login roles with passwords (work whether local connections trust or ask)."""
    tag = uuid.uuid4().hex[:8]
    made: dict[str, str] = {}
    passwords: dict[str, str] = {}
    with psycopg.connect(ward_db, autocommit=True) as conn:
        for who, grant in (("reader", "lokdarpan_readonly"), ("app", "lokdarpan_analyst"),
                           ("outsider", None)):
            role, pw = f"watch_{who}_{tag}", secrets.token_hex(12)
            conn.execute(f"create role {role} login password '{pw}'" + (f" in role {grant}" if grant else ""))
            made[who] = make_conninfo(ward_db, user=role, password=pw)
            passwords[who] = pw
    try:
        yield Logins(**made, reader_password=passwords["reader"])
    finally:
        with psycopg.connect(ward_db, autocommit=True) as conn:
            for who in made:
                role = f"watch_{who}_{tag}"
                conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = %s",
                             (role,))
                conn.execute(f"drop role if exists {role}")


def notify(url: str, channel: str, payload: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select pg_notify(%s, %s)", (channel, payload))


def test_a_notification_carries_only_its_kind_even_for_a_login_without_a_role(logins):
    with psycopg.connect(logins.outsider, autocommit=True) as spy:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            spy.execute("select id from post limit 1")
        spy.execute(f"listen {CHANNEL_95}")
        with psycopg.connect(logins.app) as app:
            app.execute("insert into post (text, city) select 'batch ' || g, 'Jubilee Hills' "
                        "from generate_series(1, 3) as g")
            app.execute("insert into post (text, city) values ('one more', 'Jubilee Hills')")
            app.execute("insert into alert (ward, description, severity) "
                        "values ('Jubilee Hills', 'a water protest', 'high')")
        got = [n.payload for n in spy.notifies(timeout=2)]
    # One per kind and transaction (PostgreSQL folds identical ones): nothing names a row.
    assert sorted(got) == ['{"kind": "alert"}', '{"kind": "post"}'], got


def test_a_forged_notification_prints_nothing_and_a_real_post_prints_once(ward_db, logins):
    old = insert_posts(logins.app, [("an old post", "Jubilee Hills"), ("another", "Jubilee Hills")])
    with watching(logins.reader, ["Jubilee Hills"]) as events:
        for payload in (json.dumps({"kind": "post", "ids": old}), '{"kind": "post"}', '{"kind": "alert"}'):
            notify(logins.outsider, CHANNEL_95, payload)
        time.sleep(0.5)
        assert events == []
        [new] = insert_posts(logins.app, [("a real new post", "Jubilee Hills")])
        assert wait_for(lambda: len(events) >= 1)
        notify(logins.outsider, CHANNEL_95, json.dumps({"kind": "post", "ids": [new, *old]}))
        notify(logins.app, CHANNEL_95, '{"kind": "post"}')
        time.sleep(0.5)
    assert [(e.kind, e.id, e.text) for e in events] == [("post", new, "a real new post")]


def test_a_row_committed_late_with_a_lower_id_is_printed_once(logins):
    # Two wards: posts of one ward and day queue behind each other on the rollup row, so the
    # higher ids that commit first are another watched ward's.
    with watching(logins.reader, ["Jubilee Hills", "Khairatabad"], overlap=0.3) as events:
        with psycopg.connect(logins.app) as slow:
            [early] = [r[0] for r in slow.execute(
                "insert into post (text, city) values ('took its id first', 'Jubilee Hills') returning id")]
            later: list[int] = []
            for i in range(4):  # others commit higher ids, reads happen, well past the overlap
                later += insert_posts(logins.app, [(f"committed first {i}", "Khairatabad")])
                wanted = set(later)
                assert wait_for(lambda w=wanted: {e.id for e in events} >= w)
                time.sleep(0.2)
            assert all(i > early for i in later) and early not in {e.id for e in events}
        # `slow` commits now, after every higher id was printed
        assert wait_for(lambda: early in {e.id for e in events})
        [last] = insert_posts(logins.app, [("after the slow one", "Jubilee Hills")])
        assert wait_for(lambda: last in {e.id for e in events})
        time.sleep(0.3)
    got = [e.id for e in events]
    assert sorted(got) == sorted([early, *later, last]) and len(got) == len(set(got))


def test_the_position_settles_once_no_transaction_can_still_commit_below_it(logins):
    watcher = WardWatcher(logins.reader, ["Jubilee Hills"], overlap=0.0)
    watcher.open()
    try:
        start = watcher._pos["post"].floor
        ids = insert_posts(logins.app, [("one", "Jubilee Hills"), ("two", "Jubilee Hills")])
        first = watcher._read(["post"], time.time())
        assert [e.id for e in first] == ids and watcher._pos["post"].floor == start
        for _ in range(3):  # a checkpoint is armed by one read and settled by a later one
            assert watcher._read(["post"], time.time()) == []
        pos = watcher._pos["post"]
        assert pos.floor >= max(ids) and pos.seen == set() and len(pos.pending) <= 1
    finally:
        watcher.close()


def test_payloads_that_are_not_hints_are_refused():
    assert parse_payload('{"kind": "post"}') == "post"
    assert parse_payload('{"kind": "alert", "ids": [1, 2]}') == "alert"
    for bad in ("not json", "", "[]", '{"kind": "user"}', '{"ids": [1]}', "null", '"post"',
                '{"kind": "post"' + " " * 2000 + "}"):
        assert parse_payload(bad) is None, bad


def test_the_command_warns_about_a_garbled_notification_and_prints_the_next_post(ward_db, logins):
    reader = conninfo_to_dict(logins.reader)
    db = make_conninfo(**{k: v for k, v in reader.items() if k != "password"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "lokdarpan_db.cli", "--db", db, "--json", "watch", "95"],
        cwd=ROOT, env=cli_env({"PGPASSWORD": logins.reader_password}),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert wait_for(lambda: _listeners(ward_db) == 2, timeout=30), "watch did not start listening"
        time.sleep(0.3)
        notify(logins.outsider, CHANNEL_95, "this is { not json")
        warning = ""
        while not warning.startswith("watch: "):  # other notices may come first
            ready, _, _ = select.select([proc.stderr], [], [], 10)
            assert ready, "no warning within 10 s"
            warning = proc.stderr.readline()
            assert warning, "stderr closed"
        assert warning.startswith("watch: ignored a notification on lokdarpan_ward_ghmc_095") and \
            "this is { not json" in warning, warning
        assert proc.poll() is None, "watch ended on a garbled notification"
        [post_id] = insert_posts(logins.app, [("the next real post", "Jubilee Hills")])
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        assert ready, "no line within 10 s"
        line = json.loads(proc.stdout.readline())
        assert line["kind"] == "post" and line["id"] == post_id and line["text"] == "the next real post"
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=15)
        err = proc.stderr.read()
        assert rc == 0 and "Traceback" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
