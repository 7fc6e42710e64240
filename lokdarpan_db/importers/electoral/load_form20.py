"""Load a Form 20 file (polling-station-wise results of one assembly segment) for one election.

parse_form20 (form20.py) finds the file's layout and reports its quirks; this module puts it in
the database, in one transaction:

- The parliamentary constituency is the one whose candidates (ECI's candidate list,
  candidates.csv) best match the file's candidate columns, unless pc_no is given: nothing in a
  Form 20 file names it. Names are compared in SQL with pg_trgm: the better of the similarity of
  the normalised names (upper case, punctuation gone, titles such as DR dropped) and of their
  space-less keys ("Chavda Mansukhbh ai" = "CHAVDA MANSUKHBHAI"). Each column is paired with one
  candidate, best pairs first; a column whose best candidate is below min_similarity is not
  guessed: the file is refused naming every such column.
- The candidates' parties come from their ECI party codes through ECI's party list
  (political-parties.csv): a party already registered under that code or name is used (and given
  the code when it had none), otherwise it is created with its ECI code.
- The NOTA column is None of the Above: it goes to polling_station_result.nota, which the ward
  aggregation reads as party NOTA; it is not a result_ps row (result_ps adds up to total_valid,
  which excludes NOTA). A file whose arithmetic shows NOTA inside "total valid" (the parser
  decides, Form20File.nota_counted_in) is stored with NOTA taken out of total_valid.
- The AC is ac_no, else the number in the constituency label the file carries ("01-ABADASA"),
  else the digits of the file name (AC002.csv -> 2, reported: the source's file numbers are not
  always ECI's). The AC and PC rows are created when missing (no boundary); a name the source does
  not give is a placeholder "AC 2" / "PC 1" (reported; pass ac_name / pc_name to name them).
- Polling stations get ps_id '<state>-AC<nnn>-<serial>'. A serial the file has twice is a real
  quirk (a mistyped serial; both rows differ and the page totals count both): both rows are kept;
  the second gets ps_id '<...>-232/2' and, because polling_station is unique on (delimitation,
  constituency, serial), the serial '232Z' (Z = a repeat, not an auxiliary station), with a
  warning. Its source_meta keeps the serial as typed.
- A station whose own arithmetic is wrong (candidates vs total valid, total valid + rejected +
  NOTA vs Total) refuses the file, naming each line: the database would refuse it at commit
  anyway (a deferred check that the candidates add up to total_valid). The parser's other
  warnings (repeated or missing serials, page totals that differ) are reported and the file loads.

Re-importing a file changes nothing. The file is the whole set of the AC's results in the
election: the results at the AC's stations that the file no longer has, and candidate rows of its
stations that it no longer has, are removed (the stations themselves stay in the registry) — but
only with replace=True (`--replace`): otherwise an import that would remove anything is refused
(RemovalRefusedError, naming the counts of station results, candidate rows and votes), so a short
or cut file never turns into deletions. A dry run reports what would go. A station row typed twice
identically is one station (Form20File.collapsed; Form20ImportReport.duplicates_collapsed).

import_form20_files loads several files as one transaction (default) or each on its own (each=True).

Where the work is done (issue 21): Python reads the file (form20.Form20Reader) and COPYs each
station into pg_temp.form20_station as it is read; the database does the rest with the set-based
functions of code/electoral/form20_merge/{stations,results}: the stations' problems with their
lines (form20_station_problems), the polling stations (form20_merge_stations), what the file no
longer has (form20_removals), the station results and candidate rows (form20_merge_results). The
registry side (AC number, candidate matching, parties, AC and PC rows) is form20_registry.py;
when every column's name key is exactly one PC's candidates, no trigram query is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psycopg

from ...errors import BadInputError
from ..safety import amount, check_removals, removal_text
from ._common import MAX_LISTED, ElectoralFileError, LineRuns, Problem
from .eci_lists import CandidateList, PartyList, read_candidates, read_parties
from .form20 import Form20Reader
from .form20_registry import CandidateMatch, ac_number, constituencies, match_candidates, parties
from .load_common import (
    DATA_DIR,
    ElectoralLoadError,
    Progress,
    ReportMixin,
    copy_rows,
    db_error_line,
    load_transaction,
    problem_text,
    refuse_lines,
)
from .load_results import ElectionType, ensure_election

__all__ = [
    "DEFAULT_CANDIDATES",
    "DEFAULT_PARTIES",
    "CandidateMatch",
    "Form20BatchError",
    "Form20BatchReport",
    "Form20FileFate",
    "Form20FilesRefusedError",
    "Form20ImportReport",
    "import_form20",
    "import_form20_files",
]

FORM20_DIR = DATA_DIR / "form20-gujarat-ls2014"
DEFAULT_CANDIDATES = FORM20_DIR / "candidates.csv"
DEFAULT_PARTIES = FORM20_DIR / "political-parties.csv"
REPEAT_SUFFIX = "Z"
_SUM_CHECK = "public.chk_polling_station_result_votes_add_up"
# pg_temp.form20_station's columns as the COPY sends them (form20_stage() makes the table).
STATION_COLUMNS = (
    "line", "serial", "serial_db", "occurrence", "first_line", "total_valid", "rejected", "nota",
    "total", "tendered", "votes",
)


@dataclass
class Form20ImportReport(ReportMixin):
    """What import_form20 did (or, with dry_run, would do)."""

    file: Path
    candidates_file: Path
    parties_file: Path
    election_type: str
    year: int
    state_code: str
    dry_run: bool = False
    election_id: int | None = None
    election_created: bool = False
    ac_no: int | None = None
    ac_name: str | None = None
    pc_no: int | None = None
    pc_match: str = ""
    constituencies_created: list[str] = field(default_factory=list)
    candidates: list[CandidateMatch] = field(default_factory=list)
    nota: str = ""
    parties_created: list[str] = field(default_factory=list)
    stations_read: int = 0
    stations_inserted: int = 0
    stations_updated: int = 0
    stations_unchanged: int = 0
    duplicate_serials: list[str] = field(default_factory=list)
    duplicates_collapsed: list[str] = field(default_factory=list)
    station_results_inserted: int = 0
    station_results_updated: int = 0
    station_results_unchanged: int = 0
    station_results_removed: int = 0
    result_rows: int = 0
    results_inserted: int = 0
    results_updated: int = 0
    results_unchanged: int = 0
    results_removed: int = 0
    votes_removed: int = 0
    replace: bool = False
    problems: list[str] = field(default_factory=list)

    _extra_keys = ("removed",)

    @property
    def removed(self) -> str:
        """What the import removed (or, refused or in a dry run, would remove), in words; '' if nothing."""
        rows = amount(self.results_removed, "candidate row") if self.results_removed else ""
        if rows and self.votes_removed:
            rows += f" ({amount(self.votes_removed, 'vote')})"
        n = self.station_results_removed
        return removal_text([amount(n, "station result") if n else "", rows])


Fate = Literal["committed", "rolled back", "refused"]


@dataclass
class Form20FileFate:
    """What became of one file of a batch: its report when it loaded, the error when it was refused."""

    file: Path
    fate: Fate
    error: str | None = None
    report: Form20ImportReport | None = None


@dataclass
class Form20BatchReport(ReportMixin):
    """What import_form20_files did with each file (or, with dry_run, would do)."""

    each: bool
    dry_run: bool
    files: list[Form20FileFate] = field(default_factory=list)

    @property
    def refused(self) -> list[Form20FileFate]:
        return [f for f in self.files if f.fate == "refused"]

    @property
    def reports(self) -> list[Form20ImportReport]:
        return [f.report for f in self.files if f.report is not None]

    def check(self) -> None:
        """Raise Form20FilesRefusedError (one line, exit 2) when a file was refused (each=True)."""
        refused = self.refused
        if not refused:
            return
        loaded = [f.file.name for f in self.files if f.report is not None]
        fate = "rolled back (dry run)" if self.dry_run else "committed"
        others = "; ".join(f"{f.file.name} also refused" for f in refused[1:])
        raise Form20FilesRefusedError(
            f"{len(refused)} of {len(self.files)} files refused: {refused[0].error}"
            + (f"; {others}" if others else "")
            + (f"; {', '.join(loaded)} {fate}" if loaded else "; no file imported")
        )


class Form20FilesRefusedError(BadInputError, ValueError):
    """With each=True, one or more files were refused (the others loaded): exit 2, one line."""


class Form20BatchError(BadInputError, ValueError):
    """A file of a one-transaction batch was refused: nothing of the batch is imported (exit 2).

    str() is one line: the refused file and why, and that the other files were rolled back.
    """

    def __init__(self, message: str, cause: BadInputError, path: Path) -> None:
        super().__init__(message)
        self.cause = cause
        self.path = path



@dataclass(frozen=True)
class _Options:
    """import_form20's options that reach the database."""

    election_type: ElectionType
    year: int
    state_code: str
    round: str | None
    ac_no: int | None
    pc_no: int | None
    ac_name: str | None
    pc_name: str | None
    delimitation: int
    min_similarity: float


