"""The registry side of a Form 20 import: which AC and PC the file is, which candidate each column
is (pg_trgm against ECI's candidate list), the candidates' parties, and the AC and PC rows.

See load_form20's docstring for the rules; import_form20 calls these in its transaction. Python
reads the file and ECI's lists; the SQL is in db/ (code change code/electoral/registry/*, pgTAP
under db/tests/code/electoral/registry/): form20_match_candidates() pairs the columns with the
candidates in one call per file, form20_parties() finds or makes the parties, form20_constituency()
finds or makes the AC and PC, checking the name the file gives with constituency_name_match(), the
matcher of results files matched by name (so both accept and refuse the same spellings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from ._common import ElectoralFileError, Problem
from .eci_lists import Candidate
from .form20 import Form20File
from .load_common import refuse_lines, title_case
from .load_results import DEFAULT_MIN_SIMILARITY as NAME_MIN_SIMILARITY
from .names import name_key, normalise_name

if TYPE_CHECKING:
    from .load_form20 import Form20ImportReport

_LABEL = re.compile(r"^\s*(\d{1,3})\s*-\s*(.+?)\s*$")
_FILE_NUMBER = re.compile(r"(\d{1,3})(?!.*\d)")


@dataclass
class CandidateMatch:
    """One candidate column of the file and the candidate it was paired with."""

    column: int
    name_in_file: str
    candidate: str | None
    code: str | None
    party: str | None
    similarity: float


def ac_number(
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
            return given, None  # the label's name is another AC's
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



# --- candidates and parties ----------------------------------------------------------------------


def match_candidates(
    conn: psycopg.Connection,
    path: Path,
    form: Form20File,
    state_candidates: list[Candidate],
    pc_no: int | None,
    min_similarity: float,
    report: Form20ImportReport,
) -> list[Candidate]:
    """The candidate of each column (in column order); refuses columns below min_similarity."""
    exact = _exact_match(form, state_candidates, pc_no)
    if exact is not None:
        pc_no, matched = exact
        report.pc_no = pc_no
        report.pc_match = (
            f"PC {pc_no}: its candidates match the file's {len(form.candidates)} columns exactly "
            "(same name keys; no other PC's do)"
        )
        for idx, c in enumerate(matched):
            column, name = form.candidate_columns[idx] + 1, form.candidates[idx]
            report.candidates.append(CandidateMatch(column, name, c.name, c.code, None, 1.0))
        _report_absent(path, pc_no, state_candidates, {c.code for c in matched}, report)
        return matched
    candidates = [c for c in state_candidates if not c.is_nota]
    rows = conn.execute(
        "select idx, pc_no, pc_score, next_pc, next_score, code, similarity, nearest_code, "
        "nearest_similarity from public.form20_match_candidates("
        "%s::text[], %s::text[], %s::text[], %s::integer[], %s::text[], %s::text[], %s, %s)",
        (
            [normalise_name(n, drop_titles=True) for n in form.candidates],
            [name_key(n, drop_titles=True) for n in form.candidates],
            [c.code for c in candidates],
            [c.pc_no for c in candidates],
            [normalise_name(c.name, drop_titles=True) for c in candidates],
            [name_key(c.name, drop_titles=True) for c in candidates],
            pc_no,
            float(min_similarity),
        ),
    ).fetchall()
    header_line = form.header_lines[0] if form.header_lines else None
    if pc_no is None:
        if not rows:
            raise refuse_lines(path, [(header_line, "no candidate columns to match")])
        _, pc_no, score, next_pc, next_score = rows[0][:5]
        runner = f"; next best PC {next_pc} at {next_score:.2f}" if next_pc is not None else ""
        report.pc_match = (
            f"PC {pc_no}: its candidates match the file's {len(form.candidates)} columns with mean "
            f"similarity {score:.2f}{runner}"
        )
    else:
        report.pc_match = f"PC {pc_no}: as given"
    report.pc_no = pc_no
    by_code = {c.code: c for c in state_candidates}
    unmatched = []
    for idx, _pc, _score, _next, _next_score, code, sim, nearest, nearest_sim in rows:
        name = form.candidates[idx]
        column = form.candidate_columns[idx] + 1
        if code is not None:
            match = CandidateMatch(column, name, by_code[code].name, code, None, round(sim, 3))
            report.candidates.append(match)
        else:
            hint = (
                f"the closest candidate of PC {pc_no} is {by_code[nearest].name!r} at {nearest_sim:.2f}"
                if nearest is not None
                else f"PC {pc_no} has no candidates"
            )
            unmatched.append(
                f"candidate column {column} {name!r} matches no candidate of PC {pc_no} "
                f"(similarity below {min_similarity}; {hint})"
            )
    if unmatched:
        raise ElectoralFileError(path, [Problem(header_line, u, "error") for u in unmatched])
    _report_absent(path, pc_no, state_candidates, {r[5] for r in rows}, report)
    return [by_code[r[5]] for r in rows]


def _report_absent(
    path: Path, pc_no: int, state_candidates: list[Candidate], taken: set[str], report: Form20ImportReport
) -> None:
    absent = [c.name for c in state_candidates if c.pc_no == pc_no and not c.is_nota and c.code not in taken]
    if absent:
        report.problems.append(
            f"{path.name}: candidate(s) of PC {pc_no} with no column in the file: {', '.join(absent)}"
        )


def _exact_match(
    form: Form20File, state_candidates: list[Candidate], pc_no: int | None
) -> tuple[int, list[Candidate]] | None:
    """(PC, the candidate of each column) when every column's name key (titles dropped) is the key
    of a different candidate of exactly one PC (of pc_no, when given): then no trigram matching is
    needed (the similarity would be 1.0 for each). None otherwise: the database matches by trigram."""
    keys = [name_key(n, drop_titles=True) for n in form.candidates]
    if not keys or len(set(keys)) != len(keys):
        return None
    by_pc: dict[int, dict[str, Candidate | None]] = {}
    for c in state_candidates:
        if c.is_nota or (pc_no is not None and c.pc_no != pc_no):
            continue
        pc = by_pc.setdefault(c.pc_no, {})
        key = name_key(c.name, drop_titles=True)
        pc[key] = None if key in pc else c  # two candidates of one PC with one key: not exact
    fits = [(pc, [found[k] for k in keys]) for pc, found in by_pc.items() if all(found.get(k) for k in keys)]
    if len(fits) != 1:
        return None
    pc, matched = fits[0]
    return pc, [c for c in matched if c is not None]


def parties(
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
    rows = conn.execute(
        "select code, party_id, party_key, registry_name, how "
        "from public.form20_parties(%s::text[], %s::text[])",
        (codes, [names[c] for c in codes]),
    ).fetchall()
    for code, _pid, _key, name, how in rows:
        if how == "code given":
            report.problems.append(f"party {name!r} was registered without an ECI code: given {code}")
    report.parties_created = [f"{name} ({code})" for code, _pid, _key, name, how in rows if how == "created"]
    if report.parties_created:
        report.problems.append(
            f"{len(report.parties_created)} part(ies) created with their ECI codes: "
            f"{', '.join(report.parties_created)}"
        )
    ids = {code: (pid, key) for code, pid, key, _name, _how in rows}
    return {c.code: ids[c.party_code] for c in matched}


# --- the registry rows -----------------------------------------------------------------------


def constituencies(
    conn: psycopg.Connection, state: str, report: Form20ImportReport, pc_name: str | None
) -> int:
    """The AC's id, creating the PC and AC rows when missing (form20_constituency()). A name the
    file (or pc_name) gives is matched as a results file's constituency name would be: a spelling
    of the registered constituency is reported and the registry's name kept; a name that is another
    constituency's, or resembles none, refuses the file."""
    assert report.ac_no is not None and report.pc_no is not None
    source = f"{report.file.name} and {report.candidates_file.name} (Form 20; no boundary)"
    pc = _constituency(conn, state, report, "PC", report.pc_no, pc_name, None, source)
    if pc[1]:
        report.constituencies_created.append(f"PC {report.pc_no} of {state}")
        if pc_name is None:
            report.problems.append(
                f"PC {report.pc_no} of {state}: no name in the sources, registered as 'PC {report.pc_no}'"
            )
    ac = _constituency(conn, state, report, "AC", report.ac_no, report.ac_name, pc[0], source)
    report.ac_name = ac[2]
    if ac[1]:
        report.constituencies_created.append(f"AC {report.ac_no} of {state}")
        if ac[2] == f"AC {report.ac_no}":
            report.problems.append(
                f"AC {report.ac_no} of {state}: no name in the file, registered as 'AC {report.ac_no}'"
            )
    if ac[3] != pc[0]:
        report.problems.append(
            f"AC {report.ac_no} of {state} belongs to another PC in the registry than PC {report.pc_no} "
            "(its candidates'); the registry's link is kept"
        )
    return ac[0]


