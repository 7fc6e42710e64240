"""Run one deploy/revert/verify script against a connection, statement by statement.

Errors come back as ScriptError naming the script, the line and PostgreSQL's message, so that a
DBA reading one line knows where to look.

The engine owns transactions, but Sqitch's own templates (`sqitch add`) wrap deploy and revert
scripts in `BEGIN; … COMMIT;` and verify scripts in `BEGIN; … ROLLBACK;`. `prepare()` takes such a
leading BEGIN and trailing COMMIT (ROLLBACK or COMMIT in a verify script) as the engine's own
transaction and leaves them out; any other transaction control in a script is refused before
anything runs, because it would commit part of a change or roll it back behind the registry's back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.pq import TransactionStatus

from ..errors import BadInputError, ScriptEncodingError, ScriptMissingError
from .sqlsplit import BEGIN, COMMIT, ROLLBACK, SplitError, Statement, split, transaction_control

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


class TransactionControlError(BadInputError):
    """A script controls the transaction in a way the engine cannot honour (exit 2, nothing run)."""


def prepare(path: Path, kind: str, transactional: bool = True) -> list[Statement]:
    """The statements the engine runs for a deploy, revert or verify script: all of them, less a
    leading BEGIN and a trailing COMMIT (a verify script: COMMIT or ROLLBACK, it is rolled back
    anyway). Raises TransactionControlError for any other transaction control, naming the line."""
    stmts = statements(path)
    kinds = [transaction_control(s.sql) for s in stmts]
    if not transactional:
        for stmt, tc in zip(stmts, kinds, strict=True):
            if tc:
                _refuse(path, stmt, "the script runs outside a transaction (-- lokdarpan:no-transaction); "
                        "remove it")
        return stmts
    ends = (COMMIT, ROLLBACK) if kind == "verify" else (COMMIT,)
    begin = bool(stmts) and kinds[0] == BEGIN
    end = len(stmts) > begin and kinds[-1] in ends
    # (a trailing COMMIT without BEGIN: psql warns "no transaction in progress"; nothing to undo)
    first, last = int(begin), len(stmts) - int(end)
    for i in range(first, last):
        if kinds[i] == ROLLBACK and i == len(stmts) - 1:
            _refuse(path, stmts[i], f"a {kind} script that rolls itself back applies nothing; end it "
                    "with COMMIT")
        if kinds[i]:
            _refuse(path, stmts[i], "only a leading BEGIN and a trailing COMMIT (ROLLBACK in a verify "
                    "script) are allowed: the engine runs each script in one transaction with its "
                    "registry rows")
    if begin and not end:
        _refuse(path, stmts[0], "BEGIN without a COMMIT as the script's last statement; the engine "
                "runs each script in one transaction: end it with COMMIT or remove the BEGIN")
    return stmts[first:last]


def _refuse(path: Path, stmt: Statement, why: str) -> None:
    text = " ".join(stmt.sql.split())
    text = text if len(text) <= 40 else text[:39] + "…"
    raise TransactionControlError(f"{path}:{stmt.line}: {text}: {why}")


def run(conn: psycopg.Connection, path: Path, stmts: list[Statement] | None = None) -> None:
    """Execute the script's statements (all of them, or `stmts` from prepare()) on `conn`; the
    caller owns the transaction. A statement that ends the caller's transaction anyway is an
    error (the caller's rollback then has nothing to undo, so it must not record anything)."""
    in_transaction = conn.info.transaction_status == TransactionStatus.INTRANS
    for stmt in statements(path) if stmts is None else stmts:
        try:
            conn.execute(stmt.sql.encode("utf-8"))  # bytes: no client-side % interpolation
        except psycopg.Error as exc:
            raise _located(path, stmt, exc) from None
        if in_transaction and conn.info.transaction_status != TransactionStatus.INTRANS:
            raise ScriptError(path, stmt.line, None, "this statement ended the engine's transaction; "
                              "transaction control belongs to the engine")


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
