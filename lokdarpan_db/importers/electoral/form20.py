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
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..safety import cut_message, cut_short
from ._common import ElectoralFileError, Problem, parse_count, read_text, refuse, squeeze
from .eci_lists import Candidate, CandidateList, Party, PartyList, read_candidates, read_parties
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
SummaryKind = Literal["page_total", "recorded_at_stations", "postal", "polled"]
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


@dataclass(frozen=True)
class SummaryRow:
    """A totals row of the file as stated: a page Total, recorded at stations, postal, polled."""

    kind: SummaryKind
    line: int
    label: str
    votes: list[int | None]
    total_valid: int | None
    rejected: int | None
    nota: int | None
    total: int | None
    tendered: int | None


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
    body: list[tuple[int, list[str]]]
    serial_column: int
    candidate_columns: list[int]
    candidates: list[str]
    total_columns: dict[TotalKind, int]
    constituency: str | None


def _records(path: Path, text: str) -> list[tuple[int, list[str]]]:
    cut = cut_short(text)
    if cut is not None:
        raise refuse(path, cut[0], cut_message(cut[1]))
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for cells in reader:
            out.append((end + 1, [c.strip() for c in cells]))
            end = reader.line_num
    except csv.Error as exc:
        raise refuse(path, reader.line_num, f"not valid CSV ({exc})") from None
    width = max((len(c) for _, c in out), default=0)
    last = next(((n, c) for n, c in reversed(out) if any(c)), None)
    if last is not None and len(last[1]) < width and sum(parse_count(c) is not None for c in last[1]) >= 2:
        # A row of numbers shorter than the file's rows, at the very end: the rest of it was cut.
        raise refuse(
            path,
            last[0],
            f"the last row has {len(last[1])} fields where the file's rows have {width}: the file looks "
            "cut short (an interrupted copy or download); nothing imported",
        )
    return [(n, c + [""] * (width - len(c))) for n, c in out]


def _first_filled(cells: list[str]) -> int | None:
    return next((i for i, c in enumerate(cells) if c), None)


def _looks_like_station(cells: list[str]) -> bool:
    """A serial in the first filled cell, then at least two counts and nothing but counts."""
    first = _first_filled(cells)
    if first is None or _serial(cells[first]) is None:
        return False
    rest = [c for c in cells[first + 1 :] if c]
    return len(rest) >= 2 and sum(parse_count(c) is not None for c in rest) >= 2


def _is_numbering(cells: list[str], serial_column: int) -> bool:
    values = [c for c in cells[serial_column:] if c]
    return len(values) >= 3 and values == [str(i) for i in range(1, len(values) + 1)]


def _layout(path: Path, records: list[tuple[int, list[str]]], problems: list[Problem]) -> _Layout:
    start = next((i for i, (_, cells) in enumerate(records) if _looks_like_station(cells)), None)
    if start is None:
        raise refuse(
            path, None, "no polling-station rows: no line starts with a serial number followed by vote counts"
        )
    header = [(n, cells) for n, cells in records[:start] if any(cells)]
    first_line, first_cells = records[start]
    if not header:
        raise refuse(path, first_line, "no header rows above the first polling station: candidates unnamed")
    serial_column = _first_filled(first_cells)
    assert serial_column is not None
    numbering = None
    if _is_numbering(first_cells, serial_column):
        numbering = records[start]
        start += 1
    body = records[start:]
    width = len(first_cells)

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
    stations = [cells for _, cells in body if _looks_like_station(cells)]
    has_votes = {c: any(cells[c] for cells in stations) for c in range(width)}

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
        header, numbering, body, serial_column, candidate_columns, candidates, total_columns, constituency
    )


# --- the rows ----------------------------------------------------------------------------------


