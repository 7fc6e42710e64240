"""Invalid indexes: what a failed `CREATE INDEX CONCURRENTLY` (or `REINDEX CONCURRENTLY`) leaves.

PostgreSQL keeps such an index, marked invalid: it is maintained on writes but never used, and a
unique one enforces nothing. A re-runnable script (`create index concurrently if not exists`) then
skips it and "succeeds". The engine therefore looks for invalid indexes before and after every
change that runs outside a transaction, and fails naming them.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class InvalidIndex:
    index: str  # schema-qualified, quoted as needed
    table: str

    @property
    def drop_sql(self) -> str:
        return f"drop index concurrently {self.index};"


def invalid_indexes(conn: psycopg.Connection) -> list[InvalidIndex]:
    """Invalid indexes of the current database, except those a concurrent build is still making
    (visible in pg_stat_progress_create_index for the sessions this role may see)."""
    rows = conn.execute(
        """select format('%I.%I', n.nspname, c.relname), format('%I.%I', tn.nspname, t.relname)
             from pg_index i
             join pg_class c on c.oid = i.indexrelid
             join pg_namespace n on n.oid = c.relnamespace
             join pg_class t on t.oid = i.indrelid
             join pg_namespace tn on tn.oid = t.relnamespace
            where not i.indisvalid
              and i.indexrelid not in (select p.index_relid from pg_stat_progress_create_index p
                                        where p.index_relid is not null)
            order by 1"""
    ).fetchall()
    return [InvalidIndex(r[0], r[1]) for r in rows]


def describe(found: list[InvalidIndex]) -> str:
    """`invalid index public.t_uniq (on public.t)`, for one or several, with the fix."""
    what = ", ".join(f"{i.index} (on {i.table})" for i in found)
    fix = " ".join(i.drop_sql for i in found)
    noun = "index" if len(found) == 1 else "indexes"
    return (f"invalid {noun} {what}, left by a failed CREATE INDEX or REINDEX CONCURRENTLY; "
            f"drop it and deploy again: {fix}")