def import_form20(
    conn: psycopg.Connection,
    path: Path | str,
    *,
    candidates: Path | str = DEFAULT_CANDIDATES,
    parties: Path | str = DEFAULT_PARTIES,
    election_type: ElectionType = "LOKSABHA",
    year: int = 2014,
    state_code: str = "S06",
    round: str | None = None,
    ac_no: int | None = None,
    pc_no: int | None = None,
    ac_name: str | None = None,
    pc_name: str | None = None,
    delimitation: int = 2008,
    min_similarity: float = 0.6,
    dry_run: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
    _preview: bool | None = None,
    _in_batch: bool = False,
) -> Form20ImportReport:
    """Load one Form 20 file; see the module docstring. Raises ElectoralFileError (a
    BadInputError naming file, line and reason) for a file it will not load, RemovalRefusedError
    when it would remove results of the AC that earlier imports loaded and replace is False;
    nothing is written then. A dry run reports such removals instead of refusing."""
    opts = _Options(election_type, year, state_code, round, ac_no, pc_no, ac_name, pc_name,
                    delimitation, min_similarity)
    _check_options(opts)
    preview = dry_run if _preview is None else _preview
    path, candidates, parties = Path(path), Path(candidates), Path(parties)
    report = Form20ImportReport(
        path, candidates, parties, election_type, year, state_code, dry_run=preview, replace=replace
    )
    reader = Form20Reader(path)  # the layout: a first pass over the file (and a second for NOTA)
    lists = _lists(candidates, parties)
    if not any(c.state_code == state_code for c in lists[0].candidates):
        raise refuse_lines(candidates, [(None, f"no candidates of state {state_code}")])
    # A file of a one-transaction batch (import_form20_files) runs in the batch's transaction, with
    # no savepoint of its own (a refused file refuses the batch; and past 64 subtransactions every
    # snapshot of the server would have to look them up), and the batch checks the sums once.
    file_transaction = (
        nullcontext()
        if _in_batch
        else load_transaction(conn, dry_run, check_deferred=(_SUM_CHECK,))
    )
    try:
        with file_transaction:
            if not _in_batch:
                _lock(conn)
            notes = _stage(conn, path, reader, report, progress)  # streams the file into staging
            _report_file(report, reader, lists, notes)
            ac_id = _registry(conn, reader, lists, opts, report)
            _merge(conn, ac_id, opts, report, preview)
    except psycopg.errors.IntegrityError as exc:
        raise ElectoralLoadError(f"{path}: {db_error_line(exc)}; nothing imported") from None
    return report


