"""Split a SQL script into statements the way psql does, keeping each statement's line number.

Running statement by statement (as psql does) lets an error name the script line it came from.
The lexer understands what PostgreSQL scripts contain: '…' and E'…' strings, "…" identifiers,
$tag$…$tag$ bodies, -- and nested /* */ comments, BEGIN ATOMIC … END function bodies and, as psql
does, a `;` inside parentheses (`CREATE RULE … DO ALSO (stmt; stmt)`) that does not end the
statement. A leading UTF-8 byte-order mark is white space (Sqitch runs such scripts).

`transaction_control()` names the statements that begin or end a transaction (BEGIN, COMMIT,
ROLLBACK and their synonyms): the engine owns transactions, see scripts.prepare().
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
BOM = "\ufeff"


@dataclass(frozen=True)
class Statement:
    sql: str
    line: int  # 1-based line of the statement's first non-blank character

    def line_of_offset(self, offset: int) -> int:
        """Script line of a 0-based character offset inside this statement."""
        return self.line + self.sql.count("\n", 0, max(0, offset))


class SplitError(ValueError):
    def __init__(self, message: str, line: int):
        super().__init__(f"line {line}: {message}")
        self.line = line


def split(script: str) -> list[Statement]:
    statements: list[Statement] = []
    n = len(script)
    i = 0
    start = 0
    line = 1
    start_line = 1
    first_words: list[str] = []  # first words of the current statement
    atomic_depth = 0  # BEGIN ATOMIC … END nesting inside CREATE FUNCTION/PROCEDURE
    paren_depth = 0  # psql sends nothing while a parenthesis is open
    prev_word = ""

    def flush(end: int) -> None:
        nonlocal start, start_line, first_words, atomic_depth, paren_depth, prev_word
        text = script[start:end]
        skip = _leading_noise(text)
        body = text[skip:].rstrip()
        if body:
            statements.append(Statement(sql=body, line=start_line + text.count("\n", 0, skip)))
        start = end + 1
        start_line = line
        first_words = []
        atomic_depth = 0
        paren_depth = 0
        prev_word = ""

    if script.startswith(BOM):
        script = " " + script[1:]  # keeps every offset and line number
    while i < n:
        ch = script[i]
        if ch == "\n":
            line += 1
            i += 1
        elif ch == "-" and script.startswith("--", i):
            j = script.find("\n", i)
            i = n if j < 0 else j
        elif ch == "/" and script.startswith("/*", i):
            j = _block_comment_end(script, i)
            if j < 0:
                raise SplitError("unterminated /* comment", line)
            line += script.count("\n", i, j)
            i = j
        elif ch == "'":
            escape = i > 0 and script[i - 1] in "eE" and (i < 2 or not script[i - 2].isalnum())
            j, begin_line = i + 1, line
            while True:
                if j >= n:
                    raise SplitError("unterminated quoted string", begin_line)
                c = script[j]
                if c == "\n":
                    line += 1
                if escape and c == "\\":
                    if j + 1 < n and script[j + 1] == "\n":
                        line += 1
                    j += 2
                    continue
                if c == "'":
                    if j + 1 < n and script[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
        elif ch == '"':
            j = script.find('"', i + 1)
            while j >= 0 and script.startswith('""', j):
                j = script.find('"', j + 2)
            if j < 0:
                raise SplitError("unterminated quoted identifier", line)
            line += script.count("\n", i, j)
            i = j + 1
        elif ch == "$" and (m := _DOLLAR.match(script, i)) and not _part_of_word(script, i):
            tag = m.group(0)
            j = script.find(tag, m.end())
            if j < 0:
                raise SplitError(f"unterminated dollar-quoted string {tag}", line)
            line += script.count("\n", i, j)
            i = j + len(tag)
        elif ch == "(":
            paren_depth += 1
            i += 1
        elif ch == ")":
            paren_depth = max(0, paren_depth - 1)
            i += 1
        elif ch == ";":
            if atomic_depth > 0 or paren_depth > 0:
                i += 1
                continue
            flush(i)
            i += 1
        elif ch.isalpha() or ch == "_":
            m = _WORD.match(script, i)
            assert m is not None
            word = m.group(0).lower()
            if len(first_words) < 6:
                first_words.append(word)
            if _is_routine(first_words):
                if (word == "atomic" and prev_word == "begin") or (atomic_depth > 0 and word == "case"):
                    atomic_depth += 1
                elif atomic_depth > 0 and word == "end":
                    atomic_depth -= 1
            prev_word = word
            i = m.end()
        else:
            i += 1
    flush(n)
    return statements


# Transaction control, by its first words (psql, like the server, reads them case-insensitively).
BEGIN, COMMIT, ROLLBACK, OTHER = "begin", "commit", "rollback", "other"
_OPTIONAL = ("work", "transaction")


def transaction_control(sql: str) -> str | None:
    """What a statement does to the transaction: BEGIN (bare `begin`, `begin work|transaction`,
    `start transaction`), COMMIT (`commit`, `end`, `… and no chain`), ROLLBACK (`rollback`,
    `abort`, `… and no chain`), OTHER for the rest that starts, ends or chains one (BEGIN or START
    TRANSACTION with modes, `… and chain`, PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED), None
    for everything else, savepoints (SAVEPOINT, RELEASE, ROLLBACK TO) included."""
    words = [w.lower() for w in _WORD.findall(_strip_noise(sql))]
    if not words:
        return None
    head, rest = words[0], words[1:]
    if head == "prepare" and rest[:1] == ["transaction"]:
        return OTHER
    if head == "start" and rest[:1] == ["transaction"]:
        return BEGIN if len(rest) == 1 else OTHER
    if head not in ("begin", "commit", "end", "rollback", "abort"):
        return None
    if rest[:1] and rest[0] in _OPTIONAL:
        rest = rest[1:]
    if head == "begin":
        return BEGIN if not rest else OTHER
    if head == "rollback" and rest[:1] == ["to"]:
        return None  # ROLLBACK TO SAVEPOINT: inside the transaction
    if rest == ["and", "no", "chain"]:
        rest = []
    if rest:
        return OTHER  # … AND CHAIN, COMMIT/ROLLBACK PREPARED
    return COMMIT if head in ("commit", "end") else ROLLBACK


def _strip_noise(sql: str) -> str:
    """The statement without comments (words inside them are not the statement's)."""
    sql = sql[_leading_noise(sql):]
    return re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S)


def _part_of_word(script: str, i: int) -> bool:
    """$1 parameters and identifiers containing $ are not dollar quotes."""
    return i > 0 and (script[i - 1].isalnum() or script[i - 1] == "_")


def _is_routine(words: list[str]) -> bool:
    w = [x for x in words if x not in ("or", "replace")]
    return len(w) >= 2 and w[0] == "create" and w[1] in ("function", "procedure")


def _block_comment_end(text: str, start: int) -> int:
    """Offset just past the (nested) /* comment opening at `start`, or -1 when unterminated."""
    depth, j, n = 1, start + 2, len(text)
    while j < n and depth:
        if text.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif text.startswith("*/", j):
            depth, j = depth - 1, j + 2
        else:
            j += 1
    return -1 if depth else j


def _leading_noise(text: str) -> int:
    """Length of the whitespace and comments before a statement's first token."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = _block_comment_end(text, i)
            i = n if j < 0 else j
        else:
            break
    return i
