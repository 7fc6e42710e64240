"""Run one deploy/revert/verify script against a connection, statement by statement.

Errors come back as ScriptError naming the script, the line and PostgreSQL's message, so that a
DBA reading one line knows where to look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ..errors import ScriptEncodingError, ScriptMissingError
from .sqlsplit import SplitError, Statement, split

_INLINE_LINE = re.compile(r"(?:inline_code_block|function [^\s]+) line (\d+)")


@dataclass
class ScriptError(Exception):
    path: Path
    line: int | None
    sqlstate: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        code = f" [{self.sqlstate}]" if self.sqlstate else ""
        return f"{where}: {self.message}{code}"


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScriptMissingError(f"script not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise ScriptEncodingError(f"{path}: not UTF-8 text ({exc.reason})") from None


def statements(path: Path) -> list[Statement]:
    try:
        return split(read(path))
    except SplitError as exc:
        raise ScriptError(path, exc.line, None, str(exc).split(": ", 1)[-1]) from None


def run(conn: psycopg.Connection, path: Path) -> None:
    """Execute every statement of the script on `conn` (the caller owns the transaction)."""
    for stmt in statements(path):
        try:
            conn.execute(stmt.sql.encode("utf-8"))  # bytes: no client-side % interpolation
        except psycopg.Error as exc:
            raise _located(path, stmt, exc) from None


def _located(path: Path, stmt: Statement, exc: psycopg.Error) -> ScriptError:
    diag = exc.diag
    line = stmt.line
    if diag.statement_position:
        line = stmt.line_of_offset(int(diag.statement_position) - 1)
    elif diag.context and (m := _INLINE_LINE.search(diag.context)) and "$" in stmt.sql:
        # A DO block or function body: PL/pgSQL counts lines from the opening dollar quote.
        body_start = stmt.sql.find("$")
        line = stmt.line_of_offset(body_start) + int(m.group(1)) - 1
    message = diag.message_primary or str(exc).strip().splitlines()[0]
    if diag.message_detail:
        message += f" ({diag.message_detail})"
    return ScriptError(path, line, diag.sqlstate, message)