def parse_form20(path: Path | str) -> Form20File:
    """Read a Form 20 CSV: find its layout, classify every line, check the arithmetic.

    Refuses a file it cannot understand (ElectoralFileError); reports everything else in
    Form20File.problems (see the module docstring for which is which).
    """
    p = Path(path)
    records = _records(p, read_text(p))
    problems: list[Problem] = []
    lay = _layout(p, records, problems)
    result = Form20File(
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
        result.notes.append(
            LineNote("numbering", lay.numbering[0], ",".join(c for c in lay.numbering[1] if c))
        )
    errors: list[Problem] = []
    for line, cells in lay.body:
        _classify(line, cells, lay, result, errors)
    if errors:
        raise ElectoralFileError(p, errors)
    if result.constituency is None:
        named = [n.text for n in result.notes if n.kind == "constituency"]
        result.constituency = named[0] if named else None
    _collapse_repeats(result)
    _check(result)
    return result


def _collapse_repeats(result: Form20File) -> None:
    """A station row typed twice (same serial, same votes, same totals) is one station."""
    first: dict[tuple[object, ...], int] = {}
    kept: list[PollingStationRow] = []
    for r in result.rows:
        key = (r.serial, tuple(r.votes), r.total_valid, r.rejected, r.nota, r.total, r.tendered)
        if key in first:
            result.collapsed.append((r.line, first[key], r.serial))
            result.problems.append(
                Problem(
                    r.line,
                    f"polling station {r.serial} repeats line {first[key]} exactly (same votes and totals): "
                    "counted once",
                )
            )
            continue
        first[key] = r.line
        kept.append(r)
    result.rows = kept


def _classify(line: int, cells: list[str], lay: _Layout, out: Form20File, errors: list[Problem]) -> None:
    first = _first_filled(cells)
    if first is None:
        return
    label = cells[first]
    serial = _serial(label) if first <= lay.serial_column else None
    if serial is not None:
        _station(line, serial, cells, lay, out, errors)
        return
    numbers = any(parse_count(c) is not None for c in cells[first + 1 :] if c)
    kind = _summary_kind(label)
    if kind is not None:
        values = _values(line, cells, lay, errors, label)
        if values is not None:
            votes, totals = values
            out.summaries.append(SummaryRow(kind, line, label, votes, *totals))
        return
    m = _CONSTITUENCY.match(label)
    if m and not numbers:
        out.notes.append(LineNote("constituency", line, squeeze(m.group(2))))
        return
    if numbers:
        errors.append(
            Problem(
                line,
                f"cannot tell what this line is: {label!r} is neither a serial nor a totals label",
                "error",
            )
        )
        return
    out.notes.append(LineNote("text", line, " ".join(c for c in cells if c)))
    out.problems.append(Problem(line, f"unrecognised text line ignored: {' '.join(c for c in cells if c)!r}"))


def _values(
    line: int, cells: list[str], lay: _Layout, errors: list[Problem], what: str
) -> tuple[list[int | None], list[int | None]] | None:
    """The counts in the candidate and totals columns; None (and errors) when one is not a count."""
    bad: list[str] = []

    def count(c: int, name: str) -> int | None:
        text = cells[c]
        if not text:
            return None
        value = parse_count(text)
        if value is None:
            bad.append(f"{name} (column {c + 1}) is {text!r}, not a vote count")
        return value

    votes = [count(c, _column_name(lay, c)) for c in lay.candidate_columns]
    totals = [count(lay.total_columns[k], k) if k in lay.total_columns else None for k in TOTAL_KINDS]
    if bad:
        errors.append(Problem(line, f"{what}: {'; '.join(bad)}", "error"))
        return None
    return votes, totals


def _column_name(lay: _Layout, column: int) -> str:
    i = lay.candidate_columns.index(column)
    return repr(lay.candidates[i]) if lay.candidates[i] else f"unnamed candidate {i + 1}"


def _station(
    line: int, serial: str, cells: list[str], lay: _Layout, out: Form20File, errors: list[Problem]
) -> None:
    empty = [_column_name(lay, c) for c in lay.candidate_columns if not cells[c]]
    if empty:
        errors.append(Problem(line, f"polling station {serial}: no votes for {', '.join(empty)}", "error"))
        return
    values = _values(line, cells, lay, errors, f"polling station {serial}")
    if values is None:
        return
    votes, totals = values
    for kind, value in zip(TOTAL_KINDS, totals, strict=True):
        if value is None and kind in lay.total_columns:
            out.problems.append(Problem(line, f"polling station {serial}: {kind} is empty"))
    out.rows.append(PollingStationRow(line, serial, [v for v in votes if v is not None], *totals))


# --- the checks --------------------------------------------------------------------------------


def _decide_nota(result: Form20File) -> None:
    if not result.has_nota:
        return
    inside = outside = 0
    for r in result.rows:
        if r.nota and r.total_valid is not None:
            s = sum(r.votes)
            inside += s + r.nota == r.total_valid
            outside += s == r.total_valid
    nota_column = result.total_columns["nota"]
    valid_column = result.total_columns.get("total_valid")
    if inside != outside:
        result.nota_counted_in = "total_valid" if inside > outside else "total"
    else:  # no evidence: NOTA left of total valid is taken to be part of it
        result.nota_counted_in = (
            "total_valid" if valid_column is not None and nota_column < valid_column else "total"
        )


def _check(result: Form20File) -> None:
    _decide_nota(result)
    warn = result.problems.append
    nota_in_valid = result.nota_counted_in == "total_valid"
    nota_in_total = result.nota_counted_in == "total"
    for r in result.rows:
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
                    )
                )
        if (
            r.total is not None
            and r.total_valid is not None
            and (r.rejected is not None or "rejected" not in result.total_columns)
        ):
            expected = r.total_valid + (r.rejected or 0) + (nota if nota_in_total else 0)
            if expected != r.total:
                what = "total valid + rejected" + (" + NOTA" if nota_in_total else "")
                warn(Problem(r.line, f"polling station {r.serial}: {what} = {expected}, Total is {r.total}"))
    _check_serials(result)
    _check_summaries(result)


