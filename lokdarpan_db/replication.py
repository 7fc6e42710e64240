"""Streaming replication as the CLI sees it (issue 24): which role a connection reaches, the
refusal of writing verbs on a hot standby, and the replication figures `health` reports.

A hot standby answers reads (search, dashboards, `ward`, `integrity`, `health`, `backup create`)
but refuses every write; a writing verb connected to one stops before it starts, in one line,
exit 3, rather than failing midway on its first LOCK TABLE or DELETE. `watch` refuses too:
NOTIFY is not replicated, so on a standby it would wait forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from .errors import CannotRunError


class StandbyError(CannotRunError):
    """A writing verb (or `watch`) pointed at a hot standby."""


def in_recovery(conn: psycopg.Connection) -> bool:
    """Whether the server is a standby (in recovery)."""
    return bool(conn.execute("select pg_catalog.pg_is_in_recovery()").fetchone()[0])


def refuse_on_standby(conn: psycopg.Connection, verb: str, where: str) -> None:
    """Raise StandbyError when `conn` reaches a standby: `verb` writes (or listens)."""
    if not in_recovery(conn):
        return
    if verb == "watch":
        raise StandbyError(
            f"watch: {where} is a hot standby, and NOTIFY is not replicated: watch would never "
            "print anything; point --db at the primary")
    raise StandbyError(f"{verb}: {where} is a hot standby (read-only); point --db at the primary")


@dataclass(frozen=True)
class StandbyLag:
    """One standby as its primary sees it (pg_stat_replication)."""

    name: str
    client: str | None
    state: str | None
    sync_state: str | None
    lag_bytes: int | None
    replay_lag_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "client": self.client, "state": self.state,
                "sync_state": self.sync_state, "lag_bytes": self.lag_bytes,
                "replay_lag_seconds": self.replay_lag_seconds}


@dataclass(frozen=True)
class Replication:
    """What `health` reports about replication."""

    role: str  # "primary" or "standby"
    lag_bytes: int | None = None  # standby: received but not yet replayed WAL
    lag_seconds: float | None = None  # standby: age of the last replayed transaction
    receiving: bool | None = None  # standby: a WAL receiver is streaming
    slot_retained_bytes: int | None = None  # WAL kept by this server's replication slots
    standbys: tuple[StandbyLag, ...] = ()  # primary: the connected standbys

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "lag_bytes": self.lag_bytes, "lag_seconds": self.lag_seconds,
                "receiving": self.receiving, "slot_retained_bytes": self.slot_retained_bytes,
                "standbys": [s.as_dict() for s in self.standbys]}


def replication_status(conn: psycopg.Connection) -> Replication:
    """Role, lag and retained WAL. The lag in seconds on a standby is the age of the last replayed
    commit, and 0 when everything received is replayed (an idle primary sends no commits: the
    age alone would grow without any lag). Reading the slots and pg_stat_replication's client
    columns needs pg_monitor (or superuser); without it those figures are NULL."""
    if in_recovery(conn):
        lag_bytes, lag_seconds, receiving = conn.execute(
            """select pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_receive_lsn(),
                                                 pg_catalog.pg_last_wal_replay_lsn())::bigint,
                      case when pg_catalog.pg_last_wal_receive_lsn()
                                = pg_catalog.pg_last_wal_replay_lsn() then 0
                           else extract(epoch from pg_catalog.clock_timestamp()
                                        - pg_catalog.pg_last_xact_replay_timestamp())::float8
                      end,
                      exists (select from pg_catalog.pg_stat_wal_receiver where status = 'streaming')"""
        ).fetchone()
        retained = conn.execute(
            """select pg_catalog.sum(pg_catalog.pg_wal_lsn_diff(
                          pg_catalog.pg_last_wal_replay_lsn(), restart_lsn))::bigint
               from pg_catalog.pg_replication_slots where restart_lsn is not null"""
        ).fetchone()[0]
        return Replication("standby", lag_bytes, lag_seconds, receiving, retained)
    retained = conn.execute(
        """select pg_catalog.sum(pg_catalog.pg_wal_lsn_diff(
                      pg_catalog.pg_current_wal_lsn(), restart_lsn))::bigint
           from pg_catalog.pg_replication_slots where restart_lsn is not null"""
    ).fetchone()[0]
    rows = conn.execute(
        """select application_name, client_addr::text, state, sync_state,
                  pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), replay_lsn)::bigint,
                  extract(epoch from replay_lag)::float8
           from pg_catalog.pg_stat_replication order by application_name, pid"""
    ).fetchall()
    return Replication("primary", slot_retained_bytes=retained,
                       standbys=tuple(StandbyLag(*r) for r in rows))
