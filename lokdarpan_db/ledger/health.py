"""`lokdarpan-db health`: the database's check_performance_thresholds(), as a report with an exit
code a monitoring system understands (0 OK, 1 WARNING, 2 CRITICAL; UNKNOWN does not raise it).

Replication (issue 24, docs/scaling.md): the report names the role it sees (primary or standby).
On a standby it checks the replay lag in bytes (WAL received, not yet replayed) and in seconds (the
age of the last replayed commit, 0 when everything received is replayed) and that a WAL receiver
is streaming; on a primary, each connected standby's lag (pg_stat_replication); on both, the WAL
retained by replication slots (a slot whose standby is gone keeps WAL until the disk fills).
Thresholds: LAG_BYTES, LAG_SECONDS, SLOT_RETAINED_BYTES (warning, critical)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from ..errors import MONITOR_CRITICAL, MONITOR_OK, MONITOR_WARN
from ..replication import Replication, replication_status

# A metric UNKNOWN (no recent value) does not raise the exit code; the check not running at all is
# MONITOR_UNKNOWN (3), said by cli/failures.py.
SEVERITY = {"OK": MONITOR_OK, "UNKNOWN": MONITOR_OK, "WARNING": MONITOR_WARN, "CRITICAL": MONITOR_CRITICAL}

MIB = 1024 * 1024
# (warning, critical): a standby behind by this much serves stale dashboards.
LAG_BYTES = (16 * MIB, 256 * MIB)
LAG_SECONDS = (30.0, 300.0)
# WAL kept for slots: past these a lost standby is filling the primary's disk.
SLOT_RETAINED_BYTES = (1024 * MIB, 10 * 1024 * MIB)


@dataclass(frozen=True)
class Check:
    metric: str
    value: float | None
    threshold: float | None
    status: str
    warning: float | None
    critical: float | None
    unit: str
    description: str


@dataclass
class HealthReport:
    checks: list[Check] = field(default_factory=list)
    replication: Replication | None = None

    @property
    def role(self) -> str | None:
        return self.replication.role if self.replication else None

    @property
    def status(self) -> str:
        worst = max((SEVERITY[c.status] for c in self.checks), default=0)
        return {0: "OK", 1: "WARNING", 2: "CRITICAL"}[worst]

    @property
    def exit_code(self) -> int:
        return SEVERITY[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "role": self.role,
            "replication": self.replication.as_dict() if self.replication else None,
            "checks": [
                {
                    "metric": c.metric,
                    "value": c.value,
                    "threshold": c.threshold,
                    "status": c.status,
                    "warning": c.warning,
                    "critical": c.critical,
                    "unit": c.unit,
                    "description": c.description,
                }
                for c in self.checks
            ],
        }


def threshold_check(metric: str, value: float | None, limits: tuple[float, float], unit: str,
                    description: str) -> Check:
    """A Check of `value` against (warning, critical): at or above critical CRITICAL, at or above
    warning WARNING, else OK; no value UNKNOWN."""
    warning, critical = limits
    if value is None:
        status = "UNKNOWN"
    elif value >= critical:
        status = "CRITICAL"
    elif value >= warning:
        status = "WARNING"
    else:
        status = "OK"
    threshold = critical if status == "CRITICAL" else warning
    return Check(metric, value, threshold, status, warning, critical, unit, description)


def replication_checks(rep: Replication) -> list[Check]:
    """The replication rows of the report (see the module's docstring)."""
    checks: list[Check] = []
    if rep.role == "standby":
        checks.append(threshold_check("replication_lag_bytes", _num(rep.lag_bytes), LAG_BYTES, "bytes",
                                      "standby: WAL received but not yet replayed"))
        checks.append(threshold_check("replication_lag_seconds", rep.lag_seconds, LAG_SECONDS, "s",
                                      "standby: age of the last replayed commit (0 when caught up)"))
        checks.append(Check("wal_receiver_streaming", 1.0 if rep.receiving else 0.0, 1.0,
                            "OK" if rep.receiving else "WARNING", 1.0, None, "bool",
                            "standby: a WAL receiver streams from the primary"))
    for s in rep.standbys:
        checks.append(threshold_check(f"standby_lag_bytes:{s.name}", _num(s.lag_bytes), LAG_BYTES, "bytes",
                                      f"primary: WAL not yet replayed by standby {s.name} ({s.state})"))
        seconds = s.replay_lag_seconds
        if seconds is None and s.state == "streaming":
            seconds = 0.0  # replay_lag is NULL once an idle standby has replayed everything
        checks.append(threshold_check(f"standby_lag_seconds:{s.name}", seconds, LAG_SECONDS, "s",
                                      f"primary: replay lag of standby {s.name}"))
    checks.append(threshold_check("replication_slot_retained_wal", _num(rep.slot_retained_bytes or 0),
                                  SLOT_RETAINED_BYTES, "bytes",
                                  "WAL kept on this server for its replication slots"))
    return checks


def _num(value: int | None) -> float | None:
    return None if value is None else float(value)


def check_health(conn: psycopg.Connection) -> HealthReport:
    rows = conn.execute(
        """select metric_name, current_value, threshold, status, threshold_warning, threshold_critical,
                  metric_unit, description
           from public.check_performance_thresholds()"""
    ).fetchall()
    rep = replication_status(conn)
    return HealthReport([Check(*row) for row in rows] + replication_checks(rep), rep)
