"""Shared pieces of the electoral parsers: problems, the refusal error, reading a text file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...errors import BadInputError

Severity = Literal["error", "warning"]

# How many problems the one-line message of an ElectoralFileError shows before "and N more".
SHOWN_IN_MESSAGE = 3


@dataclass(frozen=True)
class Problem:
    """One defect of an input file: where (line, 1-based; None for the whole file) and what."""

    line: int | None
    message: str
    severity: Severity = "warning"

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


class ElectoralFileError(BadInputError, ValueError):
    """An electoral file is refused. str() is one line: file, count, the first few problems.

    `problems` holds every error found (not only those in the message), `path` the file.
    """

    def __init__(self, path: Path | str, problems: Sequence[Problem]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__(_summary(self.path, self.problems))


def _summary(path: Path, problems: list[Problem]) -> str:
    if len(problems) == 1:
        return f"{path}: {problems[0]}"
    shown = "; ".join(str(p) for p in problems[:SHOWN_IN_MESSAGE])
    more = len(problems) - SHOWN_IN_MESSAGE
    tail = f"; and {more} more" if more > 0 else ""
    return f"{path}: {len(problems)} problems: {shown}{tail}"


def refuse(path: Path | str, line: int | None, message: str) -> ElectoralFileError:
    """The error for a file refused for one reason (raise the returned value)."""
    return ElectoralFileError(path, [Problem(line, message, "error")])


def read_text(
    path: Path | str, *, fallback_encoding: str | None = None, notes: list[Problem] | None = None
) -> str:
    """The file's text: UTF-8, a leading BOM dropped. Refuses missing, binary or non-UTF-8 files.

    With fallback_encoding, a file that is not UTF-8 is decoded with it instead, and a warning
    naming the first offending line is appended to `notes`.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise refuse(p, None, "no such file") from None
    except IsADirectoryError:
        raise refuse(p, None, "is a directory, not a file") from None
    except OSError as exc:
        raise refuse(p, None, f"cannot be read ({exc.strerror})") from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise refuse(p, line, "contains NUL bytes: not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reason = f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        if fallback_encoding is None:
            raise refuse(p, line, reason) from None
        try:
            text = data.decode(fallback_encoding)
        except UnicodeDecodeError:
            raise refuse(p, line, f"{reason}, nor {fallback_encoding}") from None
        if notes is not None:
            notes.append(Problem(line, f"{reason}: the file was read as {fallback_encoding}"))
    if not text.strip():
        raise refuse(p, None, "the file is empty")
    return text


_SPACES = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Trimmed, with every run of white space (including non-breaking spaces) one space."""
    return _SPACES.sub(" ", text.replace("\u00a0", " ")).strip()


_INT = re.compile(r"\d+")
# Thousands separators as typed: 1,234,567 or the Indian 12,34,567.
_GROUPED_INT = re.compile(r"\d{1,3}(?:,\d{2,3})+")


def parse_count(text: str) -> int | None:
    """A vote count as typed ('1234', ' 1,234 ', '12,34,567'), or None when it is not one."""
    s = text.strip().replace(" ", "")
    if _INT.fullmatch(s):
        return int(s)
    if _GROUPED_INT.fullmatch(s):
        return int(s.replace(",", ""))
    return None
