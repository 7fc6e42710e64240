"""The monthly partitions pg_partman manages (post, ai_model_execution): what exists, and the daily
maintenance (`maintain_partitions()`: months ahead, stray rows out of the default partitions)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

import psycopg

from ..errors import CannotRunError


@dataclass(frozen=True)
class PartitionedTable:
    parent_table: str
    partitions: int
    oldest: str | None
    newest: str | None
    months_ahead: int
    default_rows: int
    rows_moved_from_default: int = 0


@dataclass
class PartitionReport:
    maintained: bool
    tables: list[PartitionedTable] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"maintained": self.maintained, "tables": [asdict(t) for t in self.tables]}


STATE_SQL = """
select c.parent_table,
    count(k.oid)::integer,
    min(k.relname::text),
    max(k.relname::text),
    count(k.oid) filter (
        where pg_get_expr(k.relpartbound, k.oid) like 'FOR VALUES FROM%%'
          and substring(pg_get_expr(k.relpartbound, k.oid) from 'FROM \\(''([^'']+)''')::timestamptz
              > date_trunc('month', now(), 'UTC')
    )::integer
from partman.part_config as c
left join pg_inherits as i on i.inhparent = c.parent_table::regclass
left join pg_class as k
    on k.oid = i.inhrelid and k.relname <> split_part(c.parent_table, '.', 2) || '_default'
group by c.parent_table
order by c.parent_table
"""


def partition_state(conn: psycopg.Connection, maintain: bool = False) -> PartitionReport:
    """Each managed table's monthly partitions; with `maintain`, run maintain_partitions() first
    (as the tables' owner: the role that deploys)."""
    moved: dict[str, int] = {}
    try:
        with conn.transaction():
            if maintain:
                for parent, _parts, _newest, rows in conn.execute("select * from maintain_partitions()"):
                    moved[parent] = rows
            rows = conn.execute(STATE_SQL).fetchall()
            defaults = {
                parent: conn.execute(f"select count(*) from {parent}_default").fetchone()[0]  # type: ignore[index]
                for parent, *_ in rows
            }
    except psycopg.errors.InsufficientPrivilege as exc:
        raise CannotRunError(
            "partition maintenance needs the tables' owner (the role that deploys): "
            f"{exc.diag.message_primary}"
        ) from exc
    except psycopg.errors.UndefinedTable as exc:
        raise CannotRunError(
            "pg_partman is not set up here: deploy the plan (maintenance/partitions) first"
        ) from exc
    # Rows moved out of a default partition leave dead tuples that every newest-first scan of it
    # would step over until autovacuum comes: vacuum it now (outside any transaction).
    vacuum = [parent for parent, rows in moved.items() if rows]
    if vacuum:
        autocommit = conn.autocommit
        conn.autocommit = True
        try:
            for parent in vacuum:
                conn.execute(f"vacuum (analyze) {parent}_default")
        finally:
            conn.autocommit = autocommit
    return PartitionReport(maintain, [
        PartitionedTable(parent, parts, oldest, newest, ahead, defaults[parent], moved.get(parent, 0))
        for parent, parts, oldest, newest, ahead in rows
    ])


def prepare_backfill(conn: psycopg.Connection, since: datetime) -> bool:
    """Make every month from `since` to now before loading history, so its rows go straight to
    their partitions (not through the default one). False where the plan has no partitioning yet."""
    row = conn.execute(
        "select to_regprocedure('public.maintain_partitions(timestamptz)') is not null"
    ).fetchone()
    if not row or not row[0]:
        return False
    conn.execute("select * from maintain_partitions(%s)", (since,)).fetchall()
    return True
