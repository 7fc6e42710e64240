"""Shared pieces of the electoral parsers: problems, the refusal error, reading a text file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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

    def __init__(self, path: Path | str, problems: Sequence[Problem], omitted: int = 0) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        self.omitted = omitted  # errors found but not listed (a streaming reader lists MAX_LISTED)
        super().__init__(_summary(self.path, self.problems, omitted))


def _summary(path: Path, problems: list[Problem], omitted: int = 0) -> str:
    if len(problems) == 1 and not omitted:
        return f"{path}: {problems[0]}"
    shown = "; ".join(str(p) for p in problems[:SHOWN_IN_MESSAGE])
    more = len(problems) + omitted - SHOWN_IN_MESSAGE
    tail = f"; and {more} more" if more > 0 else ""
    return f"{path}: {len(problems) + omitted} problems: {shown}{tail}"


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
    if text.isdigit() and text.isascii():
        return int(text)
    s = text.strip().replace(" ", "")
    if _INT.fullmatch(s):
        return int(s)
    if _GROUPED_INT.fullmatch(s):
        return int(s.replace(",", ""))
    return None


# --- streaming: a file is checked in one pass over its bytes, then read record by record -------

CHUNK = 1 << 20  # bytes read at a time when a file is scanned
# How many problems a streaming reader keeps (in file order); the rest are counted, not listed.
MAX_LISTED = 1000


@dataclass(frozen=True)
class TextScan:
    """What one pass over a file's bytes found: its size, its line count, and (when cut) its last line."""

    size: int
    lines: int
    cut: tuple[int, str] | None


def scan_text(path: Path | str) -> TextScan:
    """Check a file as read_text does (exists, no NUL byte, UTF-8, not blank) in chunks of CHUNK
    bytes, without holding it; also tells whether its last line lacks a line end (safety.cut_short's
    rule: a file of several lines whose last, non-blank line has no line end was cut)."""
    import codecs

    p = Path(path)
    try:
        fh = p.open("rb")
    except FileNotFoundError:
        raise refuse(p, None, "no such file") from None
    except IsADirectoryError:
        raise refuse(p, None, "is a directory, not a file") from None
    except OSError as exc:
        raise refuse(p, None, f"cannot be read ({exc.strerror})") from None
    size = 0
    breaks = 0  # line breaks: \n, \r\n, a lone \r
    carry = b""  # an incomplete UTF-8 sequence at a chunk's end
    last_byte = b""
    filled = False
    tail = b""
    with fh:
        while True:
            try:
                chunk = fh.read(CHUNK)
            except OSError as exc:
                raise refuse(p, None, f"cannot be read ({exc.strerror})") from None
            if not chunk:
                break
            nul = chunk.find(b"\x00")
            if nul >= 0:
                line = breaks + _breaks(last_byte + chunk[:nul]) - _breaks(last_byte) + 1
                raise refuse(p, line, "contains NUL bytes: not a text file")
            data = carry + chunk
            try:
                _, used = codecs.utf_8_decode(data, "strict", False)
            except UnicodeDecodeError as exc:
                offset = size - len(carry) + exc.start
                line = breaks + _breaks(last_byte + chunk[: max(0, exc.start - len(carry))]) - _breaks(
                    last_byte
                ) + 1
                reason = f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {offset})"
                raise refuse(p, line, reason) from None
            carry = data[used:]
            breaks += _breaks(last_byte + chunk) - _breaks(last_byte)
            if not filled:
                filled = bool(chunk.strip().strip(b"\xef\xbb\xbf").strip())
            size += len(chunk)
            last_byte = chunk[-1:]
            tail = (tail + chunk)[-4096:]
    if carry:
        offset = size - len(carry)
        line = breaks + 1
        raise refuse(p, line, f"not UTF-8 (byte 0x{carry[0]:02x} at offset {offset})")
    if not filled:
        raise refuse(p, None, "the file is empty")
    cut = None
    if tail and tail[-1:] not in (b"\n", b"\r") and breaks >= 1:
        last = tail.decode("utf-8", "replace").splitlines()[-1]
        if last.strip():
            cut = (breaks + 1, last)
    return TextScan(size, breaks + 1, cut)


def _breaks(data: bytes) -> int:
    """Line breaks in data: every \\n, and every \\r not followed by \\n (a \\r at the very end counts)."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def open_text(path: Path | str) -> Any:
    """The file opened for csv.reader (UTF-8, a leading BOM dropped, line ends as written);
    scan_text it first. Its `.buffer.tell()` tells how far the reading is (for progress)."""
    return Path(path).open(encoding="utf-8-sig", newline="")


# --- a warning repeated on many rows: one line with the count and the line ranges -------------

# Ranges a repeated warning shows before "and N more ranges".
SHOWN_RANGES = 10


class LineRuns:
    """The lines one warning was given on, kept as runs of consecutive rows (bounded).

    `add(line, row)` takes the file line and the row's ordinal among the rows the warning could be
    given on (polling stations): a run goes on while the ordinals are consecutive, so page Totals
    or footers between two stations do not break it. `text(what)` is one line:
    "rejected is empty on 240 lines (12-251)".
    """

    def __init__(self) -> None:
        self.count = 0
        self.runs: list[list[int]] = []  # [first line, last line]
        self.omitted_runs = 0
        self._last_row = -2

    def add(self, line: int, row: int) -> None:
        self.count += 1
        if row == self._last_row + 1 and (self.runs or self.omitted_runs):
            if not self.omitted_runs:
                self.runs[-1][1] = line
        elif len(self.runs) < MAX_LISTED:
            self.runs.append([line, line])
        else:
            self.omitted_runs += 1
        self._last_row = row

    @property
    def first_line(self) -> int | None:
        return self.runs[0][0] if self.runs else None

    def ranges(self) -> str:
        shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in self.runs[:SHOWN_RANGES]]
        more = len(self.runs) - len(shown) + self.omitted_runs
        return ", ".join(shown) + (f" and {more:,} more ranges" if more else "")

    def text(self, what: str) -> str:
        noun = "line" if self.count == 1 else "lines"
        return f"{what} on {self.count:,} {noun} ({self.ranges()})"
