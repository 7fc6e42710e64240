"""Constituency-wise election results: one row per candidate (NOTA included) per constituency.

The ECI file shipped in data/electoral/ (st_code, st_name, ac_no, ac_name, candidate, party,
evm_votes, postal_votes, total_votes, percent_votes) reads with no options. Another publisher's
file reads with a column mapping, `our field -> their header`, given as a dict or a mapping file
(read_mapping_file): fields not mapped fall back to the default header names.

Fields (FIELDS): state_code, state_name, constituency_no, constituency_name, candidate, party,
evm_votes, postal_votes, total_votes, percent_votes. Required: constituency_no,
constituency_name, candidate, party, total_votes. With constituency_type='PC' the default headers
of the constituency are pc_no / pc_name instead of ac_no / ac_name.

Matching (match_by). 'number' keys constituencies on constituency_no (one number under two names
is refused); 'name' does not read the number column at all (constituency_no is None: the loader
resolves the names against the registry, docs/electoral.md); 'auto' (the default) is 'number' when
the file has the number column (mapped, or the default header) and 'name' when it has not.

Tolerated without options: a UTF-8 BOM, CRLF line ends, quoted fields, spaces around headers
and values, headers in any case, separator `,` `;` tab or `|` (sniffed from the header line
unless `delimiter` is given), counts typed with thousands separators (1,234 or 12,34,567),
percents with a trailing `%`.

Policy. The file is refused (ElectoralFileError, a BadInputError) when it cannot be read, its
last line has no line end (a file cut short: the other lines have one), the delimiter given is not
one character ('tab' is a tab), a
required column is missing (the message names the field and lists the headers found), or any row
is bad: a required value empty, a count that is not a non-negative integer, a percent that is
not a number, evm_votes + postal_votes != total_votes (when both are given), a duplicate
(constituency, candidate), one constituency number under two names, or a constituency whose
percents do not sum to 100 ± 0.1. Every bad row is collected first; the one error names the
count and the first few, and carries them all in `.problems`. Warnings that do not refuse the
file (a constituency with percents on some rows only) are in ResultsFile.problems. Party and
candidate texts are kept as written, trimmed (spaces collapsed): naming is the database's job.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from ..safety import cut_message
from ._common import (
    MAX_LISTED,
    ElectoralFileError,
    Problem,
    open_text,
    parse_count,
    read_text,
    refuse,
    scan_text,
    squeeze,
)

ConstituencyType = Literal["AC", "PC"]
MatchBy = Literal["auto", "number", "name"]

FIELDS = (
    "state_code",
    "state_name",
    "constituency_no",
    "constituency_name",
    "candidate",
    "party",
    "evm_votes",
    "postal_votes",
    "total_votes",
    "percent_votes",
)
REQUIRED = ("constituency_no", "constituency_name", "candidate", "party", "total_votes")
PERCENT_TOLERANCE = Decimal("0.1")
DELIMITERS = (",", ";", "\t", "|")


def default_mapping(constituency_type: ConstituencyType = "AC") -> dict[str, str]:
    """The ECI header of each field (`ac_no`/`ac_name` or `pc_no`/`pc_name`)."""
    prefix = constituency_type.lower()
    return {
        "state_code": "st_code",
        "state_name": "st_name",
        "constituency_no": f"{prefix}_no",
        "constituency_name": f"{prefix}_name",
        "candidate": "candidate",
        "party": "party",
        "evm_votes": "evm_votes",
        "postal_votes": "postal_votes",
        "total_votes": "total_votes",
        "percent_votes": "percent_votes",
    }


@dataclass(frozen=True)
class CandidateResult:
    """One candidate's result in one constituency, as published (line = the file's line)."""

    line: int
    constituency_type: ConstituencyType
    state_code: str | None
    state_name: str | None
    constituency_no: int | None
    constituency_name: str
    candidate: str
    party: str
    evm_votes: int | None
    postal_votes: int | None
    total_votes: int
    percent_votes: Decimal | None


@dataclass
class ResultsFile:
    """A results file read and checked: its rows, the header used for each field, warnings."""

    path: Path
    constituency_type: ConstituencyType
    delimiter: str
    columns: dict[str, str]
    rows: list[CandidateResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def constituencies(self) -> dict[int | str, str]:
        """Constituency key (its number; its name case-folded when matched by name) -> name, in file order."""
        return {_constituency_key(r): r.constituency_name for r in self.rows}


def _constituency_key(row: CandidateResult) -> int | str:
    return row.constituency_no if row.constituency_no is not None else row.constituency_name.casefold()


_MAPPING_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_mapping_file(path: Path | str) -> dict[str, str]:
    """A column mapping from a file of `field = Header Name` lines.

    Blank lines and lines starting with `#` are skipped; a `#` elsewhere belongs to the header
    name. The header may be quoted ("Vote %"). Unknown fields, repeated fields, empty headers and
    lines without `=` are refused naming the line.
    """
    p = Path(path)
    mapping: dict[str, str] = {}
    seen_at: dict[str, int] = {}
    problems: list[Problem] = []
    for number, raw in enumerate(read_text(p).splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = _MAPPING_LINE.match(raw)
        if m is None:
            problems.append(Problem(number, "expected `field = Header Name`", "error"))
            continue
        key, header = m.group(1), m.group(2)
        if len(header) >= 2 and header[0] == header[-1] and header[0] in "\"'":
            header = header[1:-1]
        header = header.strip()
        if key not in FIELDS:
            problems.append(Problem(number, f"unknown field {key!r} (fields: {', '.join(FIELDS)})", "error"))
        elif key in seen_at:
            problems.append(
                Problem(number, f"field {key!r} mapped again (first on line {seen_at[key]})", "error")
            )
        elif not header:
            problems.append(Problem(number, f"field {key!r} has no header name", "error"))
        else:
            mapping[key] = header
            seen_at[key] = number
    if problems:
        raise ElectoralFileError(p, problems)
    return mapping


def read_results_csv(
    path: Path | str,
    *,
    mapping: Mapping[str, str] | Path | str | None = None,
    delimiter: str | None = None,
    constituency_type: ConstituencyType = "AC",
    match_by: MatchBy = "auto",
) -> ResultsFile:
    """Read and check a constituency-wise results file; refuse it (ElectoralFileError) if bad.

    `mapping` is `{field: header}` or the path of a mapping file (read_mapping_file).
    `delimiter` None sniffs it from the header line. The rows are held in memory (ResultsFile.rows):
    the loader streams the file with ResultsReader instead.
    """
    with ResultsReader(
        path, mapping=mapping, delimiter=delimiter, constituency_type=constituency_type, match_by=match_by
    ) as reader:
        rows = list(reader.rows())
        reader.finish(_duplicates(rows))
    return ResultsFile(
        reader.path, reader.constituency_type, reader.delimiter, reader.columns, rows, reader.problems
    )


class ResultsReader:
    """A results file read as a stream: the header is checked on opening, rows() yields each good
    row as it is read, finish() raises every error found (ElectoralFileError).

    Memory is bounded whatever the file's size: one record at a time, per constituency a few
    numbers (its name, percents' sum), at most MAX_LISTED errors listed (the rest counted). The one
    check that needs every row, a duplicate (constituency, candidate), is the caller's: the loader
    asks it of its staging table (SQL), read_results_csv of its list; finish() takes their errors.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        mapping: Mapping[str, str] | Path | str | None = None,
        delimiter: str | None = None,
        constituency_type: ConstituencyType = "AC",
        match_by: MatchBy = "auto",
    ) -> None:
        p = self.path = Path(path)
        if constituency_type not in ("AC", "PC"):
            raise refuse(p, None, f"constituency_type must be 'AC' or 'PC', not {constituency_type!r}")
        if match_by not in ("auto", "number", "name"):
            raise refuse(p, None, f"match_by must be 'auto', 'number' or 'name', not {match_by!r}")
        if isinstance(mapping, (str, Path)):
            mapping = read_mapping_file(mapping)
        given = dict(mapping or {})
        unknown = sorted(set(given) - set(FIELDS))
        if unknown:
            raise refuse(p, None, f"the mapping names unknown fields {unknown} (fields: {', '.join(FIELDS)})")
        if delimiter is not None:
            delimiter = _check_delimiter(p, delimiter)
        scan = scan_text(p)
        if scan.cut is not None:
            raise refuse(p, scan.cut[0], cut_message(scan.cut[1]))
        self.size = scan.size
        self.constituency_type: ConstituencyType = constituency_type
        self._fh = open_text(p)
        try:
            if delimiter is None:
                delimiter = _sniff_delimiter(self._first_line())
            self.delimiter = delimiter
            self._records = _records(p, self._fh, delimiter)
            first = next(self._records, None)
            if first is None:
                raise refuse(p, None, "the file is empty")
            self.header_line, header = first
            self.columns = _resolve_columns(p, self.header_line, header, given, constituency_type, match_by)
            by_number = "constituency_no" in self.columns
            self.match_by: Literal["number", "name"] = "number" if by_number else "name"
            self._index = {f: _header_index(header)[_key(h)] for f, h in self.columns.items()}
        except BaseException:
            self._fh.close()
            raise
        self.problems: list[Problem] = []  # warnings
        self.errors: list[Problem] = []
        self.omitted = 0  # errors not listed
        self.rows_read = 0
        self.states: dict[str, int] = {}  # state code (upper case) -> first line
        # constituency key (number; case-folded name when matched by name) -> (name, first line)
        self.names: dict[int | str, tuple[str, int]] = {}
        self._percents: dict[int | str, list] = {}  # key -> [first line, last line, rows, with %, sum]
        self._incomplete: set[int | str] = set()  # constituencies with a refused row: percents not summed

    def __enter__(self) -> ResultsReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def close(self) -> None:
        self._fh.close()

    @property
    def position(self) -> int:
        """Bytes read so far (for a progress bar over self.size)."""
        return self._fh.buffer.tell()

    def _first_line(self) -> str:
        first = ""
        for raw in self._fh:
            if raw.strip("\r\n"):
                first = raw
                break
        self._fh.seek(0)
        return first

    def _error(self, problem: Problem) -> None:
        if len(self.errors) < MAX_LISTED:
            self.errors.append(problem)
        else:
            self.omitted += 1

    def rows(self) -> Iterator[CandidateResult]:
        """Each good row, in file order; bad rows are errors (finish() raises them)."""
        index, ctype = self._index, self.constituency_type
        for line, cells in self._records:
            if not any(c.strip() for c in cells):
                continue
            row = _parse_row(line, cells, index, ctype, self)
            if row is None:
                at = index.get("constituency_no", index["constituency_name"])
                bad_key: int | str | None = None
                if at < len(cells):
                    by_number = "constituency_no" in index
                    bad_key = parse_count(cells[at]) if by_number else squeeze(cells[at]).casefold()
                if bad_key is not None:
                    self._incomplete.add(bad_key)
                continue
            self.rows_read += 1
            if row.state_code is not None:
                self.states.setdefault(row.state_code.upper(), line)
            key = _constituency_key(row)
            name, name_line = self.names.setdefault(key, (row.constituency_name, line))
            if name.casefold() != row.constituency_name.casefold():
                self._error(
                    Problem(
                        line,
                        f"constituency {row.constituency_no} is named {row.constituency_name!r} here "
                        f"but {name!r} on line {name_line}",
                        "error",
                    )
                )
            state = self._percents.get(key)
            if state is None:
                state = self._percents[key] = [line, line, 0, 0, Decimal(0)]
            state[1] = line
            state[2] += 1
            if row.percent_votes is not None:
                state[3] += 1
                state[4] += row.percent_votes
            yield row

    def finish(self, more_errors: Iterable[Problem] = (), more_omitted: int = 0) -> None:
        """Check what needs the whole file (percents per constituency, at least one row); raise
        ElectoralFileError with every error (this reader's and the caller's `more_errors`)."""
        errors = list(self.errors)
        omitted = self.omitted + more_omitted
        for key, (first, last, members, with_percent, total) in self._percents.items():
            if not with_percent or key in self._incomplete:
                continue
            number = key if isinstance(key, int) else repr(self.names[key][0])
            if with_percent < members:
                self.problems.append(
                    Problem(
                        first,
                        f"constituency {number}: percent_votes given on {with_percent} of "
                        f"{members} rows; their sum is not checked",
                    )
                )
                continue
            if abs(total - 100) > PERCENT_TOLERANCE:
                errors.append(
                    Problem(
                        first,
                        f"constituency {number}: percent_votes sum to {total}, not 100 ± {PERCENT_TOLERANCE} "
                        f"(rows on lines {first}-{last})",
                        "error",
                    )
                )
        errors.extend(more_errors)
        if not self.rows_read and not errors and not omitted:
            raise refuse(self.path, self.header_line, "a header and no result rows")
        if errors or omitted:
            errors.sort(key=lambda e: e.line or 0)
            more = omitted + max(0, len(errors) - MAX_LISTED)
            raise ElectoralFileError(self.path, errors[:MAX_LISTED], more)


