"""Form 20: polling-station-wise results, typed by hand from PDFs into CSV; each file differs.

Layout found, not assumed. The header is the rows above the first polling-station row (one,
two or three rows; a numbering row `1,2,3,...` under it is skipped). The serial column is where
the first station row's serial stands (it may be preceded by an empty column). The totals columns
are named by their header, whatever the wording: "tender" -> tendered, "reject" -> rejected,
"NOTA" / "None of the above" -> nota, "valid" -> total_valid, "total" -> total. Header cells that
label the group ("No. of valid votes cast in favour of") and a constituency label ("03-BHUJ")
are not names. The candidate columns are those between the serial column and the totals; a
candidate's header is the column's header cells joined with a space (names split across rows).
A header fragment above a column with no votes at all is a name split across cells and is joined
to the name on its left; a column with votes and no name is kept with an empty name. Both are
reported.

Every line after the header is classified, case-, spacing- and punctuation-blind: a polling
station (serial `1`, `12A`, `12 A`; kept as `12A`), a page `Total`, the "Total No. of votes
recorded at polling stations" row, the postal-ballot row, the "Total Votes Polled" row, a line
naming the constituency (`01-ABADASA`, with a page number in front: `12 01-ABADASA`), a blank.

NOTA and the totals. In all seven real files (data/electoral/form20-gujarat-ls2014) NOTA is a
column after "rejected": the candidates' votes sum to the total valid votes, which therefore do
*not* include NOTA, and Total = total valid + rejected + NOTA; tendered votes are outside Total.
The parser does not assume this: with a NOTA column it counts, over the station rows, which
reading (NOTA inside total valid, or only inside Total) the arithmetic bears out and checks every
row against that reading (Form20File.nota_counted_in).

What the real files hold (2014 Lok Sabha, Gujarat; all have NOTA, two header rows):
AC001 329 stations, 5 candidates, serial in column 2 after an empty one, a numbering row, 47 page
Totals, the three final rows (which agree with the stations), 13 page footers `N 01-ABADASA`;
serial 232 twice, no 234. AC002 278 stations, no totals rows. AC003 253 stations, `03-BHUJ` in a
header cell; 164 twice. AC004 234 stations, 16 page Totals; 135 twice. AC005 258 stations,
numbering row, 17 page Totals. AC006 250 stations, numbering row, 35 page Totals; 232 twice, no
106 and no 234; the page Total on line 130 exceeds the six stations above it (107-112) by 381
valid votes: station 106, which belongs to that page, was not typed. AC007 281 stations, 14
candidates (as many names as columns; its PC has 14 candidates and NOTA). Every station row's
own arithmetic is right in all seven. Where a serial appears twice the two rows differ and the
page Totals count both: a mistyped serial, not a row typed twice, so both rows are kept. A row that
repeats an earlier one exactly (same serial, same votes, same totals) is a row typed or pasted
twice: it is dropped from Form20File.rows (one station), listed in Form20File.collapsed and
reported.

A file cut short is refused: a last line without a line end (the other lines have one), or a last
row of numbers with fewer fields than the file's rows.

PDF page furniture (issue 21; form20_furniture.py): a page footer merged into a numeric cell
(`7 Page 10`, `7 Page: 10`, `7 Page 10 of 12`) is taken as its leading number when the row's sums
prove it (a station: a sum it takes part in holds; a totals row: it equals the sum it states) and
warned with the line; otherwise the file is refused naming the line. Rows after the last station
with no serial and no label (a grand total, a row of zeros, the total again) are checked against
the stations' column sums (or all zero), reported and not loaded; one that matches neither, or
one followed by more stations, is refused. A warning given on many stations ("rejected is
empty") is one line with the count and the line ranges: "rejected is empty on 240 lines (12-251)".

Errors and warnings. A file is refused (ElectoralFileError, a BadInputError naming file, line and
reason; every error is collected first, and `.problems` holds them all) when it cannot be
understood: not readable as UTF-8 CSV, no header above the first station, no polling-station
rows (no serial column), no candidate columns, a vote cell of a station that is empty or not a
whole number, a non-numeric cell in a totals row, a line with numbers that is none of the kinds
above. Everything else is a warning in Form20File.problems and the file loads: arithmetic that
does not add up (a station's candidates vs its total valid, total valid + rejected (+ NOTA) vs
Total, a page Total vs the stations since the previous page Total, the final rows vs all
stations), a repeated or missing serial, an empty totals cell, a nameless candidate column, a
joined name fragment, an unrecognised text-only line. Real files have such defects (AC006 above):
they are the data's, reported with the line, not the parser's to fix.
"""

from __future__ import annotations

import csv
import re
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar, Literal

from ..safety import cut_message
from ._common import (
    MAX_LISTED,
    ElectoralFileError,
    LineRuns,
    Problem,
    open_text,
    parse_count,
    refuse,
    scan_text,
    squeeze,
)
from .eci_lists import Candidate, CandidateList, Party, PartyList, read_candidates, read_parties
from .form20_furniture import Footer, split_footer, station_sums, taken, unproven, verdict
from .names import name_key, normalise_name

__all__ = [
    "TOTAL_KINDS",
    "Candidate",
    "CandidateList",
    "Form20File",
    "LineNote",
    "Party",
    "PartyList",
    "PollingStationRow",
    "SummaryRow",
    "name_key",
    "normalise_name",
    "parse_form20",
    "read_candidates",
    "read_parties",
]

