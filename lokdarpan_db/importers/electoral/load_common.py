"""What the electoral loaders share: the transaction, staging by COPY, reports, errors, names.

Every loader (load_constituencies, load_results, load_form20, load_demographics) follows the ward
importer's conventions: files are parsed and checked in Python first (a bad file is refused with
file, line and reason before anything is written); the writes are one transaction (a savepoint
when the caller already has one open) and set-based (COPY into a temporary staging table, then
INSERT ... SELECT / upserts); `dry_run=True` does everything inside the transaction and rolls it
back; a re-import of the same file changes nothing and says so (inserted / updated / unchanged).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path
from typing import Any

import psycopg

from ...errors import BadInputError
from ...paths import ELECTORAL_DATA
from ..streaming import CopyBatches
from ._common import ElectoralFileError, Problem

DATA_DIR = ELECTORAL_DATA

Progress = Callable[[int, int], None]

# How often (in rows) COPY reports progress.
PROGRESS_STEP = 500


class ElectoralLoadError(BadInputError, ValueError):
    """A load refused because of the database's state (e.g. no wards yet), not a file's line.

    str() is one line saying what is missing and which command supplies it.
    """


class ReportMixin:
    """as_dict() / to_json() for the loaders' report dataclasses (the CLI's --json summary)."""

    def as_dict(self) -> dict[str, Any]:
        assert is_dataclass(self)
        out: dict[str, Any] = {}
        for f in fields(self):
            out[f.name] = _plain(getattr(self, f.name))
        for name in getattr(self, "_extra_keys", ()):
            out[name] = _plain(getattr(self, name))
        return out

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.as_dict(), **({"indent": 2, "ensure_ascii": False} | kwargs))


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def where(path: Path, line: int | None) -> str:
    """'file.csv line 12' (or the bare file name): how problems name a place."""
    return path.name if line is None else f"{path.name} line {line}"


def problem_text(path: Path, problem: Problem) -> str:
    """A parser's Problem as one report line naming the file and the line."""
    return f"{where(path, problem.line)}: {problem.message}"


def refuse_lines(path: Path, problems: Sequence[tuple[int | None, str]]) -> ElectoralFileError:
    """The error for a file refused for the given (line, reason) pairs (raise the returned value)."""
    return ElectoralFileError(path, [Problem(line, message, "error") for line, message in problems])


@contextmanager
def load_transaction(
    conn: psycopg.Connection, dry_run: bool, *, check_deferred: Sequence[str] = ()
) -> Iterator[None]:
    """One transaction (a savepoint when the caller has one open); rolled back when dry_run.

    Deferred constraints named in `check_deferred` are checked before the block ends (and set back
    to deferred), so a violation is this load's error, raised here, in a dry run too.
    """
    with conn.transaction() as tx:
        yield
        for name in check_deferred:
            conn.execute(f"set constraints {name} immediate")
            conn.execute(f"set constraints {name} deferred")
        if dry_run:
            raise psycopg.Rollback(tx)


def temp_table(conn: psycopg.Connection, name: str, columns: str) -> None:
    """(Re)create a temporary staging table (dropped first: a caller's transaction may hold one)."""
    conn.execute(f"drop table if exists pg_temp.{name}")
    conn.execute(f"create temporary table {name} ({columns}) on commit drop")


# Rows per COPY statement: a file streams into staging in COPYs of this many rows, so memory holds
# one batch (bounded) and no statement lasts as long as the reading of a large file (a session with
# the database's 30 s statement_timeout, a library caller's, bounds each statement, not the reading;
# the CLI's sessions have none, connect.OPERATOR_OPTIONS).
COPY_BATCH = 10_000


def copy_rows(
    conn: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    total: int,
    progress: Progress | None = None,
    done_before: int = 0,
    grand_total: int | None = None,
) -> int:
    """COPY rows into a staging table, COPY_BATCH rows per statement, as `rows` yields them (an
    iterator over a file streams it); calls progress(done, grand_total) every PROGRESS_STEP rows."""
    grand = grand_total if grand_total is not None else total
    done = 0
    with CopyBatches(conn, table, columns, max_rows=COPY_BATCH) as batches:
        for row in rows:
            batches.add(row)
            done += 1
            if progress is not None and done % PROGRESS_STEP == 0:
                progress(done_before + done, grand)
    if progress is not None:
        progress(done_before + done, grand)
    return done


def counts(rows: Iterable[Sequence[Any]], total: int) -> tuple[int, int, int]:
    """(inserted, updated, unchanged) from an upsert's `returning (xmax = 0)` rows and the rows offered."""
    flags = [r[0] for r in rows]
    inserted = sum(1 for f in flags if f)
    updated = len(flags) - inserted
    return inserted, updated, total - len(flags)


def upsert_counts(
    conn: psycopg.Connection, upsert: str, params: Any, offered: int
) -> tuple[int, int, int]:
    """(inserted, updated, unchanged) of an upsert that ends `returning (xmax = 0)`, counted in SQL
    (no row per written row comes back to Python), and the rows offered."""
    row = conn.execute(
        f"with w(inserted) as ({upsert}) "
        "select count(*) filter (where w.inserted), count(*) filter (where not w.inserted) from w",
        params,
    ).fetchone()
    assert row is not None
    inserted, updated = int(row[0]), int(row[1])
    return inserted, updated, offered - inserted - updated


def db_error_line(exc: psycopg.Error) -> str:
    """PostgreSQL's message of an error, on one line."""
    diag = exc.diag
    text = diag.message_primary or str(exc)
    if diag.message_detail:
        text = f"{text} ({diag.message_detail})"
    return " ".join(text.split())


# --- names -----------------------------------------------------------------------------------

_RESERVATION = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<res>SC|ST)\s*(?P<close>\))?\s*$", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def split_reservation(name: str) -> tuple[str, str | None, bool]:
    """('Chennur', 'SC', True) for 'Chennur (SC)'; the flag is False when the ')' is missing
    ('Secunderabad Cantt. (SC' as one source truncates it). Names without a suffix: (name, None, True)."""
    text = " ".join(name.split())
    m = _RESERVATION.match(text)
    if m is None or not m.group("name"):
        return text, None, True
    return m.group("name").strip(), m.group("res").upper(), m.group("close") is not None


def title_case(name: str) -> str:
    """A name written all in capitals (or all lower case) in title case; mixed case kept as written.

    'PEDDAPALLE' -> 'Peddapalle', 'NIZAMABAD (URBAN)' -> 'Nizamabad (Urban)'; 'Lal Bahadur Nagar'
    and 'Secunderabad Cantt.' are left alone.
    """
    text = " ".join(name.split())
    letters = [c for c in text if c.isalpha()]
    if not letters or not (all(c.isupper() for c in letters) or all(c.islower() for c in letters)):
        return text
    return _WORD.sub(lambda m: m.group(0)[0].upper() + m.group(0)[1:].lower(), text)