# ECI's lists as read, by (file, size, modification time): a batch of hundreds of files names the
# same two lists, and reading the party list (1,666 rows) took 10 ms a file, a third of the
# client's CPU in the electoral bench. A list that changes on disk is read again.
_LISTS: dict[tuple[Path, int, int, Path, int, int], tuple[CandidateList, PartyList]] = {}


def _lists(candidates: Path, parties: Path) -> tuple[CandidateList, PartyList]:
    try:
        c, p = candidates.stat(), parties.stat()
    except OSError:  # missing: the readers say so, one line naming the file
        return read_candidates(candidates), read_parties(parties)
    key = (candidates.resolve(), c.st_size, c.st_mtime_ns, parties.resolve(), p.st_size, p.st_mtime_ns)
    if key not in _LISTS:
        if len(_LISTS) >= 8:
            _LISTS.clear()
        _LISTS[key] = read_candidates(candidates), read_parties(parties)
    return _LISTS[key]


def _lock(conn: psycopg.Connection) -> None:
    """Files load one at a time (the merges read what they are about to write)."""
    conn.execute("lock table public.polling_station_result in share row exclusive mode")


def _check_sums(conn: psycopg.Connection) -> None:
    """The deferred votes-add-up check of everything written so far, now (then deferred again)."""
    conn.execute(f"set constraints {_SUM_CHECK} immediate")
    conn.execute(f"set constraints {_SUM_CHECK} deferred")


