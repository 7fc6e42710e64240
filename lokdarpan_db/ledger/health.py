"""`lokdarpan-db health`: the database's check_performance_thresholds(), as a report with an exit
code a monitoring system understands (0 OK, 1 WARNING, 2 CRITICAL; UNKNOWN does not raise it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

SEVERITY = {"OK": 0, "UNKNOWN": 0, "WARNING": 1, "CRITICAL": 2}


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


def check_health(conn: psycopg.Connection) -> HealthReport:
    rows = conn.execute(
        """select metric_name, current_value, threshold, status, threshold_warning, threshold_critical,
                  metric_unit, description
           from public.check_performance_thresholds()"""
    ).fetchall()
    return HealthReport([Check(*row) for row in rows])