TotalKind = Literal["total_valid", "rejected", "nota", "total", "tendered"]
TOTAL_KINDS: tuple[TotalKind, ...] = ("total_valid", "rejected", "nota", "total", "tendered")
SummaryKind = Literal["page_total", "recorded_at_stations", "postal", "polled", "unlabelled"]
NoteKind = Literal["numbering", "constituency", "text"]


@dataclass(frozen=True)
class PollingStationRow:
    """One polling station: votes per candidate column (in Form20File.candidates order)."""

    line: int
    serial: str
    votes: list[int]
    total_valid: int | None
    rejected: int | None
    nota: int | None
    total: int | None
    tendered: int | None
    occurrence: int = 1  # 2 for the second row of its serial that differs from the first, ...
    first_line: int = 0  # the line of the first row of its serial (its own line when occurrence is 1)
    footers: tuple[Footer, ...] = ()  # cells with a page footer merged in (their counts proven)


@dataclass(frozen=True)
class SummaryRow:
    """A totals row of the file as stated: a page Total, recorded at stations, postal, polled, or
    a row with no serial and no label at the end (unlabelled: a grand total or a row of zeros)."""

    kind: SummaryKind
    line: int
    label: str
    votes: list[int | None]
    total_valid: int | None
    rejected: int | None
    nota: int | None
    total: int | None
    tendered: int | None
    footers: tuple[Footer, ...] = ()


@dataclass(frozen=True)
class LineNote:
    """A line that is neither a station nor a totals row: numbering row, constituency, text."""

    kind: NoteKind
    line: int
    text: str


@dataclass
class Form20File:
    """A Form 20 file as understood: its layout, its rows, and every warning."""

    path: Path
    header_lines: list[int]
    serial_column: int
    candidate_columns: list[int]
    candidates: list[str]
    total_columns: dict[TotalKind, int]
    nota_counted_in: Literal["total_valid", "total"] | None
    constituency: str | None
    rows: list[PollingStationRow] = field(default_factory=list)
    summaries: list[SummaryRow] = field(default_factory=list)
    notes: list[LineNote] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # (line, first line, serial) of each station row that repeats an earlier one exactly: not in rows
    collapsed: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def header_rows(self) -> int:
        return len(self.header_lines)

    @property
    def has_nota(self) -> bool:
        return "nota" in self.total_columns

    def summaries_of(self, kind: SummaryKind) -> list[SummaryRow]:
        return [s for s in self.summaries if s.kind == kind]


# --- recognising cells -------------------------------------------------------------------------

_SERIAL = re.compile(r"^(\d{1,4})\s?-?\s?([A-Za-z]?)$")
_CONSTITUENCY = re.compile(r"^(?:(\d{1,3})\s+)?(\d{1,3}\s*-\s*[^\W\d_][^,]*)$")


def _words(text: str) -> str:
    """Lower case, punctuation as spaces, spaces collapsed: the form labels are compared in."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


def _total_kind(header: str) -> TotalKind | None:
    w = _words(header)
    if "tender" in w:
        return "tendered"
    if "reject" in w:
        return "rejected"
    if re.search(r"\bnota\b|\bn o t a\b|none of the above", w):
        return "nota"
    if "valid" in w:
        return "total_valid"
    if re.search(r"\btotal\b", w):
        return "total"
    return None


def _is_group_label(cell: str) -> bool:
    w = _words(cell)
    return "favour" in w or "votes cast" in w


def _summary_kind(label: str) -> SummaryKind | None:
    w = _words(label)
    if "postal" in w:
        return "postal"
    if "recorded" in w or ("polling station" in w and "total" in w):
        return "recorded_at_stations"
    if "polled" in w or w == "grand total":
        return "polled"
    if re.fullmatch(r"(page |sub ?)?total( votes)?", w):
        return "page_total"
    return None


def _serial(cell: str) -> str | None:
    m = _SERIAL.match(cell.strip())
    return None if m is None else m.group(1).lstrip("0").rjust(1, "0") + m.group(2).upper()


# --- the layout --------------------------------------------------------------------------------


@dataclass
class _Layout:
    header: list[tuple[int, list[str]]]
    numbering: tuple[int, list[str]] | None
    body_from: int  # records before this index are the header (and the numbering row)
    width: int
    serial_column: int
    candidate_columns: list[int]
    candidates: list[str]
    total_columns: dict[TotalKind, int]
    constituency: str | None


def _records(path: Path, fh: Any) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, stripped cells) of every record, read as they come."""
    reader = csv.reader(fh)
    end = 0
    try:
        for cells in reader:
            yield end + 1, list(map(str.strip, cells))
            end = reader.line_num
    except csv.Error as exc:
        raise refuse(path, reader.line_num, f"not valid CSV ({exc})") from None


# Non-empty lines above the first polling station beyond which a file is not a Form 20 (real
# files have one to three header rows): the header is held in memory, so it is bounded.
MAX_HEADER_LINES = 200


