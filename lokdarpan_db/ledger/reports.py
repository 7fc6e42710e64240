"""The seed's operational reports: slow queries (pg_stat_statements, PostgreSQL 13+ columns) and
index usage, read through the database's report_slow_queries() and report_index_usage()."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg

from ..errors import BadInputError
from ..facts import REPORT_MAX_LIMIT


@dataclass
class TableReport:
    title: str
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return float(v) if isinstance(v, Decimal) else v

        return {
            "report": self.title,
            "rows": [{k: plain(v) for k, v in zip(self.columns, row, strict=True)} for row in self.rows],
        }


def slow_queries(conn: psycopg.Connection, min_mean_ms: float = 100.0, limit: int = 20) -> TableReport:
    if min_mean_ms < 0:
        raise BadInputError(f"--min-mean-ms must be >= 0, got {min_mean_ms}")
    if not 1 <= limit <= REPORT_MAX_LIMIT:  # the database's bound (facts), said before connecting
        raise BadInputError(f"--limit must be between 1 and {REPORT_MAX_LIMIT}, got {limit}")
    cur = conn.execute(
        """select query, calls, round(total_exec_time_ms::numeric, 1), round(mean_exec_time_ms::numeric, 2),
                  round(max_exec_time_ms::numeric, 2), round(stddev_exec_time_ms::numeric, 2), rows
           from public.report_slow_queries(%s, %s)""",
        (min_mean_ms, limit),
    )
    columns = ["query", "calls", "total_ms", "mean_ms", "max_ms", "stddev_ms", "rows"]
    return TableReport("slow-queries", columns, cur.fetchall())


def index_usage(conn: psycopg.Connection, all_indexes: bool = False) -> TableReport:
    cur = conn.execute(
        """select schemaname, tablename, indexname, index_scans, sequential_scans, modifications, index_size
           from public.report_index_usage(%s)""",
        (all_indexes,),
    )
    columns = ["schema", "table", "index", "index_scans", "sequential_scans", "modifications", "size"]
    return TableReport("index-usage", columns, cur.fetchall())