def _check_options(opts: _Options) -> None:
    if not re.fullmatch(r"[SU][0-9]{2}", opts.state_code):
        raise ElectoralLoadError(f"state_code {opts.state_code!r} is not an ECI state code like S06")
    if not 0 < opts.min_similarity <= 1:
        raise ElectoralLoadError(f"min_similarity must be in (0, 1], got {opts.min_similarity}")


def import_form20_files(
    conn: psycopg.Connection,
    paths: Sequence[Path | str],
    *,
    each: bool = False,
    dry_run: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
    **options: Any,
) -> Form20BatchReport:
    """Load several Form 20 files (options as import_form20's).

    By default the files are one import: one transaction, no savepoint per file, the deferred
    votes-add-up check once at the end; all load or none does, and a refused file raises
    Form20BatchError naming it and saying the others were rolled back. With each=True every file is
    its own transaction (committed as it loads, when `conn` has no transaction open): a refused file
    does not stop the others, and the report gives every file's fate. A dry run rolls everything
    back and reports what would be done (later files see what earlier ones would have loaded).
    """
    files = [Path(p) for p in paths]
    report = Form20BatchReport(each=each, dry_run=dry_run)
    if each:
        for path in files:
            try:
                r = import_form20(conn, path, dry_run=dry_run, replace=replace, progress=progress, **options)
            except BadInputError as exc:
                report.files.append(Form20FileFate(path, "refused", str(exc)))
                continue
            report.files.append(Form20FileFate(path, "rolled back" if dry_run else "committed", report=r))
        return report
    done: list[Form20ImportReport] = []
    with load_transaction(conn, dry_run):
        _lock(conn)
        for i, path in enumerate(files):
            try:
                done.append(
                    import_form20(
                        conn, path, replace=replace, progress=progress, _preview=dry_run,
                        _in_batch=True, **options,
                    )
                )
            except BadInputError as exc:
                loaded = ", ".join(r.file.name for r in done)
                untried = ", ".join(p.name for p in files[i + 1 :])
                others = "; ".join(
                    part
                    for part in (
                        f"{loaded} rolled back" if loaded else "",
                        f"{untried} not tried" if untried else "",
                    )
                    if part
                )
                message = str(exc)
                if len(files) > 1:
                    message += (
                        f" [the {len(files)} files are one transaction: nothing of them is imported"
                        + (f" ({others})" if others else "")
                        + "; fix or leave out "
                        + path.name
                        + ", or pass --each to commit each good file on its own]"
                    )
                raise Form20BatchError(message, exc, path) from None
        # The votes-add-up check, once for the whole batch (each station was checked set-based
        # before it was written: this is the database's own guarantee).
        try:
            _check_sums(conn)
        except psycopg.errors.IntegrityError as exc:
            path = _file_of(exc, done) or files[0]
            cause = ElectoralLoadError(f"{path}: {db_error_line(exc)}; nothing imported")
            batch = f" [the {len(files)} files are one transaction: nothing of them is imported]"
            raise Form20BatchError(f"{cause}{batch if len(files) > 1 else ''}", cause, path) from None
    fate: Fate = "rolled back" if dry_run else "committed"
    report.files = [Form20FileFate(r.file, fate, report=r) for r in done]
    return report