def _scan(path: Path, problems: list[Problem]) -> _Layout:
    """The first pass over the file: its width, header, first station and the columns with votes."""
    width = 0
    header: list[tuple[int, list[str]]] = []
    start: int | None = None
    first: tuple[int, list[str]] | None = None
    numbering: tuple[int, list[str]] | None = None
    has_votes: set[int] = set()
    last: tuple[int, list[str]] | None = None
    with open_text(path) as fh:
        for i, (line, cells) in enumerate(_records(path, fh)):
            width = max(width, len(cells))
            if any(cells):
                last = (line, cells)
            if start is None:
                if not _looks_like_station(cells):
                    if any(cells):
                        if len(header) >= MAX_HEADER_LINES:
                            raise refuse(
                                path,
                                line,
                                f"more than {MAX_HEADER_LINES} lines above the first polling station "
                                "(a serial number followed by vote counts): not a Form 20 file",
                            )
                        header.append((line, cells))
                    continue
                start, first = i, (line, cells)
                serial_column = _first_filled(cells)
                assert serial_column is not None
                if _is_numbering(cells, serial_column):
                    numbering = first
                    continue
            if _looks_like_station(cells):
                has_votes.update(compress(range(len(cells)), cells))
    if start is None or first is None:
        raise refuse(
            path, None, "no polling-station rows: no line starts with a serial number followed by vote counts"
        )
    if last is not None and len(last[1]) < width and sum(parse_count(c) is not None for c in last[1]) >= 2:
        # A row of numbers shorter than the file's rows, at the very end: the rest of it was cut.
        raise refuse(
            path,
            last[0],
            f"the last row has {len(last[1])} fields where the file's rows have {width}: the file looks "
            "cut short (an interrupted copy or download); nothing imported",
        )
    pad = lambda cells: cells + [""] * (width - len(cells))  # noqa: E731
    if not header:
        raise refuse(path, first[0], "no header rows above the first polling station: candidates unnamed")
    return _layout(
        path,
        [(n, pad(c)) for n, c in header],
        (first[0], pad(first[1])),
        None if numbering is None else (numbering[0], pad(numbering[1])),
        start + (1 if numbering else 0),
        width,
        has_votes,
        problems,
    )


def _first_filled(cells: list[str]) -> int | None:
    if cells and cells[0]:  # the serial column is usually the first
        return 0
    return next((i for i, c in enumerate(cells) if c), None)


def _looks_like_station(cells: list[str]) -> bool:
    """A serial in the first filled cell, then at least two counts and nothing but counts."""
    first = _first_filled(cells)
    if first is None or _serial(cells[first]) is None:
        return False
    rest = [c for c in cells[first + 1 :] if c]
    if len(rest) < 2:
        return False
    joined = "".join(rest)
    if joined.isdigit() and joined.isascii():  # all plain counts: the common case, no parsing
        return True
    return sum(parse_count(c) is not None for c in rest) >= 2


def _is_numbering(cells: list[str], serial_column: int) -> bool:
    values = [c for c in cells[serial_column:] if c]
    return len(values) >= 3 and values == [str(i) for i in range(1, len(values) + 1)]


def _layout(
    path: Path,
    header: list[tuple[int, list[str]]],
    first: tuple[int, list[str]],
    numbering: tuple[int, list[str]] | None,
    body_from: int,
    width: int,
    votes_in: set[int],
    problems: list[Problem],
) -> _Layout:
    first_cells = first[1]
    serial_column = _first_filled(first_cells)
    assert serial_column is not None

    # Header cells by column, without group labels and constituency labels.
    constituency = None
    by_column: dict[int, list[str]] = {c: [] for c in range(width)}
    for _, cells in header:
        for c, cell in enumerate(cells):
            if not cell:
                continue
            m = _CONSTITUENCY.match(cell)
            if m and c > serial_column and _total_kind(cell) is None:
                constituency = constituency or squeeze(m.group(2))
            elif c > serial_column and not _is_group_label(cell):
                by_column[c].append(squeeze(cell))
    total_columns: dict[TotalKind, int] = {}
    for c in range(serial_column + 1, width):
        kind = _total_kind(" ".join(by_column[c]))
        if kind is None:
            continue
        if kind in total_columns:
            problems.append(
                Problem(
                    header[0][0],
                    f"two {kind} columns ({total_columns[kind] + 1} and {c + 1}): using the first",
                )
            )
            continue
        total_columns[kind] = c

    non_nota = [c for k, c in total_columns.items() if k != "nota"]
    end = min(non_nota) if non_nota else width
    if not total_columns:
        problems.append(
            Problem(header[0][0], "no totals columns found in the header: totals are not checked")
        )
    has_votes = {c: c in votes_in for c in range(width)}

    candidate_columns: list[int] = []
    candidates: list[str] = []
    for c in range(serial_column + 1, end):
        if c in total_columns.values():
            continue
        name = " ".join(by_column[c])
        if has_votes[c]:
            candidate_columns.append(c)
            candidates.append(name)
            if not name:
                problems.append(
                    Problem(header[0][0], f"column {c + 1} has votes but no candidate name in the header")
                )
        elif name and candidates:
            problems.append(
                Problem(
                    header[0][0],
                    f"column {c + 1} has a header ({name!r}) but no votes: taken as the end of the name "
                    f"in column {candidate_columns[-1] + 1}",
                )
            )
            candidates[-1] = f"{candidates[-1]} {name}"
        elif name:
            problems.append(
                Problem(header[0][0], f"column {c + 1} has a header ({name!r}) but no votes: ignored")
            )
    if not candidate_columns:
        raise refuse(
            path,
            header[0][0],
            f"no candidate columns between the serial column ({serial_column + 1}) and the totals",
        )
    for c in range(end, width):
        if c not in total_columns.values() and has_votes[c]:
            problems.append(
                Problem(header[0][0], f"column {c + 1}, right of the totals, has numbers: ignored")
            )
    return _Layout(
        header,
        numbering,
        body_from,
        width,
        serial_column,
        candidate_columns,
        candidates,
        total_columns,
        constituency,
    )


