"""Live ward updates: LISTEN on each ward's channel (ward_channel()); a notification is only a hint
that a post or an alert was committed in the ward. No polling: the listener sleeps in the server's
NOTIFY.

Anyone who can log in may NOTIFY on any channel, and anyone may LISTEN, so a notification names
nothing (payload `{"kind": "post"}` or `{"kind": "alert"}`, see analytics/ward_notify) and proves
nothing: on each one the watcher re-reads, with its own privileges, the watched wards' rows of that
kind past its position, and prints only those it has not printed before. A payload that is not one
of those two is ignored with a warning; a spoofed one costs one cheap read and prints nothing.

The position (`_Position`) of each kind is a floor and the ids seen above it. Ids come from one
sequence but transactions commit in any order, so a row with a lower id can become visible after a
higher one was printed; the floor therefore moves up to the highest id visible at an earlier read
only once every transaction that could still hold a lower id has ended: a checkpoint (highest id,
time) is armed with the xmax of a snapshot taken at least `overlap` seconds later, and settles when
a later read's snapshot xmin has passed that xmax (pg_current_snapshot()). Until then the ids
printed above the floor are kept and excluded from the re-read. Details in docs/ward-analytics.md.

Two connections: one only listens, the other reads (each read is one REPEATABLE READ snapshot).
When the server goes away (restart, failover, a killed backend) both are reopened with a growing
delay, LISTEN is issued again, and both kinds are re-read from their positions, so nothing
committed in the gap is missed.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from ..errors import BadInputError

APP = "lokdarpan-db watch"
KINDS = ("post", "alert")
# The snapshot of the read (the first statement of a REPEATABLE READ transaction fixes it) and the
# highest id of each table visible in it.
POSITION_SQL = """
select pg_catalog.pg_snapshot_xmin(s.snap)::text::bigint, pg_catalog.pg_snapshot_xmax(s.snap)::text::bigint,
    (select coalesce(max(p.id), 0) from public.post as p),
    (select coalesce(max(a.id), 0) from public.alert as a)
from (select pg_catalog.pg_current_snapshot() as snap) as s
"""
NEW_SQL = {
    "post": """
select 'post' as kind, p.id, p.ward_id, p.created_at, p.party, p.emotion, left(p.text, 200) as text
from public.post as p
where p.id > %(floor)s and p.ward_id = any(%(wards)s)
order by p.id
""",
    "alert": """
select 'alert' as kind, a.id, public.ward_resolve(a.ward) as ward_id, a.created_at, a.severity as party,
    null as emotion, left(coalesce(a.description, ''), 200) as text