def _file_of(exc: psycopg.Error, reports: list[Form20ImportReport]) -> Path | None:
    """The file of the station a votes-add-up error names ('polling station S06-AC001-12 in
    election 3'), among the batch's reports."""
    m = re.search(r"polling station \S+-AC(\d+)-\S+ in election (\d+)", exc.diag.message_primary or "")
    if m is None:
        return None
    ac_no, election = int(m.group(1)), int(m.group(2))
    return next((r.file for r in reports if (r.ac_no, r.election_id) == (ac_no, election)), None)


# --- the file ----------------------------------------------------------------------------------


def _stage(
    conn: psycopg.Connection,
    path: Path,
    reader: Form20Reader,
    report: Form20ImportReport,
    progress: Progress | None,
) -> list[str]:
    """COPY the file's stations (votes as an array) into pg_temp.form20_station as they are read;
    then the database checks them (form20_station_problems): the file is refused, naming each
    line, when a station's sums are wrong or a repeated serial cannot be kept apart. Returns the
    note on stations whose total valid was empty (one line, with the count and line ranges)."""
    conn.execute("select public.form20_stage()")
    nota_in_valid = reader.form.nota_counted_in == "total_valid"
    empty_valid = LineRuns()
    first: list[tuple[int, str]] = []  # the first station with an empty total valid

    def stations() -> Iterator[tuple[Any, ...]]:
        for n, r in enumerate(reader.rows()):
            nota = r.nota or 0
            valid = r.total_valid
            if valid is None:
                valid = sum(r.votes) + (nota if nota_in_valid else 0)
                empty_valid.add(r.line, n)
                if not first:
                    first.append((r.line, r.serial))
            if nota_in_valid:
                valid -= nota  # stored without NOTA, as polling_station_result.total_valid means
            rejected = r.rejected or 0
            total = r.total if r.total is not None else valid + rejected + nota
            yield (r.line, r.serial, r.serial + REPEAT_SUFFIX * (r.occurrence - 1), r.occurrence,
                   r.first_line, valid, rejected, r.nota, total, r.tendered,
                   "{" + ",".join(map(str, r.votes)) + "}")  # int[] as text: cheaper than a list

    report.stations_read = copy_rows(
        conn, "pg_temp.form20_station", STATION_COLUMNS, stations(), total=0,
        progress=None if progress is None else lambda _d, _t: progress(reader.position, reader.size),
    )
    found = conn.execute(
        "select line, problem, found from public.form20_station_problems(%s)", (MAX_LISTED,)
    ).fetchall()
    if found:
        problems = [Problem(line, text, "error") for line, text, _ in found]
        raise ElectoralFileError(path, problems, int(found[0][2]) - len(problems))
    report.result_rows = report.stations_read * len(reader.form.candidates)
    if not first:
        return []
    what = "total valid empty, taken as the candidates' sum"
    if empty_valid.count == 1:
        return [f"{path.name} line {first[0][0]}: polling station {first[0][1]}: {what}"]
    return [f"{path.name}: {empty_valid.text(what)}"]


def _report_file(
    report: Form20ImportReport,
    reader: Form20Reader,
    lists: tuple[CandidateList, PartyList],
    notes: list[str],
) -> None:
    """The parser's, the loader's and the lists' warnings, and the rows typed twice, into the report."""
    path, form = report.file, reader.form
    report.problems.extend(problem_text(path, p) for p in form.problems)
    report.problems.extend(notes)
    report.duplicates_collapsed = [
        f"{path.name} line {line}: polling station {serial} repeats line {first} exactly: counted once"
        for line, first, serial in form.collapsed
    ]
    if reader.collapsed > len(form.collapsed):
        report.duplicates_collapsed.append(
            f"{path.name}: and {reader.collapsed - len(form.collapsed):,} more repeated rows counted once"
        )
    report.problems.extend(problem_text(report.candidates_file, p) for p in lists[0].problems)
    report.problems.extend(problem_text(report.parties_file, p) for p in lists[1].problems)