# --- the rows ----------------------------------------------------------------------------------


def parse_form20(path: Path | str) -> Form20File:
    """Read a Form 20 CSV: find its layout, classify every line, check the arithmetic.

    Refuses a file it cannot understand (ElectoralFileError); reports everything else in
    Form20File.problems (see the module docstring for which is which). The rows are held in
    memory (Form20File.rows): the loader streams the file with Form20Reader instead.
    """
    reader = Form20Reader(path)
    reader.form.rows = list(reader.rows())
    return reader.form


# A serial is 1-4 digits and an optional letter: its code indexes the repeat-detection arrays.
_SERIAL_CODES = 10_000 * 27
# Distinct rows per serial told apart for "typed twice" (the loader keeps at most 3 rows of a serial).
MAX_VARIANTS = 4
# Whether NOTA is counted inside "total valid" is decided by the stations' arithmetic. Once this
# many stations agree and none disagrees, the rest of the file is not read for it (a second full
# pass was a third of the parser's time): every station's sums are then checked with the decision,
# so a later station that disagrees refuses the file, exactly as when all stations are counted (a
# file loads only when they all agree). Files whose stations disagree early are counted in full.
NOTA_EVIDENCE = 25


class _SerialTable:
    """The fixed arrays of the repeat detection (per serial code: up to MAX_VARIANTS row lines and
    digests, and how many distinct rows), about 17 MB. They are reused from pass to pass, not
    allocated for each (that cost more CPU than reading a file of 250 stations): a pass takes one
    from the pool and gives it back cleared (only the codes it touched)."""

    _pool: ClassVar[list[_SerialTable]] = []

    def __init__(self) -> None:
        self.lines = [array("l", bytes(8 * _SERIAL_CODES)) for _ in range(MAX_VARIANTS)]
        self.digests = [array("q", bytes(8 * _SERIAL_CODES)) for _ in range(MAX_VARIANTS)]
        self.found = bytearray(_SERIAL_CODES)  # distinct rows of each serial (capped at MAX_VARIANTS + 1)
        self.touched = array("l")  # the codes whose count is not 0

    @classmethod
    def take(cls) -> _SerialTable:
        return cls._pool.pop() if cls._pool else cls()

    def give_back(self) -> None:
        found = self.found
        for code in self.touched:
            found[code] = 0
        self.touched = array("l")
        if not self._pool:  # one table kept: a process reads one file at a time
            self._pool.append(self)


def _serial_code(serial: str) -> int:
    letter = serial[-1] if serial[-1].isalpha() else ""
    number = int(serial[: len(serial) - len(letter)])
    return number * 27 + (ord(letter) - 64 if letter else 0)


