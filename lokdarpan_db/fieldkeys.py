"""`keys check` and `keys rotate`: which key each encrypted value is under, and re-encryption under
the newest key in small batches beside live sign-ins (docs/security.md, personal data)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from cryptography.fernet import InvalidToken
from psycopg import sql

from .errors import BadInputError
from .fieldcrypt import FieldKeyError, FieldKeys

# (schema, table, key column, encrypted column): every column that holds Fernet tokens.
ENCRYPTED_COLUMNS: tuple[tuple[str, str, str, str], ...] = (("public", "user", "id", "email"),)
DEFAULT_BATCH = 500
MAX_BATCH = 10_000


@dataclass
class ColumnKeys:
    column: str
    rows: int = 0
    by_key: list[int] = field(default_factory=list)  # rows under key 1 (newest), key 2, …
    undecryptable: int = 0
    first_undecryptable: Any = None
    rotated: int = 0
    skipped_locked: int = 0

    @property
    def under_old_keys(self) -> int:
        return sum(self.by_key[1:])


@dataclass
class KeysReport:
    keys: int
    columns: list[ColumnKeys]
    seconds: float = 0.0
    batches: int = 0

    @property
    def under_old_keys(self) -> int:
        return sum(c.under_old_keys for c in self.columns)

    @property
    def undecryptable(self) -> int:
        return sum(c.undecryptable for c in self.columns)

    @property
    def rotated(self) -> int:
        return sum(c.rotated for c in self.columns)

    def as_dict(self) -> dict[str, Any]:
        return {
            "keys": self.keys,
            "under_old_keys": self.under_old_keys,
            "undecryptable": self.undecryptable,
            "rotated": self.rotated,
            "seconds": round(self.seconds, 3),
            "batches": self.batches,
            "rows_per_second": (
                round(self.rotated / self.seconds, 1) if self.seconds and self.rotated else None
            ),
            "columns": [asdict(c) | {"under_old_keys": c.under_old_keys} for c in self.columns],
        }


def check_batch_size(batch_size: int) -> None:
    if not 1 <= batch_size <= MAX_BATCH:
        raise BadInputError(f"--batch-size must be 1-{MAX_BATCH}, not {batch_size}")


def _label(schema: str, table: str, column: str) -> str:
    return f"{table}.{column}" if schema == "public" else f"{schema}.{table}.{column}"


def check(conn: psycopg.Connection, keys: FieldKeys, batch_size: int = 5000) -> KeysReport:
    """Count, per encrypted column, the rows under each key and the rows no key decrypts. Reads only
    (no locks beyond a snapshot per batch)."""
    report = KeysReport(len(keys.fernets), [])
    started = time.monotonic()
    for schema, table, key_col, col in ENCRYPTED_COLUMNS:
        stats = ColumnKeys(_label(schema, table, col), by_key=[0] * len(keys.fernets))
        ident = {"k": sql.Identifier(key_col), "c": sql.Identifier(col), "t": sql.Identifier(schema, table)}
        # Keyset pagination from below the smallest key; each batch reads its own snapshot.
        query = sql.SQL(
            "select {k}, {c} from {t} where {k} > coalesce(%s, (select min({k}) - 1 from {t})) "
            "order by {k} limit %s"
        ).format(**ident)
        after: Any = None
        while True:
            rows = conn.execute(query, [after, batch_size]).fetchall()
            if not rows:
                break
            for rid, token in rows:
                stats.rows += 1
                n = keys.key_number(token)
                if n is None:
                    stats.undecryptable += 1
                    if stats.first_undecryptable is None:
                        stats.first_undecryptable = rid
                else:
                    stats.by_key[n] += 1
            after = rows[-1][0]
        report.columns.append(stats)
    report.seconds = time.monotonic() - started
    return report


def rotate(
    conn: psycopg.Connection,
    keys: FieldKeys,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
    max_passes: int = 20,
) -> KeysReport:
    """Re-encrypt every value not under the newest key, one batch per transaction.

    First a read-only check: when any row decrypts with none of the keys, FieldKeyError and nothing
    is written. Then batches in key order: `select … for update skip locked` (a row a sign-in holds
    is skipped, never waited for), each value not under the newest key re-encrypted with
    MultiFernet.rotate, written with a compare-and-set on the old token, commit. Rows skipped because
    they were locked are retried in a further pass. Resumable: a value already under the newest key is
    left alone, so an interrupted run starts again from the beginning at the cost of decryption only.
    """
    check_batch_size(batch_size)
    pre = check(conn, keys)
    if pre.undecryptable:
        bad = next(c for c in pre.columns if c.undecryptable)
        raise FieldKeyError(
            f"{pre.undecryptable} value(s) decrypt with none of the {len(keys.fernets)} key(s) of "
            f"{keys.source} (first: {bad.column} of row {bad.first_undecryptable}): wrong or missing key; "
            "nothing was written"
        )
    report = KeysReport(len(keys.fernets), [])
    started = time.monotonic()
    newest = keys.fernets[0]
    for schema, table, key_col, col in ENCRYPTED_COLUMNS:
        stats = ColumnKeys(_label(schema, table, col), by_key=[0] * len(keys.fernets))
        ident = {"k": sql.Identifier(key_col), "c": sql.Identifier(col), "t": sql.Identifier(schema, table)}
        select = sql.SQL(
            "select {k}, {c} from {t} where {k} > %s order by {k} limit %s for update skip locked"
        ).format(**ident)
        first = sql.SQL("select min({k}) from {t}").format(**ident)
        # One statement per batch; the compare-and-set on the old token never overwrites a change
        # made since the batch read it (the row lock makes that impossible anyway).
        update = sql.SQL(
            "update {t} as t set {c} = v.new "
            "from unnest(%s::bigint[], %s::text[], %s::text[]) as v (id, old, new) "
            "where t.{k} = v.id and t.{c} = v.old"
        ).format(**ident)
        for _ in range(max_passes):
            skipped = 0
            with conn.transaction():
                low = conn.execute(first).fetchone()
            if low is None or low[0] is None:
                break
            after: Any = low[0] - 1 if isinstance(low[0], int) else None
            while True:
                with conn.transaction():
                    conn.execute("set local lock_timeout = '2s'")
                    rows = conn.execute(select, [after, batch_size]).fetchall()
                    if not rows:  # the end, or only rows other transactions hold are left
                        rest = conn.execute(
                            sql.SQL("select count(*) from {t} where {k} > %s").format(**ident), [after]
                        ).fetchone()
                        skipped += rest[0] if rest else 0
                        break
                    # Rows in the key range this batch covers that another transaction holds.
                    span = conn.execute(
                        sql.SQL("select count(*) from {t} where {k} > %s and {k} <= %s").format(**ident),
                        [after, rows[-1][0]],
                    ).fetchone()
                    skipped += (span[0] if span else 0) - len(rows)
                    changes = []
                    for rid, token in rows:
                        data = token.encode("ascii")
                        try:
                            newest.decrypt(data)
                            continue
                        except InvalidToken:  # not under the newest key
                            pass
                        n = keys.key_number(token)
                        if n is None:
                            raise FieldKeyError(
                                f"{stats.column} of row {rid} decrypts with none of the keys of "
                                f"{keys.source} (written after the check?): wrong or missing key; "
                                "this batch was not written"
                            )
                        changes.append((rid, token, keys.rotate(token)))
                    if changes:
                        ids, olds, news = (list(x) for x in zip(*changes, strict=True))
                        conn.execute(update, [ids, olds, news])
                    stats.rotated += len(changes)
                    report.batches += 1
                after = rows[-1][0]
                if progress:
                    progress(stats.rotated)
            stats.skipped_locked = skipped
            if skipped <= 0:
                break
            time.sleep(0.05)
        report.columns.append(stats)
    report.seconds = time.monotonic() - started
    post = check(conn, keys)
    for stats, after_stats in zip(report.columns, post.columns, strict=True):
        stats.rows, stats.by_key = after_stats.rows, after_stats.by_key
        stats.undecryptable = after_stats.undecryptable
    return report
