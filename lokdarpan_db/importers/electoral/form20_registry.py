"""The registry side of a Form 20 import: which AC and PC the file is, which candidate each column
is (pg_trgm against ECI's candidate list), the candidates' parties, and the AC and PC rows.

See load_form20's docstring for the rules; import_form20 calls these in its transaction.
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
from .load_common import copy_rows, refuse_lines, temp_table, title_case
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
    _report_absent(path, pc_no, state_candidates, taken, report)
    return [by_code[assigned[i][0]] for i in range(len(form.candidates))]


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


def constituencies(
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