_HOW = {"normalised": "by its normalised name", "alias": "by a recorded alias", "trigram": "by trigram"}


def _constituency(
    conn: psycopg.Connection,
    state: str,
    report: Form20ImportReport,
    kind: str,
    number: int,
    name: str | None,
    pc_id: int | None,
    source: str,
) -> tuple[int, bool, str, int | None]:
    """(constituency_id, created, registry name, pc_id) of form20_constituency(); a match that is
    not exact as a report line, its refusal as the file's error."""
    row = conn.execute(
        "select constituency_id, created, name, pc_id, how, similarity, problem "
        "from public.form20_constituency(%s, %s, %s, %s, %s, %s, %s::real)",
        (state, kind, number, name, pc_id, source, NAME_MIN_SIMILARITY),
    ).fetchone()
    assert row is not None
    cid, created, registry_name, linked, how, similarity, problem = row
    if problem is not None:
        raise refuse_lines(report.file, [(None, problem)])
    if how in _HOW and not created:
        sim = f" (similarity {similarity:.2f})" if how == "trigram" else ""
        to = f"{kind} {number} {registry_name!r}"
        report.problems.append(f"{report.file.name}: {kind} {name!r} matched {_HOW[how]} to {to}{sim}")
    return cid, created, registry_name, linked