class Form20Reader:
    """A Form 20 file read as a stream, in three passes over its bytes and never whole.

    Opening it finds the layout (a first pass: header, width, the columns with votes) and, when the
    file has NOTA and total valid columns, which reading of NOTA the stations bear out (a second
    pass). rows() then yields each polling station as it is read, each identical repeat dropped,
    with every check done on the way or at the end with bounded state: per serial at most
    MAX_VARIANTS row digests and first lines (in fixed arrays over the 270,000 possible serials),
    the page's and the file's running sums, at most MAX_LISTED problems, notes, summaries and
    collapsed rows listed (the rest counted). `form` is the Form20File without rows; its problems
    are complete once rows() is exhausted; errors raise then (ElectoralFileError).
    """

    def __init__(self, path: Path | str) -> None:
        p = self.path = Path(path)
        scan = scan_text(p)
        if scan.cut is not None:
            raise refuse(p, scan.cut[0], cut_message(scan.cut[1]))
        self.size = scan.size
        problems: list[Problem] = []
        self.lay = lay = _scan(p, problems)
        self.form = Form20File(
            path=p,
            header_lines=[n for n, _ in lay.header],
            serial_column=lay.serial_column,
            candidate_columns=lay.candidate_columns,
            candidates=lay.candidates,
            total_columns=lay.total_columns,
            nota_counted_in=None,
            constituency=lay.constituency,
            problems=problems,
        )
        if lay.numbering:
            self.form.notes.append(
                LineNote("numbering", lay.numbering[0], ",".join(c for c in lay.numbering[1] if c))
            )
        self.omitted = 0  # problems, notes, summaries or collapsed rows not listed
        self.stations = 0
        self.collapsed = 0
        self._fh: Any = None
        self._decide_nota()

    @property
    def position(self) -> int:
        """Bytes read so far by rows() (for a progress bar over self.size)."""
        return self._fh.buffer.tell() if self._fh is not None and not self._fh.closed else self.size

    def _list(self, items: list, item: Any) -> None:
        if len(items) < MAX_LISTED:
            items.append(item)
        else:
            self.omitted += 1

    def _body(self) -> Iterator[tuple[int, list[str]]]:
        width, body_from = self.lay.width, self.lay.body_from
        with open_text(self.path) as fh:
            self._fh = fh
            for i, (line, cells) in enumerate(_records(self.path, fh)):
                if i >= body_from:
                    yield line, cells + [""] * (width - len(cells))

    def _stations(self, out: Form20File, errors: list[Problem]) -> Iterator[PollingStationRow]:
        """Each station row of the body not identical to an earlier one, with its occurrence (1 for
        the first row of its serial, 2 for a second, different row ...); every other line is
        classified into `out` (summaries, notes, problems) and `errors`."""
        table = _SerialTable.take()
        lines, digests, found, touched = table.lines, table.digests, table.found, table.touched
        self._errors = errors
        try:
            yield from self._station_rows_of(out, errors, lines, digests, found, touched)
            self._serials = sorted({code // 27 for code in touched if code % 27 == 0})
        finally:
            table.give_back()

    def _station_rows_of(
        self,
        out: Form20File,
        errors: list[Problem],
        lines: list[array],
        digests: list[array],
        found: bytearray,
        touched: array,
    ) -> Iterator[PollingStationRow]:
        for line, cells in self._body():
            row = _classify(line, cells, self.lay, out, errors, self)
            if row is None:
                continue
            code = _serial_code(row.serial)
            digest = hash(
                (tuple(row.votes), row.total_valid, row.rejected, row.nota, row.total, row.tendered)
            )
            n = found[code]
            if not n:
                touched.append(code)
            first = (  # the first row of its serial (the common case) repeats nothing
                next((k for k in range(min(n, MAX_VARIANTS)) if digests[k][code] == digest), None)
                if n
                else None
            )
            if first is not None:
                yield _Repeat(row, lines[first][code])  # type: ignore[misc]
                continue
            if n < MAX_VARIANTS:
                lines[n][code], digests[n][code] = line, digest
            if n <= MAX_VARIANTS:
                found[code] = n + 1
            yield PollingStationRow(
                row.line, row.serial, row.votes, row.total_valid, row.rejected, row.nota, row.total,
                row.tendered, occurrence=n + 1, first_line=lines[0][code] if n else line,
                footers=row.footers,
            )

    def _decide_nota(self) -> None:
        """The second pass, when it matters: does the arithmetic show NOTA inside total valid?"""
        result = self.form
        if not result.has_nota:
            return
        nota_column = result.total_columns["nota"]
        valid_column = result.total_columns.get("total_valid")
        inside = outside = 0
        self._reset_sums()
        if valid_column is not None:
            scratch = Form20File(result.path, [], 0, [], [], {}, None, None)
            keep, self._list = self._list, lambda items, item: None  # type: ignore[method-assign]
            try:
                for r in self._stations(scratch, []):
                    if isinstance(r, _Repeat) or not r.nota or r.total_valid is None:
                        continue
                    total = sum(r.votes)
                    inside += total + r.nota == r.total_valid
                    outside += total == r.total_valid
                    if inside + outside >= NOTA_EVIDENCE and not (inside and outside):
                        break  # decided: every station's sums are checked with it (see NOTA_EVIDENCE)
            finally:
                self._list = keep  # type: ignore[method-assign]
        if inside != outside:
            result.nota_counted_in = "total_valid" if inside > outside else "total"
        else:  # no evidence: NOTA left of total valid is taken to be part of it
            result.nota_counted_in = (
                "total_valid" if valid_column is not None and nota_column < valid_column else "total"
            )

    def rows(self) -> Iterator[PollingStationRow]:
        """The polling stations, in file order, an identical repeat of a row dropped (and listed in
        form.collapsed); raises ElectoralFileError at the end when a line could not be understood."""
        result = self.form
        errors: list[Problem] = []
        warn = self._warn
        self._reset_sums()
        nota_in_valid = result.nota_counted_in == "total_valid"
        nota_in_total = result.nota_counted_in == "total"
        for r in self._stations(result, errors):
            if isinstance(r, _Repeat):
                self.collapsed += 1
                self._list(result.collapsed, (r.row.line, r.first, r.row.serial))
                warn(
                    Problem(
                        r.row.line,
                        f"polling station {r.row.serial} repeats line {r.first} exactly (same votes and "
                        "totals): counted once",
                    ),
                    "collapse",
                )
                continue
            if self._pending:
                for u in self._pending:
                    self._error(
                        errors,
                        Problem(
                            u.line,
                            "cannot tell what this line is: a row of numbers without serial or label, "
                            "and polling stations follow it",
                            "error",
                        ),
                    )
                self._pending = []
            if r.footers and not self._station_footers(r, errors, nota_in_valid):
                continue
            self.stations += 1
            if r.occurrence > 1:
                warn(
                    Problem(
                        r.line,
                        f"polling station {r.serial} again (first on line {r.first_line}), with other votes",
                    ),
                    "again",
                )
            nota = r.nota or 0
            if r.total_valid is not None:
                expected = sum(r.votes) + (nota if nota_in_valid else 0)
                if expected != r.total_valid:
                    what = "candidates' votes + NOTA" if nota_in_valid else "candidates' votes"
                    warn(
                        Problem(
                            r.line,
                            f"polling station {r.serial}: {what} sum to {expected}, "
                            f"total valid is {r.total_valid}",
                        ),
                        "arithmetic",
                    )
            if (
                r.total is not None
                and r.total_valid is not None
                and (r.rejected is not None or "rejected" not in result.total_columns)
            ):
                expected = r.total_valid + (r.rejected or 0) + (nota if nota_in_total else 0)
                if expected != r.total:
                    what = "total valid + rejected" + (" + NOTA" if nota_in_total else "")
                    warn(
                        Problem(
                            r.line, f"polling station {r.serial}: {what} = {expected}, Total is {r.total}"
                        ),
                        "arithmetic",
                    )
            self._add(r)
            yield r
        self._check_unlabelled(errors)
        self._check_finals()
        if errors or self.omitted_errors:
            errors.sort(key=lambda e: e.line or 0)
            raise ElectoralFileError(self.path, errors, self.omitted_errors)
        if result.constituency is None:
            result.constituency = self.first_constituency
        w = self._warnings
        for what, (runs, single) in self._tallies.items():
            result.problems.append(Problem(runs.first_line, single) if runs.count == 1 else Problem(
                None, runs.text(what)))
        result.problems.extend([*w["collapse"], *w["arithmetic"], *w["again"]])
        self._check_serials()
        result.problems.extend([*w["totals"], *w["finals"]])
        if self.omitted:
            result.problems.append(
                Problem(None, f"and {self.omitted:,} more problems, notes or repeated rows not listed")
            )

    def _warn(self, problem: Problem, kind: str = "line") -> None:
        """A warning, kept in its kind's list: form.problems lists the kinds in a fixed order (the
        lines' own, repeated rows, arithmetic, repeated serials, missing serials, totals rows)."""
        self._list(self.form.problems if kind == "line" else self._warnings[kind], problem)

    def _reset_sums(self) -> None:
        width = len(self.form.candidates) + len(self.form.total_columns)
        self._page = [0] * width
        self._page_rows = self._page_first = self._page_last = 0
        self._everything = [0] * width
        self._finals: list[SummaryRow] = []
        self.first_constituency: str | None = None
        self.omitted_errors = 0
        self._warnings: dict[str, list[Problem]] = {
            "collapse": [], "arithmetic": [], "again": [], "totals": [], "finals": []
        }
        self._tallies: dict[str, tuple[LineRuns, str]] = {}
        self._station_rows = 0  # station lines met (for the runs of a repeated warning)
        self._pending: list[SummaryRow] = []  # rows without serial or label since the last station

    def _add(self, r: PollingStationRow) -> None:
        vector = _vector(self.form, r)
        self._page = [a + (v or 0) for a, v in zip(self._page, vector, strict=True)]
        self._everything = [a + (v or 0) for a, v in zip(self._everything, vector, strict=True)]
        self._page_rows += 1
        self._page_first = self._page_first or r.line
        self._page_last = r.line

    def _error(self, errors: list[Problem], problem: Problem) -> None:
        if len(errors) < MAX_LISTED:
            errors.append(problem)
        else:
            self.omitted_errors += 1

    def _tally(self, what: str, line: int, single: str) -> None:
        """A warning given on many station rows: one line at the end, with the count and the line
        ranges (`single`, the warning as one row's, when it was given once)."""
        runs = self._tallies.get(what)
        if runs is None:
            runs = self._tallies[what] = (LineRuns(), single)
        runs[0].add(line, self._station_rows)

    def _station_footers(self, r: PollingStationRow, errors: list[Problem], nota_in_valid: bool) -> bool:
        """Whether the station's sums prove the counts in front of its page footers (warned, taken);
        else an error for each footer not proven."""
        form = self.form
        kinds = [k for k in TOTAL_KINDS if k in form.total_columns]
        sums = station_sums(
            r.votes, r.total_valid, r.rejected, r.nota, r.total,
            n_candidates=len(form.candidates),
            slots={k: len(form.candidates) + i for i, k in enumerate(kinds)},
            nota_in_valid=nota_in_valid,
            has_rejected="rejected" in form.total_columns,
        )
        where = f"polling station {r.serial}"
        bad = [(f, why) for f in r.footers if (why := verdict(f, sums)) is not None]
        for f, why in bad:
            self._error(errors, Problem(r.line, unproven(where, f, why), "error"))
        if bad:
            return False
        for f in r.footers:
            self._warn(Problem(r.line, taken(where, f, "the station's sums hold with it")))
        return True

    def _summary_footers(
        self, s: SummaryRow, computed: list[int], what: str, kind: str = "line"
    ) -> set[int]:
        """A totals row's page footers: a leading count equal to `computed` is taken (warned), one
        that is not refuses the file; a footer alone is ignored (warned). The slots refused."""
        bad: set[int] = set()
        where = "row without serial or label" if s.kind == "unlabelled" else s.label
        for f in s.footers:
            if f.count is None:
                self._warn(Problem(s.line, f"{where}: {f.name} is {f.text!r}: a page footer, ignored"), kind)
            elif f.count == computed[f.slot]:
                self._warn(Problem(s.line, taken(where, f, f"it is the sum of {what}")), kind)
            else:
                bad.add(f.slot)
                self._error(
                    self._errors,
                    Problem(s.line, unproven(where, f, f"the sum of {what} is {computed[f.slot]}"), "error"),
                )
        return bad

    def _unlabelled(self, s: SummaryRow) -> None:
        """A row without serial or label: checked at the end (or refused when stations follow)."""
        self._list(self._pending, s)

    def _check_unlabelled(self, errors: list[Problem]) -> None:
        """The rows without serial or label after the last station: the sums of all stations (a
        grand total; with the postal ballots, the votes polled) or all zero, reported and not
        loaded; any other is refused."""
        result, everything = self.form, self._everything
        postal = [f for f in self._finals if f.kind == "postal"]
        polled = (
            [a + (b or 0) for a, b in zip(everything, _vector(result, postal[0]), strict=True)]
            if postal
            else None
        )
        n = self.stations
        for s in self._pending:
            stated = _vector(result, s)
            if all(v in (None, 0) for v in stated):
                self._warn(
                    Problem(s.line, "a row without serial or label, all zeros: ignored (not loaded)"),
                    "finals",
                )
                continue
            diff = _differences(result, stated, everything)
            if not diff:
                self._summary_footers(s, everything, f"all {n} stations", "finals")
                self._warn(
                    Problem(
                        s.line,
                        f"a row without serial or label equals the sums of all {n} polling stations: "
                        "a grand total, checked and not loaded",
                    ),
                    "finals",
                )
            elif polled is not None and not _differences(result, stated, polled):
                self._summary_footers(s, polled, "all stations + postal ballots", "finals")
                self._warn(
                    Problem(
                        s.line,
                        f"a row without serial or label equals the sums of all {n} polling stations "
                        "and the postal ballots: the votes polled, checked and not loaded",
                    ),
                    "finals",
                )
            else:
                self._error(
                    errors,
                    Problem(
                        s.line,
                        "cannot tell what this line is: a row of numbers without serial or label that "
                        f"is neither the sums of all {n} polling stations (stated vs sum: "
                        f"{', '.join(diff)}) nor all zero",
                        "error",
                    ),
                )
        self._pending = []

    def _summary(self, s: SummaryRow) -> None:
        """A totals row met in the file: a page Total is checked against the stations since the
        previous one now; the others are kept for the end."""
        self._list(self.form.summaries, s)
        if s.kind != "page_total":
            self._list(self._finals, s)
            return
        n, page = self._page_rows, self._page
        first, last = self._page_first, self._page_last
        self._page = [0] * len(page)
        self._page_rows = self._page_first = self._page_last = 0
        if not n:
            self._warn(
                Problem(s.line, "page Total with no polling station above it since the previous one"),
                "totals",
            )
            return
        bad = self._summary_footers(s, page, f"the {n} polling stations on lines {first}-{last}")
        diff = _differences(self.form, _vector(self.form, s), page, skip=bad)
        if diff:
            self._warn(
                Problem(
                    s.line,
                    f"page Total differs from the sum of the {n} polling stations on lines "
                    f"{first}-{last} (stated vs sum): {', '.join(diff)}",
                ),
                "totals",
            )

    def _check_serials(self) -> None:
        numbers = self._serials
        if numbers:
            top = max(numbers)
            have = set(numbers)
            missing = [n for n in range(1, top + 1) if n not in have]
            if missing:
                shown = ", ".join(str(n) for n in missing[:20]) + (" ..." if len(missing) > 20 else "")
                self.form.problems.append(
                    Problem(None, f"polling stations 1-{top}: no row for {len(missing)} serial(s): {shown}")
                )

    def _check_finals(self) -> None:
        result, everything, warn = self.form, self._everything, self._warnings["finals"].append
        for s in (f for f in self._finals if f.kind == "recorded_at_stations"):
            bad = self._summary_footers(s, everything, f"all {self.stations} stations", "finals")
            diff = _differences(result, _vector(result, s), everything, skip=bad)
            if diff:
                warn(
                    Problem(
                        s.line,
                        f"votes recorded at polling stations differ from the sum of all {self.stations} "
                        f"stations (stated vs sum): {', '.join(diff)}",
                    )
                )
        postal = [f for f in self._finals if f.kind == "postal"]
        postal_values = [v or 0 for v in _vector(result, postal[0])] if postal else [0] * len(everything)
        for s in (f for f in self._finals if f.kind == "polled"):
            expected = [a + b for a, b in zip(everything, postal_values, strict=True)]
            bad = self._summary_footers(s, expected, "all stations + postal ballots", "finals")
            diff = _differences(result, _vector(result, s), expected, skip=bad)
            if diff:
                warn(
                    Problem(
                        s.line,
                        f"votes polled differ from all stations + postal ballots (stated vs sum): "
                        f"{', '.join(diff)}",
                    )
                )


@dataclass(frozen=True)
class _Repeat:
    """A station row identical to the row on line `first` (same serial, votes and totals)."""

    row: PollingStationRow
    first: int


def _classify(
    line: int, cells: list[str], lay: _Layout, out: Form20File, errors: list[Problem], reader: Form20Reader
) -> PollingStationRow | None:
    """The station of a station line; any other line is noted in `out` (or an error)."""
    first = _first_filled(cells)
    if first is None:
        return None
    label = cells[first]
    serial = _serial(label) if first <= lay.serial_column else None
    if serial is not None:
        reader._station_rows += 1
        return _station(line, serial, cells, lay, out, errors, reader)
    numbers = any(parse_count(c) is not None for c in cells[first + 1 :] if c)
    kind = _summary_kind(label)
    if kind is not None:
        values = _values(line, cells, lay, errors, label, reader)
        if values is not None:
            votes, totals, footers = values
            reader._summary(SummaryRow(kind, line, label, votes, *totals, footers=footers))
        return None
    if first > lay.serial_column and all(
        parse_count(c) is not None or split_footer(c) is not None for c in cells[first:] if c
    ):
        # No serial and no label: a grand total, a row of zeros, ... (checked at the end)
        values = _values(line, cells, lay, errors, "row without serial or label", reader)
        if values is not None:
            votes, totals, footers = values
            reader._unlabelled(SummaryRow("unlabelled", line, "", votes, *totals, footers=footers))
        return None
    m = _CONSTITUENCY.match(label)
    if m and not numbers:
        note = LineNote("constituency", line, squeeze(m.group(2)))
        reader.first_constituency = reader.first_constituency or note.text
        reader._list(out.notes, note)
        return None
    if numbers:
        reader._error(
            errors,
            Problem(
                line,
                f"cannot tell what this line is: {label!r} is neither a serial nor a totals label",
                "error",
            ),
        )
        return None
    text = " ".join(c for c in cells if c)
    reader._list(out.notes, LineNote("text", line, text))
    reader._warn(Problem(line, f"unrecognised text line ignored: {text!r}"))
    return None


def _values(
    line: int, cells: list[str], lay: _Layout, errors: list[Problem], what: str, reader: Form20Reader
) -> tuple[list[int | None], list[int | None], tuple[Footer, ...]] | None:
    """The counts in the candidate and totals columns, and the cells with a page footer merged in
    (their leading counts stand in the counts, to be proven by the caller); None (and errors) when
    a cell is not a count."""
    bad: list[str] = []
    footers: list[Footer] = []

    def count(c: int, name: Callable[[], str], slot: int) -> int | None:
        text = cells[c]
        if text.isdigit() and text.isascii():  # the common case, without a regular expression
            return int(text)
        if not text:
            return None
        value = parse_count(text)
        if value is None:
            footer = split_footer(text)
            if footer is None:
                bad.append(f"{name()} (column {c + 1}) is {text!r}, not a vote count")
                return None
            value = footer[0]
            footers.append(Footer(slot, f"{name()} (column {c + 1})", text, value))
        return value

    texts = _cells_of(lay.candidate_columns, cells)
    joined = "".join(texts)
    if joined.isdigit() and joined.isascii() and all(texts):  # plain counts: what count() gives
        votes: list[int | None] = list(map(int, texts))
    else:
        votes = [
            count(c, lambda c=c: _column_name(lay, c), i)  # type: ignore[misc]
            for i, c in enumerate(lay.candidate_columns)
        ]
    columns = lay.total_columns
    totals: list[int | None] = []
    at = len(votes)  # the slot of the next totals column the file has
    for k in TOTAL_KINDS:
        c = columns.get(k)
        if c is None:
            totals.append(None)
            continue
        text = cells[c]
        if text.isdigit() and text.isascii():
            totals.append(int(text))
        else:
            totals.append(count(c, lambda k=k: k, at))  # type: ignore[misc]
        at += 1
    if bad:
        reader._error(errors, Problem(line, f"{what}: {'; '.join(bad)}", "error"))
        return None
    return votes, totals, tuple(footers)


_GETTERS: dict[tuple[int, ...], Callable[[list[str]], Any]] = {}


def _cells_of(columns: list[int], cells: list[str]) -> Sequence[str]:
    """cells[c] for each of the columns, in order (an itemgetter per set of columns: C speed)."""
    key = tuple(columns)
    getter = _GETTERS.get(key)
    if getter is None:
        if len(_GETTERS) >= 64:
            _GETTERS.clear()
        getter = _GETTERS[key] = (
            itemgetter(*key) if len(key) > 1 else (lambda cells: tuple(cells[c] for c in key))
        )
    return getter(cells)  # type: ignore[no-any-return]


def _column_name(lay: _Layout, column: int) -> str:
    i = lay.candidate_columns.index(column)
    return repr(lay.candidates[i]) if lay.candidates[i] else f"unnamed candidate {i + 1}"


def _station(
    line: int,
    serial: str,
    cells: list[str],
    lay: _Layout,
    out: Form20File,
    errors: list[Problem],
    reader: Form20Reader,
) -> PollingStationRow | None:
    empty = [] if all(_cells_of(lay.candidate_columns, cells)) else [
        _column_name(lay, c) for c in lay.candidate_columns if not cells[c]
    ]
    if empty:
        reader._error(
            errors, Problem(line, f"polling station {serial}: no votes for {', '.join(empty)}", "error")
        )
        return None
    values = _values(line, cells, lay, errors, f"polling station {serial}", reader)
    if values is None:
        return None
    votes, totals, footers = values
    bare = [f for f in footers if f.count is None]
    if bare:
        for f in bare:
            reader._error(errors, Problem(line, unproven(f"polling station {serial}", f, ""), "error"))
        return None
    for kind, value in zip(TOTAL_KINDS, totals, strict=True):
        if value is None and kind in lay.total_columns:
            reader._tally(f"{kind} is empty", line, f"polling station {serial}: {kind} is empty")
    return PollingStationRow(
        line, serial, [v for v in votes if v is not None], *totals, footers=footers
    )


def _columns(result: Form20File) -> list[str]:
    names = [n or f"unnamed candidate {i + 1}" for i, n in enumerate(result.candidates)]
    return names + [k for k in TOTAL_KINDS if k in result.total_columns]


def _vector(result: Form20File, row: PollingStationRow | SummaryRow) -> list[int | None]:
    totals = [getattr(row, k) for k in TOTAL_KINDS if k in result.total_columns]
    return [*row.votes, *totals]


def _differences(
    result: Form20File, stated: list[int | None], computed: list[int], skip: set[int] | None = None
) -> list[str]:
    """'name stated vs computed' for each column that differs (the slots in `skip` left out)."""
    return [
        f"{name} {s} vs {c}"
        for i, (name, s, c) in enumerate(zip(_columns(result), stated, computed, strict=True))
        if s is not None and s != c and not (skip and i in skip)
    ]
