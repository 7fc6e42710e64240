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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psycopg

from ...errors import BadInputError
from ..safety import amount, check_removals, removal_text
from ._common import MAX_LISTED, ElectoralFileError, Problem
from .eci_lists import Candidate, read_candidates, read_parties
from .form20 import Form20File, Form20Reader
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
    temp_table,
    title_case,
    upsert_counts,
)
from .load_results import ElectionType, ensure_election
from .names import name_key, normalise_name

FORM20_DIR = DATA_DIR / "form20-gujarat-ls2014"
DEFAULT_CANDIDATES = FORM20_DIR / "candidates.csv"
DEFAULT_PARTIES = FORM20_DIR / "political-parties.csv"
REPEAT_SUFFIX = "Z"
_LABEL = re.compile(r"^\s*(\d{1,3})\s*-\s*(.+?)\s*$")
_FILE_NUMBER = re.compile(r"(\d{1,3})(?!.*\d)")
_SUM_CHECK = "public.chk_polling_station_result_votes_add_up"


@dataclass
class CandidateMatch:
    """One candidate column of the file and the candidate it was paired with."""

    column: int
    name_in_file: str
    candidate: str | None
    code: str | None
    party: str | None
    similarity: float


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


@dataclass
class _Station:
    line: int
    serial: str
    serial_db: str
    ps_id: str
    occurrence: int
    votes: list[int]
    total_valid: int
    rejected: int
    nota: int | None
    total: int
    tendered: int | None


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
) -> Form20ImportReport:
    """Load one Form 20 file; see the module docstring. Raises ElectoralFileError (a
    BadInputError naming file, line and reason) for a file it will not load, RemovalRefusedError
    when it would remove results of the AC that earlier imports loaded and replace is False;
    nothing is written then. A dry run reports such removals instead of refusing."""
    preview = dry_run if _preview is None else _preview
    path, candidates, parties = Path(path), Path(candidates), Path(parties)
    if not re.fullmatch(r"[SU][0-9]{2}", state_code):
        raise ElectoralLoadError(f"state_code {state_code!r} is not an ECI state code like S06")
    if not 0 < min_similarity <= 1:
        raise ElectoralLoadError(f"min_similarity must be in (0, 1], got {min_similarity}")
    report = Form20ImportReport(
        path, candidates, parties, election_type, year, state_code, dry_run=preview, replace=replace
    )
    reader = Form20Reader(path)  # the layout: a first pass over the file (and a second for NOTA)
    form = reader.form
    cand_list = read_candidates(candidates)
    party_list = read_parties(parties)
    state_candidates = [c for c in cand_list.candidates if c.state_code == state_code]
    if not state_candidates:
        raise refuse_lines(candidates, [(None, f"no candidates of state {state_code}")])
    election_state = None if election_type == "LOKSABHA" else state_code

    previous_plan_mode = None
    try:
        with load_transaction(conn, dry_run, check_deferred=(_SUM_CHECK,)):
            conn.execute("lock table public.polling_station_result in share row exclusive mode")
            # Generic plans for this load. The deferred votes-add-up check (a trigger) sums each
            # station's rows by (election, station); for an election the statistics do not know yet
            # a custom plan estimates one row and reads the election's every row through
            # ix_result_ps_party, once per station: each file of a new election then costs more
            # than the one before (measured by the electoral bench: up to 10x per file).
            row = conn.execute(
                "select current_setting('plan_cache_mode'), "
                "set_config('plan_cache_mode', 'force_generic_plan', true)"
            ).fetchone()
            previous_plan_mode = row[0] if row else None
            # The stations stream into staging as the file is read (memory bounded whatever its size).
            notes = _stage(conn, path, reader, report, progress)
            report.problems.extend(problem_text(path, p) for p in form.problems)
            report.duplicates_collapsed = [
                f"{path.name} line {line}: polling station {serial} repeats line {first} exactly: "
                "counted once"
                for line, first, serial in form.collapsed
            ]
            if reader.collapsed > len(form.collapsed):
                report.duplicates_collapsed.append(
                    f"{path.name}: and {reader.collapsed - len(form.collapsed):,} more repeated rows "
                    "counted once"
                )
            report.problems.extend(problem_text(candidates, p) for p in cand_list.problems)
            report.problems.extend(problem_text(parties, p) for p in party_list.problems)
            report.ac_no, label_name = _ac_number(path, form, ac_no, report)
            report.ac_name = ac_name or label_name
            _station_ids(conn, path, state_code, report)
            report.problems.extend(notes)
            report.nota = (
                f"column {form.total_columns['nota'] + 1}: None of the Above -> "
                "polling_station_result.nota (party NOTA)"
                if form.has_nota
                else "no NOTA column"
            )
            matched = _match_candidates(conn, path, form, state_candidates, pc_no, min_similarity, report)
            party_ids = _parties(conn, path, candidates, matched, party_list.parties, report)
            for m in report.candidates:
                m.party = party_ids[m.code][1] if m.code else None
            ac_id = _constituencies(conn, state_code, report, pc_name)
            report.election_id, report.election_created = ensure_election(
                conn, election_type, year, election_state, round, f"Form 20 files ({path.parent.name})"
            )
            _write(conn, path, ac_id, delimitation, matched, party_ids, report, preview)
    except psycopg.errors.IntegrityError as exc:
        raise ElectoralLoadError(f"{path}: {db_error_line(exc)}; nothing imported") from None
    if previous_plan_mode is not None and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        # The caller's transaction goes on: give it back its setting.
        conn.execute("select set_config('plan_cache_mode', %s, true)", (previous_plan_mode,))
    return report


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

    By default the files are one transaction: all load or none does, and a refused file raises
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
        for i, path in enumerate(files):
            try:
                done.append(
                    import_form20(
                        conn, path, replace=replace, progress=progress, _preview=dry_run, **options
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
    fate: Fate = "rolled back" if dry_run else "committed"
    report.files = [Form20FileFate(r.file, fate, report=r) for r in done]
    return report


# --- the file ----------------------------------------------------------------------------------


def _ac_number(
    path: Path, form: Form20File, given: int | None, report: Form20ImportReport
) -> tuple[int, str | None]:
    label = _LABEL.match(form.constituency or "")
    label_no = int(label.group(1)) if label else None
    label_name = title_case(label.group(2)) if label else None
    if given is not None:
        if label_no is not None and label_no != given:
            report.problems.append(
                f"{path.name}: the file names its constituency {form.constituency!r}, "
                f"loaded as AC {given} as asked"
            )
        return given, label_name
    if label_no is not None:
        return label_no, label_name
    m = _FILE_NUMBER.search(path.stem)
    if m is None:
        raise refuse_lines(
            path, [(None, "the file does not name its constituency and its name has no number: pass ac_no")]
        )
    report.problems.append(
        f"{path.name}: the file does not name its constituency; "
        f"AC {int(m.group(1))} taken from the file name "
        "(pass ac_no if the source's numbering is not ECI's)"
    )
    return int(m.group(1)), None


def _stage(
    conn: psycopg.Connection,
    path: Path,
    reader: Form20Reader,
    report: Form20ImportReport,
    progress: Progress | None,
) -> list[str]:
    """COPY the file's stations (votes as an array) into stg_f20_station as they are read, each
    checked; the file is refused when a station's sums are wrong or a repeated serial cannot be
    kept apart. Returns the notes on stations whose total valid was empty (at most MAX_LISTED)."""
    temp_table(
        conn,
        "stg_f20_station",
        "line integer, serial text, serial_db text, occurrence integer, first_line integer, "
        "total_valid integer, rejected integer, nota integer, total integer, tendered integer, "
        "votes integer[], ps_id text",
    )
    form = reader.form
    nota_in_valid = form.nota_counted_in == "total_valid"
    errors: list[Problem] = []
    omitted = 0
    notes: list[str] = []

    def error(line: int, text: str) -> None:
        nonlocal omitted
        if len(errors) < MAX_LISTED:
            errors.append(Problem(line, text, "error"))
        else:
            omitted += 1

    def stations() -> Iterator[tuple[Any, ...]]:
        for r in reader.rows():
            serial_db = r.serial + REPEAT_SUFFIX * (r.occurrence - 1)
            if r.occurrence > 1 and not re.fullmatch(r"[0-9]{1,4}( ?[A-Za-z]{1,2})?", serial_db):
                error(
                    r.line, f"polling station {r.serial} appears {r.occurrence} times: cannot keep it apart"
                )
                continue
            nota = r.nota
            candidates_sum = sum(r.votes)
            valid = r.total_valid
            if valid is None:
                valid = candidates_sum + (nota or 0 if nota_in_valid else 0)
                if len(notes) < MAX_LISTED:
                    notes.append(
                        f"{path.name} line {r.line}: polling station {r.serial}: total valid empty, "
                        "taken as the candidates' sum"
                    )
            if nota_in_valid and nota:
                valid -= nota  # stored without NOTA, as polling_station_result.total_valid means
            rejected = r.rejected or 0
            total = r.total if r.total is not None else valid + rejected + (nota or 0)
            bad = []
            if candidates_sum != valid:
                bad.append(
                    f"the candidates' votes add up to {candidates_sum}, total valid (without NOTA) is {valid}"
                )
            if total != valid + rejected + (nota or 0):
                bad.append(
                    f"total valid {valid} + rejected {rejected} + NOTA {nota or 0} = "
                    f"{valid + rejected + (nota or 0)}, Total is {total}"
                )
            if bad:
                error(r.line, f"polling station {r.serial}: {'; '.join(bad)}")
                continue
            yield (r.line, r.serial, serial_db, r.occurrence, r.first_line, valid, rejected, nota, total,
                   r.tendered, r.votes)

    report.stations_read = copy_rows(
        conn,
        "stg_f20_station",
        ("line", "serial", "serial_db", "occurrence", "first_line", "total_valid", "rejected", "nota",
         "total", "tendered", "votes"),
        stations(),
        total=0,
        progress=None if progress is None else lambda _d, _t: progress(reader.position, reader.size),
    )
    # A repeat's serial (232 -> 232Z) must not be a serial the file has.
    clashes = conn.execute(
        """
        select s.line, s.serial, s.occurrence from pg_temp.stg_f20_station as s
        where s.occurrence > 1
            and exists (select from pg_temp.stg_f20_station as t where t.serial = s.serial_db)
        order by s.line limit %s
        """,
        (MAX_LISTED,),
    ).fetchall()
    for line, serial, occurrence in clashes:
        error(line, f"polling station {serial} appears {occurrence} times: cannot keep it apart")
    if errors or omitted:
        errors.sort(key=lambda e: e.line or 0)
        raise ElectoralFileError(path, errors[:MAX_LISTED], omitted + max(0, len(errors) - MAX_LISTED))
    conn.execute("create index on pg_temp.stg_f20_station (line)")
    report.result_rows = report.stations_read * len(form.candidates)
    return notes


def _station_ids(conn: psycopg.Connection, path: Path, state_code: str, report: Form20ImportReport) -> None:
    """ps_id '<state>-AC<nnn>-<serial>' (and '/2' for a repeated serial), and the repeats' report."""
    conn.execute(
        "update pg_temp.stg_f20_station set ps_id = %s || serial "
        "|| case when occurrence > 1 then '/' || occurrence else '' end",
        (f"{state_code}-AC{report.ac_no or 0:03d}-",),
    )
    repeats = conn.execute(
        """
        select line, serial, first_line, ps_id, serial_db, count(*) over ()
        from pg_temp.stg_f20_station where occurrence > 1 order by line limit %s
        """,
        (MAX_LISTED,),
    ).fetchall()
    for line, serial, first_line, ps_id, serial_db, _ in repeats:
        text = (
            f"{path.name} line {line}: polling station {serial} again, with other votes than line "
            f"{first_line}: kept as a separate station, ps_id {ps_id}, serial {serial_db}"
        )
        report.duplicate_serials.append(text)
        report.problems.append(text)
    if repeats and repeats[0][5] > len(repeats):
        more = repeats[0][5] - len(repeats)
        text = f"{path.name}: and {more:,} more repeated serials kept as separate stations"
        report.duplicate_serials.append(text)
        report.problems.append(text)


# --- candidates and parties ----------------------------------------------------------------------


def _match_candidates(
    conn: psycopg.Connection,
    path: Path,
    form: Form20File,
    state_candidates: list[Candidate],
    pc_no: int | None,
    min_similarity: float,
    report: Form20ImportReport,
) -> list[Candidate]:
    """The candidate of each column (in column order); refuses columns below min_similarity."""
    temp_table(conn, "stg_f20_column", "idx integer, name text, norm text, key text")
    copy_rows(
        conn,
        "stg_f20_column",
        ("idx", "name", "norm", "key"),
        (
            (i, n, normalise_name(n, drop_titles=True), name_key(n, drop_titles=True))
            for i, n in enumerate(form.candidates)
        ),
        total=len(form.candidates),
    )
    temp_table(conn, "stg_f20_candidate", "code text, name text, pc_no integer, norm text, key text")
    copy_rows(
        conn,
        "stg_f20_candidate",
        ("code", "name", "pc_no", "norm", "key"),
        (
            (
                c.code,
                c.name,
                c.pc_no,
                normalise_name(c.name, drop_titles=True),
                name_key(c.name, drop_titles=True),
            )
            for c in state_candidates
            if not c.is_nota
        ),
        total=len(state_candidates),
    )
    conn.execute("drop table if exists pg_temp.stg_f20_similarity")
    conn.execute(
        """
        create temporary table stg_f20_similarity on commit drop as
        select k.idx, c.code, c.pc_no,
            case when k.key = c.key then 1.0
                else greatest(public.similarity(k.norm, c.norm), public.similarity(k.key, c.key)) end as sim
        from pg_temp.stg_f20_column as k cross join pg_temp.stg_f20_candidate as c
        """
    )
    header_line = form.header_lines[0] if form.header_lines else None
    if pc_no is None:
        ranked = conn.execute(
            """
            select b.pc_no, avg(b.best)::float8 as score,
                abs((select count(*) from pg_temp.stg_f20_candidate as c where c.pc_no = b.pc_no)
                    - (select count(*) from pg_temp.stg_f20_column)) as size_gap
            from (select s.pc_no, s.idx, max(s.sim) as best from pg_temp.stg_f20_similarity as s
                  group by s.pc_no, s.idx) as b
            group by b.pc_no
            order by score desc, size_gap, b.pc_no
            limit 2
            """
        ).fetchall()
        if not ranked:
            raise refuse_lines(path, [(header_line, "no candidate columns to match")])
        pc_no = ranked[0][0]
        runner = f"; next best PC {ranked[1][0]} at {ranked[1][1]:.2f}" if len(ranked) > 1 else ""
        report.pc_match = (
            f"PC {pc_no}: its candidates match the file's {len(form.candidates)} columns with mean "
            f"similarity {ranked[0][1]:.2f}{runner}"
        )
    else:
        report.pc_match = f"PC {pc_no}: as given"
    report.pc_no = pc_no
    pairs = conn.execute(
        "select idx, code, sim::float8 from pg_temp.stg_f20_similarity where pc_no = %s "
        "order by sim desc, idx, code",
        (pc_no,),
    ).fetchall()
    by_code = {c.code: c for c in state_candidates}
    assigned: dict[int, tuple[str, float]] = {}
    taken: set[str] = set()
    for idx, code, sim in pairs:  # best pairs first, each column and candidate once
        if idx in assigned or code in taken or sim < min_similarity:
            continue
        assigned[idx] = (code, sim)
        taken.add(code)
    best = {}
    for idx, code, sim in pairs:
        best.setdefault(idx, (code, sim))
    unmatched = []
    for idx, name in enumerate(form.candidates):
        column = form.candidate_columns[idx] + 1
        if idx in assigned:
            code, sim = assigned[idx]
            report.candidates.append(
                CandidateMatch(column, name, by_code[code].name, code, None, round(sim, 3))
            )
        else:
            guess = best.get(idx)
            hint = (
                f"the closest candidate of PC {pc_no} is {by_code[guess[0]].name!r} at {guess[1]:.2f}"
                if guess
                else f"PC {pc_no} has no candidates"
            )
            unmatched.append(
                f"candidate column {column} {name!r} matches no candidate of PC {pc_no} "
                f"(similarity below {min_similarity}; {hint})"
            )
    if unmatched:
        raise ElectoralFileError(path, [Problem(header_line, u, "error") for u in unmatched])
    absent = [c.name for c in state_candidates if c.pc_no == pc_no and not c.is_nota and c.code not in taken]
    if absent:
        report.problems.append(
            f"{path.name}: candidate(s) of PC {pc_no} with no column in the file: {', '.join(absent)}"
        )
    return [by_code[assigned[i][0]] for i in range(len(form.candidates))]


def _parties(
    conn: psycopg.Connection,
    path: Path,
    candidates_path: Path,
    matched: list[Candidate],
    party_list: list,
    report: Form20ImportReport,
) -> dict[str, tuple[int, str]]:
    """candidate code -> (party_id, party key), resolving or creating each party by its ECI code."""
    names = {p.code: p.name for p in party_list}
    missing = [c for c in matched if c.party_code not in names]
    if missing:
        raise refuse_lines(
            candidates_path,
            [(c.line, f"party code {c.party_code} of {c.name} is not in the party list") for c in missing],
        )
    codes = sorted({c.party_code for c in matched})
    temp_table(conn, "stg_f20_party", "code text, name text")
    copy_rows(conn, "stg_f20_party", ("code", "name"), ((c, names[c]) for c in codes), total=len(codes))
    # Known by name only: give the party its ECI code (unless it has another one).
    for code, name in conn.execute(
        """
        update public.party as p set eci_code = s.code
        from pg_temp.stg_f20_party as s
        where public.party_resolve(s.code) is null and p.party_id = public.party_resolve(s.name)
            and p.eci_code is null
        returning s.code, p.name
        """
    ).fetchall():
        report.problems.append(f"party {name!r} was registered without an ECI code: given {code}")
    created = conn.execute(
        """
        insert into public.party (name, eci_code, kind)
        select s.name, s.code, 'party' from pg_temp.stg_f20_party as s
        where public.party_resolve(s.code) is null and public.party_resolve(s.name) is null
        order by s.code
        returning name || ' (' || eci_code || ')'
        """
    ).fetchall()
    report.parties_created = [r[0] for r in created]
    if created:
        report.problems.append(
            f"{len(created)} part(ies) created with their ECI codes: {', '.join(report.parties_created)}"
        )
    ids = dict(
        (code, (pid, key))
        for code, pid, key in conn.execute(
            """
            select s.code, coalesce(public.party_resolve(s.code), public.party_resolve(s.name)) as pid,
                public.party_key(coalesce(public.party_resolve(s.code), public.party_resolve(s.name)))
            from pg_temp.stg_f20_party as s
            """
        ).fetchall()
    )
    return {c.code: ids[c.party_code] for c in matched}


# --- the registry rows -----------------------------------------------------------------------


def _constituencies(
    conn: psycopg.Connection, state: str, report: Form20ImportReport, pc_name: str | None
) -> int:
    """The AC's id, creating the PC and AC rows when missing."""
    assert report.ac_no is not None and report.pc_no is not None
    source = f"{report.file.name} and {report.candidates_file.name} (Form 20; no boundary)"
    pc = conn.execute(
        """
        insert into public.constituency as c (state_code, kind, number, name, source)
        values (%s, 'PC', %s, %s, %s)
        on conflict (state_code, kind, number) do update set name = excluded.name
        where %s::boolean and c.name is distinct from excluded.name
        returning constituency_id, (xmax = 0)
        """,
        (state, report.pc_no, pc_name or f"PC {report.pc_no}", source, pc_name is not None),
    ).fetchone()
    if pc is None:
        row = conn.execute(
            "select constituency_id from public.constituency "
            "where state_code = %s and kind = 'PC' and number = %s",
            (state, report.pc_no),
        ).fetchone()
        assert row is not None
        pc = (row[0], False)
    if pc[1]:
        report.constituencies_created.append(f"PC {report.pc_no} of {state}")
        if pc_name is None:
            report.problems.append(
                f"PC {report.pc_no} of {state}: no name in the sources, registered as 'PC {report.pc_no}'"
            )
    name = report.ac_name
    ac = conn.execute(
        """
        insert into public.constituency as c (state_code, kind, number, name, pc_id, source)
        values (%s, 'AC', %s, %s, %s, %s)
        on conflict (state_code, kind, number) do update set
            name = case when %s::boolean then excluded.name else c.name end,
            pc_id = coalesce(c.pc_id, excluded.pc_id)
        where (%s::boolean and c.name is distinct from excluded.name) or c.pc_id is null
        returning constituency_id, (xmax = 0), pc_id
        """,
        (
            state,
            report.ac_no,
            name or f"AC {report.ac_no}",
            pc[0],
            source,
            name is not None,
            name is not None,
        ),
    ).fetchone()
    if ac is None:
        row = conn.execute(
            "select constituency_id, false, pc_id, name from public.constituency "
            "where state_code = %s and kind = 'AC' and number = %s",
            (state, report.ac_no),
        ).fetchone()
        assert row is not None
        ac = row[:3]
        report.ac_name = row[3]
    if ac[1]:
        report.constituencies_created.append(f"AC {report.ac_no} of {state}")
        if name is None:
            report.ac_name = f"AC {report.ac_no}"
            report.problems.append(
                f"AC {report.ac_no} of {state}: no name in the file, registered as 'AC {report.ac_no}'"
            )
    if ac[2] != pc[0]:
        report.problems.append(
            f"AC {report.ac_no} of {state} belongs to another PC in the registry than PC {report.pc_no} "
            "(its candidates'); the registry's link is kept"
        )
    return ac[0]


def _write(
    conn: psycopg.Connection,
    path: Path,
    ac_id: int,
    delimitation: int,
    matched: list[Candidate],
    party_ids: dict[str, tuple[int, str]],
    report: Form20ImportReport,
    preview: bool,
) -> None:
    e = report.election_id
    n_votes = report.result_rows
    temp_table(conn, "stg_f20_map", "idx integer, candidate text, party_id integer")
    copy_rows(
        conn,
        "stg_f20_map",
        ("idx", "candidate", "party_id"),
        ((i + 1, c.name, party_ids[c.code][0]) for i, c in enumerate(matched)),
        total=len(matched),
    )
    conn.execute("drop table if exists pg_temp.stg_f20_vote")
    conn.execute(
        """
        create temporary table stg_f20_vote on commit drop as
        select s.ps_id, s.line, m.candidate, m.party_id, v.votes
        from pg_temp.stg_f20_station as s
        cross join lateral unnest(s.votes) with ordinality as v(votes, idx)
        inner join pg_temp.stg_f20_map as m on m.idx = v.idx
        """
    )
    conn.execute("create index on pg_temp.stg_f20_vote (ps_id, candidate)")
    conn.execute("analyze pg_temp.stg_f20_station")
    conn.execute("analyze pg_temp.stg_f20_vote")
    file_meta = json.dumps({"file": path.name})
    stations = report.stations_read
    report.stations_inserted, report.stations_updated, report.stations_unchanged = upsert_counts(
        conn,
        """
        insert into public.polling_station as p (ps_id, delimitation, constituency_id, serial, source_meta)
        select s.ps_id, %(d)s, %(ac)s, s.serial_db,
            %(meta)s::jsonb || jsonb_build_object('line', s.line)
                || case when s.occurrence > 1 then jsonb_build_object(
                    'serial_as_typed', s.serial, 'occurrence', s.occurrence,
                    'note', 'the serial appears more than once in the file') else '{}'::jsonb end
        from pg_temp.stg_f20_station as s
        order by s.line
        on conflict (delimitation, ps_id) do update set
            constituency_id = excluded.constituency_id, serial = excluded.serial,
            source_meta = excluded.source_meta
        where (p.constituency_id, p.serial, p.source_meta)
            is distinct from (excluded.constituency_id, excluded.serial, excluded.source_meta)
        returning (xmax = 0)
        """,
        {"d": delimitation, "ac": ac_id, "meta": file_meta},
        stations,
    )
    conn.execute("drop table if exists pg_temp.stg_f20_station_id")
    conn.execute(
        """
        create temporary table stg_f20_station_id on commit drop as
        select s.*, p.id as station_id
        from pg_temp.stg_f20_station as s
        inner join public.polling_station as p on p.delimitation = %s and p.ps_id = s.ps_id
        """,
        (delimitation,),
    )
    _check_removals(conn, path, ac_id, delimitation, report, preview)
    conn.execute(
        """
        delete from public.polling_station_result as r
        using public.polling_station as p
        where r.election_id = %s and p.id = r.polling_station_id and p.constituency_id = %s
            and p.delimitation = %s
            and r.polling_station_id not in (select s.station_id from pg_temp.stg_f20_station_id as s)
        """,
        (e, ac_id, delimitation),
    )
    (report.station_results_inserted, report.station_results_updated, report.station_results_unchanged) = (
        upsert_counts(
        conn,
        """
        insert into public.polling_station_result as r
            (election_id, polling_station_id, total_valid, rejected, nota, total_polled, tendered,
             source_meta)
        select %(e)s, s.station_id, s.total_valid, s.rejected, s.nota, s.total, s.tendered,
            %(meta)s::jsonb || jsonb_build_object('line', s.line)
        from pg_temp.stg_f20_station_id as s
        order by s.line
        on conflict (election_id, polling_station_id) do update set
            total_valid = excluded.total_valid, rejected = excluded.rejected, nota = excluded.nota,
            total_polled = excluded.total_polled, tendered = excluded.tendered,
            source_meta = excluded.source_meta
        where (r.total_valid, r.rejected, r.nota, r.total_polled, r.tendered, r.source_meta)
            is distinct from (excluded.total_valid, excluded.rejected, excluded.nota, excluded.total_polled,
                excluded.tendered, excluded.source_meta)
        returning (xmax = 0)
        """,
        {"e": e, "meta": file_meta},
        stations,
    ))
    conn.execute(
        """
        delete from public.result_ps as r
        using pg_temp.stg_f20_station_id as s
        where r.election_id = %s and r.polling_station_id = s.station_id
            and not exists (select from pg_temp.stg_f20_vote as v
                            where v.ps_id = s.ps_id and v.candidate = r.candidate)
        """,
        (e,),
    )
    report.results_inserted, report.results_updated, report.results_unchanged = upsert_counts(
        conn,
        """
        insert into public.result_ps as r
            (election_id, polling_station_id, candidate, party_id, votes, created_at)
        select %s, s.station_id, v.candidate, v.party_id, v.votes,
            (select public.lokdarpan_now())  -- the column's default, computed once, not once per row
        from pg_temp.stg_f20_vote as v
        inner join pg_temp.stg_f20_station_id as s on s.ps_id = v.ps_id
        order by s.line, v.candidate
        on conflict (election_id, polling_station_id, candidate) do update set
            party_id = excluded.party_id, votes = excluded.votes
        where (r.party_id, r.votes) is distinct from (excluded.party_id, excluded.votes)
        returning (xmax = 0)
        """,
        (e,),
        n_votes,
    )


def _check_removals(
    conn: psycopg.Connection,
    path: Path,
    ac_id: int,
    delimitation: int,
    report: Form20ImportReport,
    preview: bool,
) -> None:
    """Count what the file no longer has (the election's results at the AC's other stations, and
    candidate rows of its stations); refuse unless replace (a dry run reports it)."""
    row = conn.execute(
        """
        with gone_station as (
            select r.election_id, r.polling_station_id
            from public.polling_station_result as r
            inner join public.polling_station as p on p.id = r.polling_station_id
            where r.election_id = %(e)s and p.constituency_id = %(ac)s and p.delimitation = %(d)s
                and r.polling_station_id not in (select s.station_id from pg_temp.stg_f20_station_id as s)
        ),
        gone_row as (
            select v.votes from public.result_ps as v
            inner join gone_station as g
                on g.election_id = v.election_id and g.polling_station_id = v.polling_station_id
            union all
            select r.votes from public.result_ps as r
            inner join pg_temp.stg_f20_station_id as s on s.station_id = r.polling_station_id
            where r.election_id = %(e)s
                and not exists (select from pg_temp.stg_f20_vote as v
                                where v.ps_id = s.ps_id and v.candidate = r.candidate)
        )
        select (select count(*) from gone_station), (select count(*) from gone_row),
            (select coalesce(sum(g.votes), 0) from gone_row as g)
        """,
        {"e": report.election_id, "ac": ac_id, "d": delimitation},
    ).fetchone()
    assert row is not None
    report.station_results_removed, report.results_removed, report.votes_removed = (int(v) for v in row)
    check_removals(
        path.name,
        report.removed,
        f"of AC {report.ac_no} in election {report.election_type} {report.year} that earlier imports "
        "loaded and this file no longer has",
        replace=report.replace,
        dry_run=preview,
        problems=report.problems,
    )
