"""`lokdarpan-db integrity`: the database's validate_data_integrity(), as a report with an exit code
a monitoring system understands (the Nagios convention): 0 every check PASS, 1 a WARN, 2 a FAIL,
3 the checks could not run (the database cannot be reached, an unknown check name, any database
error) — so an outage is never mistaken for a finding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import psycopg

from ..errors import MONITOR_CRITICAL, MONITOR_OK, MONITOR_UNKNOWN, MONITOR_WARN, LokdarpanError

SEVERITY = {"PASS": MONITOR_OK, "WARN": MONITOR_WARN, "FAIL": MONITOR_CRITICAL}
UNKNOWN_EXIT = MONITOR_UNKNOWN


class IntegrityUnavailableError(LokdarpanError):
    """The checks could not run: exit 3, distinct from WARN (1) and FAIL (2)."""

    exit_code = UNKNOWN_EXIT


@dataclass(frozen=True)
class CheckResult:
    check_name: str
    status: str
    record_count: int
    issue_description: str
    hint: str
    elapsed_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IntegrityReport:
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        worst = max((SEVERITY[c.status] for c in self.checks), default=0)
        return {0: "PASS", 1: "WARN", 2: "FAIL"}[worst]

    @property
    def exit_code(self) -> int:
        return SEVERITY[self.status]

    @property
    def elapsed_ms(self) -> float:
        return round(sum(c.elapsed_ms for c in self.checks), 3)

    @property
    def slowest(self) -> CheckResult | None:
        return max(self.checks, key=lambda c: c.elapsed_ms, default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "elapsed_ms": self.elapsed_ms,
            "checks": [c.as_dict() for c in self.checks],
        }


def _ms(value: Decimal | float | None) -> float:
    return 0.0 if value is None else float(value)


def run_checks(conn: psycopg.Connection, only: Sequence[str] | None = None) -> IntegrityReport:
    """Run validate_data_integrity() (every check, or only those named) and return the report.
    A database error (an unknown name: 22023) becomes IntegrityUnavailableError, exit 3."""
    try:
        rows = conn.execute(
            """select check_name, status, record_count, issue_description, hint, elapsed_ms
               from public.validate_data_integrity(%s)""",
            (list(only) if only else None,),
        ).fetchall()
    except psycopg.Error as exc:
        reason = exc.diag.message_primary or " ".join(str(exc).split())
        raise IntegrityUnavailableError(f"integrity checks could not run: {reason}") from exc
    return IntegrityReport(
        [
            CheckResult(name, status, int(count), desc, hint, _ms(ms))
            for name, status, count, desc, hint, ms in rows
        ]
    )