from public.alert as a
where a.id > %(floor)s and public.ward_resolve(a.ward) = any(%(wards)s)
order by a.id
""",
}
WARN_EVERY = 10.0  # seconds between two warnings about ignored payloads (a flood is summarised)


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


@dataclass
class _Checkpoint:
    max_id: int  # the highest id visible at the read that made it
    at: float  # time.monotonic() of that read
    armed_xmax: int | None = None  # xmax of a snapshot taken >= overlap seconds later


@dataclass
class _Position:
    """Where one kind stands: every row with id <= floor is settled (printed, or there before the
    watcher started, or never to be committed); `seen` are the ids above the floor already printed."""

    floor: int
    overlap: float
    seen: set[int] = field(default_factory=set)
    pending: list[_Checkpoint] = field(default_factory=list)

    def settle(self, xmin: int, xmax: int, max_id: int, now: float) -> None:
        """After a read whose snapshot is (xmin, xmax) and whose highest visible id is max_id (the
        rows above the floor it found are already in `seen`): raise the floor where it is safe."""
        keep: list[_Checkpoint] = []
        for cp in self.pending:
            if cp.armed_xmax is not None and xmin >= cp.armed_xmax:
                # Every transaction that had an xid when the checkpoint was armed has ended, and this
                # read saw what they committed: no row with id <= cp.max_id can appear any more.
                self.floor = max(self.floor, cp.max_id)
            else:
                keep.append(cp)
        for cp in keep:
            if cp.armed_xmax is None and now - cp.at >= self.overlap:
                cp.armed_xmax = xmax
        if max_id > self.floor and not any(cp.armed_xmax is None for cp in keep):
            keep.append(_Checkpoint(max_id, now))
        self.pending = keep
        self.seen = {i for i in self.seen if i > self.floor}


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


def parse_payload(payload: str) -> str | None:
    """The kind a notification hints at ("post" or "alert"), or None when the payload is not a JSON
    object with such a kind. Any other key (an `ids` list of an older or a forged sender) is ignored:
    the watcher reads what is new itself."""
    if len(payload) > 1000:
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if kind in KINDS else None


class WardWatcher:
    """Iterate over WardEvents of `wards` as they are committed, each exactly once. `status` receives
    one-line notices (listening, connection lost, reconnected), `warn` one-line warnings (a
    notification ignored); `stop()` ends the iteration at the next wake-up. `overlap` is how long an
    id may be held by a transaction before it writes anything and still be printed (see _Position)."""

    def __init__(self, conninfo: str, wards: list[str], status: Callable[[str], None] = lambda _m: None,
                 wake_every: float = 1.0, max_delay: float = 30.0, overlap: float = 5.0,
                 warn: Callable[[str], None] | None = None):
        self.conninfo = conninfo
        self.wards_given = wards
        self.status = status
        self.warn = warn if warn is not None else status
        self.wake_every = wake_every
        self.max_delay = max_delay
        self.overlap = overlap
        self.ward_ids: list[str] = []
        self._listener: psycopg.Connection | None = None
        self._reader: psycopg.Connection | None = None
        self._pos: dict[str, _Position] = {}
        self._stopped = False
        self._warned_at = float("-inf")
        self._unwarned = 0

    # ---------------------------------------------------------------- connections
    def _open(self) -> None:
        self._listener = psycopg.connect(self.conninfo, autocommit=True, application_name=APP)
        self._reader = psycopg.connect(self.conninfo, autocommit=True, application_name=APP)
        self._reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        self._reader.read_only = True
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
        """Connect, LISTEN, and remember where posts and alerts stand now (what is visible now is
        not printed). Returns the ward ids."""
        self._open()
        assert self._reader is not None
        with self._reader.transaction():
            row = self._reader.execute(POSITION_SQL).fetchone()
        assert row is not None
        tops = dict(zip(KINDS, row[2:], strict=True))
        self._pos = {kind: _Position(floor=int(tops[kind]), overlap=self.overlap) for kind in KINDS}
        self.status(f"listening on {', '.join(self.ward_ids)}")
        return self.ward_ids

    def stop(self) -> None:
        self._stopped = True

    def close(self) -> None:
        self._close()

    # ---------------------------------------------------------------- events
    def _read(self, kinds: list[str], received: float) -> list[WardEvent]:
        """The rows of `kinds` in the watched wards past their positions, read in one snapshot with
        this watcher's own privileges; moves the positions on."""
        assert self._reader is not None
        found: dict[str, list[WardEvent]] = {}
        with self._reader.transaction():
            position = self._reader.execute(POSITION_SQL).fetchone()
            assert position is not None
            xmin, xmax = int(position[0]), int(position[1])
            tops = dict(zip(KINDS, position[2:], strict=True))
            for kind in kinds:
                pos = self._pos[kind]
                args = {"floor": pos.floor, "wards": self.ward_ids}
                rows = self._reader.execute(NEW_SQL[kind], args).fetchall()
                # The ids printed above the floor are dropped here, not in SQL: `id <> all(seen)`
                # compared every row past the floor with every printed id (with 100 printed ids
                # and 10,000 rows past the floor a read took 60-125 ms instead of 3-5 ms).
                found[kind] = [WardEvent(*row, received_at=received)
                               for row in rows if row[1] not in pos.seen]
        # Only a read that completed moves a position: a lost connection halfway loses nothing.
        now = time.monotonic()
        events: list[WardEvent] = []
        for kind, new in found.items():
            pos = self._pos[kind]
            pos.seen.update(e.id for e in new)
            pos.settle(xmin, xmax, int(tops[kind]), now)
            events += new
        return events

    def _ignored(self, channel: str, payload: str) -> None:
        """Warn about a payload that is not a hint, at most once per WARN_EVERY seconds."""
        now = time.monotonic()
        if now - self._warned_at < WARN_EVERY:
            self._unwarned += 1
            return
        more = f" (and {self._unwarned} more since the last warning)" if self._unwarned else ""
        shown = payload[:40] + ("…" if len(payload) > 40 else "")
        self.warn(f'ignored a notification on {channel} that is not {{"kind": "post"|"alert"}}: '
                  f"{shown!r}{more}")
        self._warned_at, self._unwarned = now, 0

    def _reconnect(self) -> list[WardEvent]:
        self._close()
        delay = 0.2
        while not self._stopped:
            time.sleep(delay)
            try:
                self._open()
                caught_up = self._read(list(KINDS), time.time())  # what was committed while away
            except psycopg.OperationalError:
                self._close()
                delay = min(delay * 2, self.max_delay)
                continue
            self.status("reconnected; listening again")
            return caught_up
        return []

    def events(self) -> Iterator[WardEvent]:
        if self._listener is None:
            self.open()
        while not self._stopped:
            try:
                assert self._listener is not None
                kinds: list[str] = []
                received = 0.0
                notes = list(self._listener.notifies(timeout=self.wake_every, stop_after=1))
                if notes:
                    received = time.time()
                    notes += list(self._listener.notifies(timeout=0))  # the rest already queued: one read
                for note in notes:
                    kind = parse_payload(note.payload)
                    if kind is None:
                        self._ignored(note.channel, note.payload)
                    elif kind not in kinds:
                        kinds.append(kind)
                if kinds:
                    yield from self._read(kinds, received)
            except psycopg.OperationalError as exc:
                self.status(f"connection lost ({' '.join(str(exc).split())[:120]}); reconnecting")
                yield from self._reconnect()
