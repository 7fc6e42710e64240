"""Load a constituency-wise results file (ECI's, or another publisher's through a column mapping).

Python reads and checks the file (ResultsReader, results_csv.py: a bad row refuses the file,
naming the line) and COPYs its rows, as they are read, into the session's staging table
(constituency_result_stage()). The database does the rest, in the same transaction, in one call
of constituency_result_merge() (code change code/electoral/results_merge/merge, its pgTAP suite
db/tests/code/electoral/results_merge/merge.sql):

- the election row (type, year, state, round) is found or created; a Lok Sabha election is one
  election for the whole country (election.state_code null), its constituencies are the state's;
- constituencies resolve by number (match_by 'number': every number must be registered, `lokdarpan-db
  import constituencies`; a name that differs from the registry's, other than by case,
  punctuation or the reservation suffix, is reported with its trigram similarity) or by name
  (match_by 'name', or 'auto' when the file has no number column): the normalised name or a
  recorded alias (constituency_alias: Bhuvanagiri is Bhongir) exactly, else pg_trgm similarity at
  least min_similarity (0.5) and 0.1 above the next constituency; an ambiguous or weak name, or
  two names of one constituency, refuses the file naming the line and the candidates with their
  similarity; every match that is not exact is reported, one line each;
- parties resolve by any registered spelling (TRS is BRS), the same letters without spaces
  (I.N.C.), "Name (ABBR)" naming one party, or a word-by-word trigram match pointing at one party;
  an ambiguous or weak one refuses the file; a spelling no rule reaches is a new party (kind
  party), reported;
- a candidate twice in one constituency refuses the file;
- the election's rows for the constituencies in the file are replaced by the file's: rows are
  upserted on (election, constituency, candidate), rows of those constituencies that the file no
  longer has are deleted — only with replace=True (`--replace`): otherwise an import that would
  delete any is refused naming the count of rows and votes (a dry run reports them), so a short
  or cut file never turns into deletions —, rows of other constituencies are not touched; a
  re-import of the same file changes nothing (every row unchanged);
- constituency_result_share.vote_share (computed) is compared with the published percent on every
  row that has one, and each difference is reported;
- with recompute=True (default) recompute_electoral() refreshes result_ward_agg, ward_profile and
  ward_features.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ...facts import ELECTION_TYPES, ElectionType
from ..safety import amount, check_removals
from ._common import MAX_LISTED, ElectoralFileError, Problem
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
from .results_csv import ConstituencyType, MatchBy, ResultsReader

DEFAULT_RESULTS = DATA_DIR / "telangana-assembly-2023-results.csv"
STATE_CODE = re.compile(r"^[SU][0-9]{2}$")
# Below this pg_trgm similarity a constituency name matches nothing (constituency_result_merge()).
DEFAULT_MIN_SIMILARITY = 0.5


@dataclass
class ResultsImportReport(ReportMixin):
    """What import_results did (or, with dry_run, would do)."""

    file: Path
    election_type: str
    year: int
    state_code: str | None
    round: str | None
    dry_run: bool = False
    election_id: int | None = None
    election_created: bool = False
    rows_read: int = 0
    constituencies: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    votes_removed: int = 0
    replace: bool = False
    parties_resolved: int = 0
    parties_created: list[str] = field(default_factory=list)
    name_mismatches: list[str] = field(default_factory=list)
    match_by: str = "number"
    matches: list[str] = field(default_factory=list)  # constituencies matched by name, not exactly
    party_matches: list[str] = field(default_factory=list)  # parties matched other than by an alias
    shares_checked: int = 0
    share_differences: list[str] = field(default_factory=list)
    recomputed: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def ensure_election(
    conn: psycopg.Connection,
    election_type: str,
    year: int,
    state_code: str | None,
    round: str | None,
    source: str,
) -> tuple[int, bool]:
    """The election's id, creating the row when missing; (id, created). election_ensure()
    (code/electoral/results_merge/merge), which constituency_result_merge() calls too."""
    row = conn.execute(
        "select election_id, created from public.election_ensure(%s, %s, %s, %s, %s)",
        (election_type, year, state_code, round, source),
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def import_results(
    conn: psycopg.Connection,
    path: Path | str = DEFAULT_RESULTS,
    *,
    election_type: ElectionType = "ASSEMBLY",
    year: int = 2023,
    state_code: str | None = None,
    round: str | None = None,
    mapping: Mapping[str, str] | Path | str | None = None,
    delimiter: str | None = None,
    constituency_type: ConstituencyType = "AC",
    match_by: MatchBy = "auto",
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
    publisher: str | None = None,
    recompute: bool = True,
    dry_run: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> ResultsImportReport:
    """Load a constituency-wise results file for one election; see the module docstring.

    state_code None takes it from the file's state column (one state per file). match_by 'auto'
    matches constituencies by number when the file has the number column, else by name; 'name'
    ignores the number column. Raises ElectoralFileError (a BadInputError naming file, line and
    reason) for a bad file, an unregistered, ambiguous or weakly matched constituency or party,
    ElectoralLoadError for impossible arguments, RemovalRefusedError when the file would remove
    rows of its constituencies that earlier imports loaded and replace is False (a dry run reports
    them instead); nothing is written then.
    """
    path = Path(path)
    if election_type not in ELECTION_TYPES:
        raise ElectoralLoadError(
            f"election_type must be one of {', '.join(ELECTION_TYPES)}, not {election_type!r}")
    if not 1951 <= year <= 2100:
        raise ElectoralLoadError(f"year {year} is not an election year (1951-2100)")
    if round is not None and (round != round.strip() or not round):
        raise ElectoralLoadError(f"round {round!r} must be a trimmed, non-empty name (or None)")
    if not (isinstance(min_similarity, (int, float)) and 0.3 <= min_similarity <= 1):  # NaN fails too
        raise ElectoralLoadError(f"min_similarity {min_similarity!r} must be between 0.3 and 1")
    report = ResultsImportReport(path, election_type, year, None, round, dry_run=dry_run, replace=replace)
    meta = {"file": path.name} | ({"publisher": publisher} if publisher else {})
    try:
        with (
            ResultsReader(
                path,
                mapping=mapping,
                delimiter=delimiter,
                constituency_type=constituency_type,
                match_by=match_by,
            ) as reader,
            load_transaction(conn, dry_run),
        ):
            report.match_by = reader.match_by
            # The file streams into staging as it is read (memory bounded whatever its size);
            # constituency_result_merge() (code/electoral/results_merge/merge) does the rest.
            conn.execute("select public.constituency_result_stage()")
            copy_rows(
                conn,
                "pg_temp.constituency_result_stage",
                STAGE_COLUMNS,
                (
                    (
                        r.line,
                        r.constituency_no,
                        r.constituency_name,
                        r.candidate,
                        r.party,
                        r.evm_votes,
                        r.postal_votes,
                        r.total_votes,
                        r.percent_votes,
                    )
                    for r in reader.rows()
                ),
                total=0,
                progress=None if progress is None else lambda _d, _t: progress(reader.position, reader.size),
            )
            _finish(conn, reader)
            state = _state_of(path, reader.states, state_code)
            report.state_code = state
            report.problems.extend(problem_text(path, p) for p in reader.problems)
            report.rows_read = reader.rows_read
            merged = _merge(conn, path, report, state, constituency_type, min_similarity, meta)
            _fill(report, merged, constituency_type)
            if recompute:
                report.recomputed = {
                    step: rows for step, rows in conn.execute("select * from public.recompute_electoral()")
                }
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
        raise ElectoralLoadError(f"{path}: {db_error_line(exc)}; nothing imported") from None
    return report


# The staging table's columns as the COPY sends them (constituency_result_stage() makes the table).
STAGE_COLUMNS = (
    "line",
    "constituency_no",
    "constituency_name",
    "candidate",
    "party",
    "evm_votes",
    "postal_votes",
    "total_votes",
    "published_percent",
)


def _finish(conn: psycopg.Connection, reader: ResultsReader) -> None:
    """The reader's whole-file checks; a file refused by them is also asked for its repeated candidates
    (constituency_result_stage_duplicates()), so that one error lists both. A file they pass is
    checked for repeats by constituency_result_merge() itself (once, not twice)."""
    try:
        reader.finish()
    except ElectoralFileError as exc:
        duplicates = conn.execute(
            "select * from public.constituency_result_stage_duplicates(%s)", (MAX_LISTED,)
        ).fetchall()
        if not duplicates:
            raise
        problems = sorted(
            exc.problems + [Problem(line, message, "error") for line, message, _ in duplicates],
            key=lambda p: p.line or 0,
        )
        omitted = exc.omitted + duplicates[0][2] - len(duplicates) + max(0, len(problems) - MAX_LISTED)
        raise ElectoralFileError(exc.path, problems[:MAX_LISTED], omitted) from None


def _merge(
    conn: psycopg.Connection,
    path: Path,
    report: ResultsImportReport,
    state: str,
    kind: str,
    min_similarity: float,
    meta: dict[str, str],
) -> dict[str, Any]:
    """constituency_result_merge()'s report; its refusals as this file's errors (LDI01: the file's
    problems, LDI02: removals without --replace)."""
    try:
        row = conn.execute(
            "select public.constituency_result_merge(%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s::real, %s)",
            (
                report.election_type,
                report.year,
                state,
                report.round,
                kind,
                report.match_by,
                json.dumps(meta),
                report.replace or report.dry_run,
                min_similarity,
                MAX_LISTED,
            ),
        ).fetchone()
    except psycopg.Error as exc:
        code = exc.sqlstate
        detail = json.loads(exc.diag.message_detail or "{}") if code in ("LDI01", "LDI02") else {}
        if code == "LDI01":
            problems = [Problem(p["line"], p["message"], "error") for p in detail.get("problems", [])]
            raise ElectoralFileError(path, problems, int(detail.get("total", 0)) - len(problems)) from None
        if code == "LDI02":
            removing = amount(int(detail["removed"]), "candidate row") + (
                f" ({amount(int(detail['votes_removed']), 'vote')})"
            )
            check_removals(
                path.name, removing, _removal_scope(report, int(detail["constituencies"])),
                replace=False, dry_run=False, problems=report.problems,
            )
        raise
    assert row is not None
    return dict(row[0])


def _removal_scope(report: ResultsImportReport, constituencies: int) -> str:
    return (
        f"of {amount(constituencies, 'constituency', 'constituencies')} in election {report.election_type} "
        f"{report.year} that earlier imports loaded and this file no longer has"
    )


def _fill(report: ResultsImportReport, merged: dict[str, Any], kind: str) -> None:
    """The report's fields and lines from constituency_result_merge()'s JSON."""
    name = report.file.name
    report.election_id, report.election_created = merged["election_id"], merged["election_created"]
    report.constituencies = merged["constituencies"]
    report.inserted, report.updated = merged["inserted"], merged["updated"]
    report.unchanged = merged["unchanged"]
    report.removed, report.votes_removed = merged["removed"], merged["votes_removed"]
    if report.removed:
        removing = f"{amount(report.removed, 'candidate row')} ({amount(report.votes_removed, 'vote')})"
        check_removals(
            name, removing, _removal_scope(report, merged["constituencies_removed_from"]),
            replace=report.replace, dry_run=report.dry_run, problems=report.problems,
        )
    for m in merged["constituency_matches"]:
        text = _constituency_match_text(name, kind, m)
        reserved_differs = m["file_reserved"] and m["file_reserved"] != m["reserved_for"]
        if m["how"] == "number, name differs" or reserved_differs:
            report.name_mismatches.append(text)
        else:
            report.matches.append(text)
        report.problems.append(text)
    for m in merged["party_matches"]:
        how = "by trigram" if m["how"] == "fuzzy" else "normalised"
        text = (
            f"{name} line {m['line']}: party {m['party']!r} matched {how} to {m['registry_name']!r}"
            + (f" (similarity {m['similarity']:.2f})" if m["similarity"] is not None else "")
        )
        report.party_matches.append(text)
        report.problems.append(text)
    report.parties_created = list(merged["parties_created"])
    report.parties_resolved = merged["parties_resolved"]
    if report.parties_created:
        n = len(report.parties_created)
        report.problems.append(
            f"{name}: {n} part{'y' if n == 1 else 'ies'} not in the registry, "
            f"created (kind party): {', '.join(report.parties_created)}"
        )
    report.shares_checked = merged["shares_checked"]
    for d in merged["share_differences"]:
        text = (
            f"{name} line {d['line']}: constituency {d['number']} {d['candidate']!r}: vote share "
            f"{d['vote_share']} computed from the votes, {d['published_percent']} published"
        )
        report.share_differences.append(text)
        report.problems.append(text)
    if merged["share_differences_more"] > 0:
        report.problems.append(
            f"{name}: and {merged['share_differences_more']:,} more vote shares differ from the published"
        )


def _state_of(path: Path, states: dict[str, int], given: str | None) -> str:
    errors: list[tuple[int | None, str]] = []
    if given is not None:
        if not STATE_CODE.match(given):
            raise ElectoralLoadError(f"state_code {given!r} is not an ECI state code like S29")
        for code, line in states.items():
            if code != given:
                errors.append((line, f"state {code}, but the load is for state {given}"))
        if errors:
            raise refuse_lines(path, errors)
        return given
    if not states:
        raise refuse_lines(path, [(None, "the file has no state code column: pass state_code (e.g. S29)")])
    if len(states) > 1:
        listing = ", ".join(f"{c} (line {n})" for c, n in states.items())
        raise refuse_lines(
            path, [(None, f"more than one state in the file: {listing}; load one state per file")]
        )
    code, line = next(iter(states.items()))
    if not STATE_CODE.match(code):
        raise refuse_lines(path, [(line, f"state code {code!r} is not an ECI state code like S29")])
    return code


def _constituency_match_text(name: str, kind: str, m: dict[str, Any]) -> str:
    where_ = f"{name} line {m['line']}"
    number, file_name, registry = m["number"], m["file_name"], m["registry_name"]
    if m["file_reserved"] and m["file_reserved"] != m["reserved_for"]:
        return (
            f"{where_}: {kind} {number} {file_name!r} is reserved for {m['file_reserved']} in the file, "
            f"{m['reserved_for'] or 'not reserved'} in the registry"
        )
    if m["how"] == "number, name differs":
        return (
            f"{where_}: {kind} {number} is {file_name!r} in the file but {registry!r} in the registry "
            f"(similarity {m['similarity']:.2f}); loaded as {kind} {number}"
        )
    label = {"normalised": "by its normalised name", "alias": "by a recorded alias", "trigram": "by trigram"}
    similarity = f" (similarity {m['similarity']:.2f})" if m["how"] == "trigram" else ""
    to = f"{kind} {number} {registry!r}"
    return f"{where_}: {kind} {file_name!r} matched {label[m['how']]} to {to}{similarity}"


__all__ = ["DEFAULT_RESULTS", "ResultsImportReport", "ensure_election", "import_results"]
