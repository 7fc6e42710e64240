"""Live ward updates: LISTEN on each ward's channel (ward_channel()), and for every notification
fetch the new posts or alerts it names. No polling: the listener sleeps in the server's NOTIFY.

Two connections: one only listens, the other reads the rows a notification names. When the server
goes away (restart, failover, a killed backend) both are reopened with a growing delay, LISTEN is
issued again, and the posts and alerts committed in the gap are fetched by id, so none is missed.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from ..errors import BadInputError

APP = "lokdarpan-db watch"
POST_SQL = """
select 'post' as kind, p.id, p.ward_id, p.created_at, p.party, p.emotion, left(p.text, 200) as text
from public.post as p
where p.id = any(%(ids)s) and p.ward_id = any(%(wards)s)
order by p.id
"""
ALERT_SQL = """
select 'alert' as kind, a.id, public.ward_resolve(a.ward) as ward_id, a.created_at, a.severity as party,
    null as emotion, left(coalesce(a.description, ''), 200) as text
from public.alert as a
where a.id = any(%(ids)s) and public.ward_resolve(a.ward) = any(%(wards)s)
order by a.id
"""
GAP_POSTS = """
select array_agg(p.id order by p.id) from public.post as p
where p.id > %(after)s and p.ward_id = any(%(wards)s)
"""
GAP_ALERTS = """
select array_agg(a.id order by a.id) from public.alert as a
where a.id > %(after)s and public.ward_resolve(a.ward) = any(%(wards)s)
"""


@dataclass
class WardEvent:
    """A post or alert committed in a watched ward. For an alert, `severity` is its severity."""

    kind: str
    id: int
    ward_id: str
    created_at: datetime
    party: str | None
    emotion: str | None
    text: str
    received_at: float  # time.time() when the notification (or the catch-up) arrived

    @property
    def severity(self) -> str | None:
        return self.party if self.kind == "alert" else None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "id": self.id, "ward_id": self.ward_id,
                             "created_at": self.created_at.isoformat(), "text": self.text}
        if self.kind == "post":
            d.update(party=self.party, emotion=self.emotion)
        else:
            d["severity"] = self.party
        return d


def resolve_wards(conn: psycopg.Connection, wards: list[str]) -> list[str]:
    """Ward ids of the names, numbers or ids given, in order, without repeats; BadInputError names
    the first that is not a ward."""
    if not wards:
        raise BadInputError("name at least one ward (id, name or number)")
    ids: list[str] = []
    for w in wards:
        if len(w) > 200:
            raise BadInputError(f"a ward is {len(w)} characters long; at most 200")
        row = conn.execute("select public.ward_resolve(%s)", (w,)).fetchone()
        if row is None or row[0] is None:
            raise BadInputError(f"{w!r} is not a ward (try a ward id like GHMC-095, a name or a number)")
        if row[0] not in ids:
            ids.append(row[0])
    return ids


class WardWatcher:
    """Iterate over WardEvents of `wards` as they are committed. `status` receives one-line notices
    (listening, connection lost, reconnected); `stop()` ends the iteration at the next wake-up."""

    def __init__(self, conninfo: str, wards: list[str], status: Callable[[str], None] = lambda _m: None,
                 wake_every: float = 1.0, max_delay: float = 30.0):
        self.conninfo = conninfo
        self.wards_given = wards
        self.status = status
        self.wake_every = wake_every
        self.max_delay = max_delay
        self.ward_ids: list[str] = []
        self._listener: psycopg.Connection | None = None
        self._reader: psycopg.Connection | None = None
        self._last = {"post": 0, "alert": 0}
        self._stopped = False

    # ---------------------------------------------------------------- connections
    def _open(self) -> None:
        self._listener = psycopg.connect(self.conninfo, autocommit=True, application_name=APP)
        self._reader = psycopg.connect(self.conninfo, autocommit=True, application_name=APP)
        if not self.ward_ids:
            self.ward_ids = resolve_wards(self._reader, self.wards_given)
        for ward_id in self.ward_ids:
            channel = self._reader.execute("select public.ward_channel(%s)", (ward_id,)).fetchone()[0]  # type: ignore[index]
            self._listener.execute(sql.SQL("listen {}").format(sql.Identifier(channel)))

    def _close(self) -> None:
        for conn in (self._listener, self._reader):
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
        self._listener = self._reader = None

    def open(self) -> list[str]:
        """Connect, LISTEN, and remember where posts and alerts stand now. Returns the ward ids."""
        self._open()
        assert self._reader is not None
        for kind, table in (("post", "post"), ("alert", "alert")):
            row = self._reader.execute(f"select coalesce(max(id), 0) from public.{table}").fetchone()
            self._last[kind] = int(row[0]) if row else 0
        self.status(f"listening on {', '.join(self.ward_ids)}")
        return self.ward_ids

    def stop(self) -> None:
        self._stopped = True

    def close(self) -> None:
        self._close()

    # ---------------------------------------------------------------- events
    def _fetch(self, kind: str, ids: list[int], received: float) -> list[WardEvent]:
        assert self._reader is not None
        query = POST_SQL if kind == "post" else ALERT_SQL
        rows = self._reader.execute(query, {"ids": ids, "wards": self.ward_ids}).fetchall()
        events = [WardEvent(*row, received_at=received) for row in rows]
        if events:
            self._last[kind] = max(self._last[kind], max(e.id for e in events))
        return events

    def _catch_up(self) -> list[WardEvent]:
        """Posts and alerts committed while the connection was down."""
        assert self._reader is not None
        events: list[WardEvent] = []
        now = time.time()
        for kind, query in (("post", GAP_POSTS), ("alert", GAP_ALERTS)):
            row = self._reader.execute(query, {"after": self._last[kind], "wards": self.ward_ids}).fetchone()
            if row and row[0]:
                events += self._fetch(kind, list(row[0]), now)
        return events

    def _reconnect(self) -> list[WardEvent]:
        self._close()
        delay = 0.2
        while not self._stopped:
            time.sleep(delay)
            try:
                self._open()
            except psycopg.OperationalError:
                self._close()
                delay = min(delay * 2, self.max_delay)
                continue
            self.status("reconnected; listening again")
            return self._catch_up()
        return []

    def events(self) -> Iterator[WardEvent]:
        if self._listener is None:
            self.open()
        while not self._stopped:
            try:
                assert self._listener is not None
                batch: list[tuple[str, list[int], float]] = []
                for note in self._listener.notifies(timeout=self.wake_every, stop_after=1):
                    batch.append((*_parse(note.payload), time.time()))
                for kind, ids, received in batch:
                    yield from self._fetch(kind, ids, received)
            except psycopg.OperationalError as exc:
                self.status(f"connection lost ({' '.join(str(exc).split())[:120]}); reconnecting")
                yield from self._reconnect()


def _parse(payload: str) -> tuple[str, list[int]]:
    data = json.loads(payload)
    return str(data["kind"]), [int(i) for i in data["ids"]]