def _check_serials(result: Form20File) -> None:
    first: dict[str, int] = {}
    for r in result.rows:
        if r.serial in first:
            result.problems.append(
                Problem(
                    r.line,
                    f"polling station {r.serial} again (first on line {first[r.serial]}), with other votes",
                )
            )
        else:
            first[r.serial] = r.line
    numbers = {int(s) for s in first if s.isdigit()}  # 12A is an auxiliary station: 12 should exist too
    if numbers:
        missing = sorted(set(range(1, max(numbers) + 1)) - numbers)
        if missing:
            shown = ", ".join(str(n) for n in missing[:20]) + (" ..." if len(missing) > 20 else "")
            result.problems.append(
                Problem(
                    None, f"polling stations 1-{max(numbers)}: no row for {len(missing)} serial(s): {shown}"
                )
            )


def _columns(result: Form20File) -> list[str]:
    names = [n or f"unnamed candidate {i + 1}" for i, n in enumerate(result.candidates)]
    return names + [k for k in TOTAL_KINDS if k in result.total_columns]


def _vector(result: Form20File, row: PollingStationRow | SummaryRow) -> list[int | None]:
    totals = [getattr(row, k) for k in TOTAL_KINDS if k in result.total_columns]
    return [*row.votes, *totals]


def _sum(result: Form20File, rows: Iterable[PollingStationRow]) -> list[int]:
    width = len(result.candidates) + len(result.total_columns)
    sums = [0] * width
    for r in rows:
        for i, v in enumerate(_vector(result, r)):
            sums[i] += v or 0
    return sums


def _differences(result: Form20File, stated: list[int | None], computed: list[int]) -> list[str]:
    return [
        f"{name} {s} vs {c}"
        for name, s, c in zip(_columns(result), stated, computed, strict=True)
        if s is not None and s != c
    ]


def _check_summaries(result: Form20File) -> None:
    warn = result.problems.append
    since = 0  # index into result.rows of the first station after the previous page Total
    for s in result.summaries:
        if s.kind != "page_total":
            continue
        page = [r for r in result.rows[since:] if r.line < s.line]
        since += len(page)
        if not page:
            warn(Problem(s.line, "page Total with no polling station above it since the previous one"))
            continue
        diff = _differences(result, _vector(result, s), _sum(result, page))
        if diff:
            warn(
                Problem(
                    s.line,
                    f"page Total differs from the sum of the {len(page)} polling stations on lines "
                    f"{page[0].line}-{page[-1].line} (stated vs sum): {', '.join(diff)}",
                )
            )
    everything = _sum(result, result.rows)
    for s in result.summaries_of("recorded_at_stations"):
        diff = _differences(result, _vector(result, s), everything)
        if diff:
            warn(
                Problem(
                    s.line,
                    f"votes recorded at polling stations differ from the sum of all {len(result.rows)} "
                    f"stations (stated vs sum): {', '.join(diff)}",
                )
            )
    postal = result.summaries_of("postal")
    postal_values = [v or 0 for v in _vector(result, postal[0])] if postal else [0] * len(everything)
    for s in result.summaries_of("polled"):
        expected = [a + b for a, b in zip(everything, postal_values, strict=True)]
        diff = _differences(result, _vector(result, s), expected)
        if diff:
            warn(
                Problem(
                    s.line,
                    f"votes polled differ from all stations + postal ballots (stated vs sum): "
                    f"{', '.join(diff)}",
                )
            )
