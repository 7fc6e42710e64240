"""The full rebuild of the ward rollups (refresh_ward_analytics()), timed, with what it corrected."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import psycopg

from .errors import database_says


@dataclass
class RebuildStep:
    relation: str
    rows: int
    corrected: int


@dataclass
class AnalyticsRefreshReport:
    steps: list[RebuildStep] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def corrected(self) -> int:
        return sum(s.corrected for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), "corrected": self.corrected,
                "tables": {s.relation: {"rows": s.rows, "corrected": s.corrected} for s in self.steps}}


def refresh_ward_analytics(conn: psycopg.Connection) -> AnalyticsRefreshReport:
    """Rebuild the rollups from post in one transaction (writers wait meanwhile) and report rows
    and corrections per table. Corrections other than 0 mean something bypassed the triggers."""
    started = time.perf_counter()
    with database_says(), conn.transaction():
        rows = conn.execute(
            "select relation, rows, corrected from public.refresh_ward_analytics()"
        ).fetchall()
    return AnalyticsRefreshReport([RebuildStep(r, n, c) for r, n, c in rows], time.perf_counter() - started)


@dataclass
class ElectoralRefreshReport:
    tables: dict[str, int] = field(default_factory=dict)  # step (table) -> rows
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), "tables": {t: {"rows": n} for t, n in self.tables.items()}}


def refresh_electoral(conn: psycopg.Connection) -> ElectoralRefreshReport:
    """recompute_electoral(): ward aggregates, profiles and features from the loaded results, rows
    per table, timed."""
    started = time.perf_counter()
    with database_says():
        rows = conn.execute("select step, rows from public.recompute_electoral()").fetchall()
    return ElectoralRefreshReport({step: n for step, n in rows}, time.perf_counter() - started)


PARTS = ("analytics", "electoral")


def refresh(conn: psycopg.Connection, what: str = "all") -> dict[str, Any]:
    """`lokdarpan-db refresh [all|analytics|electoral]`: the electoral tables, then the ward
    rollups (each its own transaction); each part's report by name."""
    done: dict[str, Any] = {}
    if what in ("all", "electoral"):
        done["electoral"] = refresh_electoral(conn)
    if what in ("all", "analytics"):
        done["analytics"] = refresh_ward_analytics(conn)
    return done