def _duplicates(rows: list[CandidateResult]) -> list[Problem]:
    """A (constituency, candidate) given twice (candidate case-blind), for rows held in memory."""
    first_seen: dict[tuple[int | str, str], int] = {}
    out: list[Problem] = []
    for r in rows:
        key = (_constituency_key(r), r.candidate.casefold())
        if key in first_seen:
            shown = r.constituency_no if r.constituency_no is not None else repr(r.constituency_name)
            out.append(duplicate_problem(r.line, r.candidate, shown, first_seen[key]))
        else:
            first_seen[key] = r.line
    return out


def duplicate_problem(line: int, candidate: str, constituency_no: int | str, first: int) -> Problem:
    """The error of a candidate given twice in one constituency (constituency_result_merge() says it too)."""
    return Problem(
        line,
        f"duplicate candidate {candidate!r} in constituency {constituency_no} (first on line {first})",
        "error",
    )


def _records(path: Path, fh: Any, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of every record, read as they come; a quoted field may span lines."""
    reader = csv.reader(fh, delimiter=delimiter, skipinitialspace=True)
    previous_end = 0
    try:
        for cells in reader:
            yield previous_end + 1, cells
            previous_end = reader.line_num
    except csv.Error as exc:
        raise refuse(path, reader.line_num, f"not valid CSV ({exc})") from None


def _check_delimiter(path: Path, delimiter: str) -> str:
    """The separator as one character ('tab' and a typed backslash-t are a tab); refuses anything else."""
    d = {"tab": "\t", "\\t": "\t"}.get(delimiter.casefold(), delimiter)
    if len(d) != 1 or d in "\"\r\n":
        shown = delimiter if len(delimiter) <= 10 else delimiter[:10] + "..."
        raise refuse(
            path,
            None,
            f"delimiter {shown!r} is not one separator character: give one, e.g. --delimiter ';' "
            "(',', ';', '|' or 'tab'), or leave it out to have it sniffed",
        )
    return d


def _sniff_delimiter(first: str) -> str:
    """The separator of the header line: the most frequent of DELIMITERS outside quotes, else ','."""
    unquoted = re.sub(r'"[^"]*"', "", first.strip("\r\n"))
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _key(header: str) -> str:
    return squeeze(header).casefold()


def _header_index(header: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        index.setdefault(_key(h), i)
    return index


def _resolve_columns(
    path: Path,
    line: int,
    header: list[str],
    given: dict[str, str],
    ctype: ConstituencyType,
    match_by: MatchBy = "auto",
) -> dict[str, str]:
    """field -> header as found in the file; refuses when a required or mapped one is absent.

    The number column is left out when matching by name ('name'), and is optional with 'auto'."""
    found = _header_index(header)
    defaults = default_mapping(ctype)
    columns: dict[str, str] = {}
    missing: list[str] = []
    for f in FIELDS:
        if f == "constituency_no" and match_by == "name":
            continue
        wanted = given.get(f, defaults[f])
        if _key(wanted) in found:
            columns[f] = squeeze(header[found[_key(wanted)]])
        elif f in given:
            missing.append(f"{f} (mapped to {wanted!r})")
        elif f in REQUIRED:
            missing.append(f"{f} (header {wanted!r})")
    if missing == [f"constituency_no (header {given.get('constituency_no', defaults['constituency_no'])!r})"]:
        missing = [] if match_by == "auto" else missing  # 'auto' matches by name without the number
    if missing:
        shown = ", ".join(repr(squeeze(h)) for h in header)
        noun = "column" if len(missing) == 1 else "columns"
        raise refuse(path, line, f"missing {noun} {'; '.join(missing)}; headers found: {shown}")
    keys = [_key(h) for h in columns.values()]
    doubled = sorted({k for k in keys if keys.count(k) > 1})
    if doubled:
        raise refuse(path, line, f"one header mapped to two fields: {doubled}")
    return columns


def _parse_row(
    line: int,
    cells: list[str],
    index: dict[str, int],
    ctype: ConstituencyType,
    reader: ResultsReader,
) -> CandidateResult | None:
    def cell(f: str) -> str | None:
        i = index.get(f)
        if i is None:
            return None
        return squeeze(cells[i])

    bad: list[str] = []
    needed = max(index.values()) + 1
    if len(cells) < needed:
        reader._error(Problem(line, f"has {len(cells)} cells, the header needs {needed}", "error"))
        return None

    def count(f: str) -> int | None:
        text = cell(f)
        if text is None or (text == "" and f not in REQUIRED):
            return None
        value = parse_count(text)
        if value is None:
            why = "is negative" if text.startswith("-") else "is not a whole number"
            bad.append(f"{f} {text!r} {why}" if text else f"{f} is empty")
        return value

    for f in REQUIRED:
        if f not in ("constituency_no", "total_votes") and not cell(f):
            bad.append(f"{f} is empty")
    number = count("constituency_no") if "constituency_no" in index else None
    evm, postal, total = count("evm_votes"), count("postal_votes"), count("total_votes")
    percent: Decimal | None = None
    ptext = cell("percent_votes")
    if ptext:
        try:
            percent = Decimal(ptext.removesuffix("%").strip())
            if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
                bad.append(f"percent_votes {ptext!r} is not between 0 and 100")
        except InvalidOperation:
            bad.append(f"percent_votes {ptext!r} is not a number")
    if evm is not None and postal is not None and total is not None and evm + postal != total:
        bad.append(f"evm_votes {evm} + postal_votes {postal} = {evm + postal}, not total_votes {total}")
    if bad:
        reader._error(Problem(line, "; ".join(bad), "error"))
        return None
    assert total is not None and (number is not None or "constituency_no" not in index)
    return CandidateResult(
        line=line,
        constituency_type=ctype,
        state_code=cell("state_code") or None,
        state_name=cell("state_name") or None,
        constituency_no=number,
        constituency_name=cell("constituency_name") or "",
        candidate=cell("candidate") or "",
        party=cell("party") or "",
        evm_votes=evm,
        postal_votes=postal,
        total_votes=total,
        percent_votes=percent,
    )
