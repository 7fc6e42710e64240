"""What the streaming importers share (issue 19, finding 12): memory bounded whatever the file's size.

- iter_features(raw, head): the features of a GeoJSON FeatureCollection read through an incremental
  JSON parser (ijson), one at a time; the collection's own members (type, copyright …) go to `head`.
  A syntax error is JSONSyntaxError with the line and column where the parser stopped.
- CopyBatches: rows COPYed into a staging table as they come, one COPY per `max_rows` rows or
  `max_bytes` of row text, whichever first (memory holds one batch; no statement lasts as long as
  the reading of a large file).
- text_lines(path, …): the physical lines of a text file read in bounded chunks, each checked for
  NUL bytes; tells at its end whether the last line had a line end (a cut file).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import psycopg

# Bytes the GeoJSON parser reads at a time (also how far past an error its reported place can be).
JSON_CHUNK = 16 * 1024
# Row text (geometry JSON) staged per COPY statement (the largest row may exceed it: it is one row).
STAGE_BYTES = 4 * 1024 * 1024
# Bytes a text file is read at a time.
TEXT_CHUNK = 1 << 16


class JSONSyntaxError(Exception):
    """The JSON of a file is broken at or before (line, column) (1-based)."""

    def __init__(self, line: int, column: int, reason: str) -> None:
        self.line, self.column, self.reason = line, column, reason
        super().__init__(f"{line}:{column}: {reason}")


class _Counting:
    """A binary file that counts the line breaks of what it has handed out (for a JSON error's place)."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.lines = 0  # line breaks before the last chunk handed out
        self.column = 0  # characters after the last line break, up to the end of what was read
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.lines += self._pending.count(b"\n")
        tail = self._pending.rsplit(b"\n", 1)
        self.column = len(tail[-1]) if len(tail) == 1 else len(tail[1])
        self._pending = data
        return data

    def place(self) -> tuple[int, int]:
        """(line, column) of the end of what was read: at or just after where the JSON broke."""
        lines = self.lines + self._pending.count(b"\n")
        if b"\n" in self._pending:
            return lines + 1, len(self._pending.rsplit(b"\n", 1)[1]) + 1
        return lines + 1, self.column + len(self._pending) + 1


@dataclass
class Collection:
    """What iter_features saw of the document around the features."""

    root: str | None = None  # 'dict', 'list' or the scalar's type name
    kind: Any = None  # the value of "type" (or the event of a non-scalar one)
    has_array: bool = False  # a "features" array was met
    members: dict[str, Any] = field(default_factory=dict)  # the top-level scalar members


def iter_features(raw: BinaryIO, head: Collection) -> Iterator[tuple[int, Any]]:
    """(1-based number, feature as parsed) of each item of the top-level "features" array, one at a
    time; a leading UTF-8 BOM is skipped. Raises JSONSyntaxError; a UnicodeDecodeError passes."""
    import ijson

    if raw.read(3) != b"\xef\xbb\xbf":
        raw.seek(0)
    counting = _Counting(raw)
    builder: Any = None
    index = 0
    try:
        for prefix, event, value in ijson.parse(counting, use_float=True, buf_size=JSON_CHUNK):
            if head.root is None:
                head.root = {"start_map": "dict", "start_array": "list"}.get(event, type(value).__name__)
                continue
            if head.root != "dict":
                continue
            if prefix == "features.item" or prefix.startswith("features.item."):
                if builder is None:
                    builder = ijson.ObjectBuilder()
                builder.event(event, value)
                if prefix == "features.item" and event not in ("start_map", "start_array", "map_key"):
                    index += 1
                    yield index, builder.value
                    builder = None
            elif prefix == "features" and event == "start_array":
                head.has_array = True
            elif prefix == "type" and event != "map_key":
                head.kind = value if event in ("string", "number", "boolean", "null") else event
            elif "." not in prefix and prefix and event in ("string", "number", "boolean", "null"):
                head.members[prefix] = value
    except ijson.JSONError as exc:
        line, column = counting.place()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "unexpected end"
        raise JSONSyntaxError(line, column, reason) from None


class CopyBatches:
    """COPY rows into a table as they are added: one statement per max_rows rows or max_bytes of
    the sizes given, whichever comes first. close() (or leaving the `with`) sends the rest."""

    def __init__(
        self,
        conn: psycopg.Connection,
        table: str,
        columns: Sequence[str],
        *,
        max_rows: int = 10_000,
        max_bytes: int = STAGE_BYTES,
    ) -> None:
        self.conn = conn
        self.statement = f"copy {table} ({', '.join(columns)}) from stdin"
        self.max_rows, self.max_bytes = max_rows, max_bytes
        self.batch: list[Sequence[Any]] = []
        self.held = 0
        self.rows = 0

    def add(self, row: Sequence[Any], size: int = 0) -> None:
        self.batch.append(row)
        self.rows += 1
        self.held += size
        if len(self.batch) >= self.max_rows or self.held >= self.max_bytes:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            with self.conn.cursor() as cur, cur.copy(self.statement) as c:
                for row in self.batch:
                    c.write_row(row)
        self.batch.clear()
        self.held = 0

    def close(self) -> None:
        self.flush()

    def __enter__(self) -> CopyBatches:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.flush()


@dataclass
class TextEnd:
    """Set by text_lines when the file has been read: its line count and, if cut, its last line."""

    lines: int = 0
    cut: tuple[int, str] | None = None


def text_lines(
    path: Path,
    end: TextEnd,
    *,
    on_nul: Callable[[int, int], Exception],
    on_undecodable: Callable[[int, int, str], Exception],
    chunk: int = TEXT_CHUNK,
) -> Iterator[tuple[int, str]]:
    """(1-based number, text) of each physical line of a UTF-8 file (a leading BOM dropped; the text
    keeps its line end: \\n, \\r\\n or \\r), read TEXT_CHUNK bytes at a time. A NUL byte raises
    on_nul(line, column); bytes that are not UTF-8 raise on_undecodable(line, byte offset, reason).
    Opening errors (OSError) pass. At the end, `end` holds the line count and safety.cut_short's
    verdict (a file of several lines whose last, non-blank line has no line end was cut).
    A line is held whole (a line of a CSV row; bounded by what the file's format allows)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    number = 0
    offset = 0
    pending = ""
    last = ""
    with path.open("rb") as fh:
        while True:
            data = fh.read(chunk)
            held = len(decoder.getstate()[0])  # bytes of an incomplete sequence from the last chunk
            try:
                text = decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                good = data[: max(0, exc.start - held)].decode("utf-8", "replace")
                line = number + len(_LINE.findall(pending + good)) + 1
                raise on_undecodable(line, offset - held + exc.start, exc.reason) from None
            offset += len(data)
            pending += text
            start = 0
            for match in _LINE.finditer(pending):
                if data and match.end() == len(pending) and match.group().endswith("\r"):
                    break  # a \r at the end may be the first half of a \r\n
                start = match.end()
                number += 1
                last = match.group()
                nul = last.find("\x00")
                if nul >= 0:
                    raise on_nul(number, nul + 1)
                yield number, last
            pending = pending[start:]
            if not data:
                break
    if pending:
        number += 1
        last = pending
        nul = last.find("\x00")
        if nul >= 0:
            raise on_nul(number, nul + 1)
        yield number, last
    end.lines = number
    if number >= 2 and not last.endswith(("\n", "\r")) and last.strip():
        end.cut = (number, last)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