def _registry(
    conn: psycopg.Connection,
    reader: Form20Reader,
    lists: tuple[CandidateList, PartyList],
    opts: _Options,
    report: Form20ImportReport,
) -> int:
    """The AC (its number, its stations), the candidates of the columns, their parties, the AC and
    PC rows and the election; returns the AC's constituency_id."""
    path, form = report.file, reader.form
    report.ac_no, label_name = ac_number(path, form, opts.ac_no, report)
    report.ac_name = opts.ac_name or label_name
    report.nota = (
        f"column {form.total_columns['nota'] + 1}: None of the Above -> "
        "polling_station_result.nota (party NOTA)"
        if form.has_nota
        else "no NOTA column"
    )
    state_candidates = [c for c in lists[0].candidates if c.state_code == opts.state_code]
    matched = match_candidates(
        conn, path, form, state_candidates, opts.pc_no, opts.min_similarity, report
    )
    party_ids = parties(conn, path, report.candidates_file, matched, lists[1].parties, report)
    for m in report.candidates:
        m.party = party_ids[m.code][1] if m.code else None
    ac_id = constituencies(conn, opts.state_code, report, opts.pc_name)
    election_state = None if opts.election_type == "LOKSABHA" else opts.state_code
    report.election_id, report.election_created = ensure_election(
        conn, opts.election_type, opts.year, election_state, opts.round,
        f"Form 20 files ({path.parent.name})",
    )
    copy_rows(
        conn, "pg_temp.form20_candidate", ("idx", "candidate", "party_id"),
        ((i + 1, c.name, party_ids[c.code][0]) for i, c in enumerate(matched)), total=len(matched),
    )
    return ac_id


def _merge(
    conn: psycopg.Connection, ac_id: int, opts: _Options, report: Form20ImportReport, preview: bool
) -> None:
    """The database's set-based merges (code/electoral/form20_merge/*): stations, then what the file no
    longer has (refused unless replace; a dry run reports it), then station results and rows."""
    name, e, d = report.file.name, report.election_id, opts.delimitation
    row = conn.execute(
        "select * from public.form20_merge_stations(%s, %s, %s, %s, %s)",
        (name, opts.state_code, report.ac_no, ac_id, d),
    ).fetchone()
    assert row is not None
    report.stations_inserted, report.stations_updated, report.stations_unchanged = row
    _report_repeats(conn, report)
    row = conn.execute("select * from public.form20_removals(%s, %s, %s)", (e, ac_id, d)).fetchone()
    assert row is not None
    report.station_results_removed, report.results_removed, report.votes_removed = (int(v) for v in row)
    check_removals(
        name,
        report.removed,
        f"of AC {report.ac_no} in election {report.election_type} {report.year} that earlier imports "
        "loaded and this file no longer has",
        replace=report.replace,
        dry_run=preview,
        problems=report.problems,
    )
    row = conn.execute(
        "select * from public.form20_merge_results(%s, %s, %s, %s, %s)", (name, e, ac_id, d, True)
    ).fetchone()
    assert row is not None
    (
        report.station_results_inserted, report.station_results_updated,
        report.station_results_unchanged, _, report.results_inserted, report.results_updated,
        report.results_unchanged, _,
    ) = row


def _report_repeats(conn: psycopg.Connection, report: Form20ImportReport) -> None:
    """Each serial the file has twice with other votes: kept as a separate station (ps_id /2)."""
    path = report.file
    rows = conn.execute(
        "select line, serial, first_line, ps_id, serial_db, found from public.form20_repeats(%s)",
        (MAX_LISTED,),
    ).fetchall()
    texts = [
        f"{path.name} line {line}: polling station {serial} again, with other votes than line "
        f"{first_line}: kept as a separate station, ps_id {ps_id}, serial {serial_db}"
        for line, serial, first_line, ps_id, serial_db, _ in rows
    ]
    if rows and rows[0][5] > len(rows):
        more = rows[0][5] - len(rows)
        texts.append(f"{path.name}: and {more:,} more repeated serials kept as separate stations")
    report.duplicate_serials = texts
    report.problems.extend(texts)
