"""Who else is in the database: the sessions that block a deploy's lock, and the long-running
transactions a deploy would queue behind (docs/deploying.md, "Lock waits that give up and retry").

Other roles' transactions are visible only to a deployer with `pg_read_all_stats` (or a
superuser): PostgreSQL hides their `xact_start` and query from everyone else.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import psycopg

# Relations with an oid below this are the system catalogs' (FirstNormalObjectId).
_FIRST_USER_OID = 16384
_QUERY_CHARS = 60

_SESSIONS = f"""
    select a.pid, a.usename, coalesce(nullif(a.application_name, ''), '-'), coalesce(a.state, '?'),
           coalesce(extract(epoch from clock_timestamp() - a.xact_start)::float8, 0),
           left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), {_QUERY_CHARS}),
           coalesce((select array_agg(distinct l.relation::regclass::text)
                     from pg_locks l
                     where l.pid = a.pid and l.granted and l.locktype = 'relation'
                       and l.relation >= {_FIRST_USER_OID}
                       and l.database = (select d.oid from pg_database d
                                         where d.datname = current_database())), '{{}}')
    from pg_stat_activity a
"""


@dataclass
class Session:
    """Another session, as a DBA would want it named on one line."""

    pid: int
    user: str
    application: str
    state: str
    xact_age: float
    query: str
    relations: list[str] = field(default_factory=list)

    def describe(self) -> str:
        locks = f", locks on {', '.join(sorted(self.relations))}" if self.relations else ""
        return (f"pid {self.pid} (user {self.user}, application {self.application}, {self.state}, "
                f"transaction open {self.xact_age:.1f} s{locks}, query: {self.query!r})")

    def as_dict(self) -> dict[str, object]:
        return {"pid": self.pid, "user": self.user, "application": self.application,
                "state": self.state, "xact_age_seconds": round(self.xact_age, 3),
                "query": self.query, "relations": sorted(self.relations)}


def blockers(conn: psycopg.Connection, pid: int) -> list[Session]:
    """The sessions that hold (or queue ahead for) a lock session `pid` waits for."""
    rows = conn.execute(_SESSIONS + " where a.pid = any(pg_blocking_pids(%s)) order by a.xact_start",
                        (pid,)).fetchall()
    return [Session(*row) for row in rows]


def long_transactions(conn: psycopg.Connection, older_than: float) -> list[Session]:
    """Client transactions of this database, other than `conn`'s, open for more than
    `older_than` seconds, oldest first, with the user relations each holds locks on."""
    rows = conn.execute(
        _SESSIONS + """ where a.datname = current_database() and a.pid <> pg_backend_pid()
                          and a.backend_type = 'client backend' and a.xact_start is not null
                          and clock_timestamp() - a.xact_start > make_interval(secs => %s)
                        order by a.xact_start""",
        (older_than,),
    ).fetchall()
    return [Session(*row) for row in rows]


class BlockerWatch:
    """While a block runs, note which sessions block `pid` (every 20 ms for the first second,
    then every 100 ms: a change that runs long without waiting costs few queries), on the
    engine's own (otherwise idle) connection; `last` is the latest non-empty list seen."""

    POLL, SLOW_POLL, SLOW_AFTER = 0.02, 0.1, 50

    def __init__(self, conn: psycopg.Connection, pid: int):
        self.conn, self.pid = conn, pid
        self.last: list[Session] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"blockers-of-{pid}", daemon=True)

    def _run(self) -> None:
        polls = 0
        while not self._stop.wait(self.POLL if polls < self.SLOW_AFTER else self.SLOW_POLL):
            polls += 1
            try:
                found = blockers(self.conn, self.pid)
            except psycopg.Error:
                return
            if found:
                self.last = found

    def __enter__(self) -> BlockerWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
