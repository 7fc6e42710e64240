"""ECI's candidate list (candidates.csv) and party list (political-parties.csv), read as published.

candidates.csv: Cand_Code, Cand_Name, Party_code, likely_religion, likely_religion_certainty.
The code `S06PC01CA01` is state S06, parliamentary constituency 1, candidate 1. The two
`likely_religion*` columns are the source repository's guesses from the name, not ECI data: they
are deliberately not read (a guessed religion of a person has no place in the platform).

political-parties.csv: Party_Code, Party_name, Res_Symbol, Status, State_1..State_4. ECI
publishes it in Windows-1252 (six names with an en dash or a curly apostrophe); the shipped copy
was converted to UTF-8 (issue 21), and a file that is not UTF-8 is read as Windows-1252 with a
warning. Res_Symbol `NA` (no reserved symbol) becomes None.

Both readers refuse (ElectoralFileError) a missing column, a malformed code, an empty name or a
repeated code, collecting every bad row first.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ._common import ElectoralFileError, Problem, read_text, refuse, squeeze

CANDIDATE_CODE = re.compile(r"^(S\d{2}|U\d{2})PC(\d{1,3})CA(\d{1,3})$")
PARTY_CODE = re.compile(r"^[NSU]\d{4}$")
NOTA_PARTY = "N0000"


@dataclass(frozen=True)
class Candidate:
    """One candidate of ECI's list; state_code/pc_no/candidate_no are parsed from code."""

    line: int
    code: str
    name: str
    party_code: str
    state_code: str
    pc_no: int
    candidate_no: int

    @property
    def is_nota(self) -> bool:
        return self.party_code == NOTA_PARTY


@dataclass(frozen=True)
class Party:
    """One party of ECI's list; states are the State_1..State_4 codes given (U05, S27, ...)."""

    line: int
    code: str
    name: str
    symbol: str | None
    status: str
    states: tuple[str, ...]


@dataclass
class CandidateList:
    path: Path
    candidates: list[Candidate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class PartyList:
    path: Path
    encoding: str
    parties: list[Party] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _table(
    path: Path, text: str, required: tuple[str, ...]
) -> tuple[list[str], dict[str, int], list[tuple[int, list[str]]]]:
    """(header, required column -> index, non-blank data rows with their first line)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for cells in reader:
            rows.append((end + 1, cells))
            end = reader.line_num
    except csv.Error as exc:
        raise refuse(path, reader.line_num, f"not valid CSV ({exc})") from None
    header = {squeeze(h).casefold(): i for i, h in enumerate(rows[0][1])}
    missing = [c for c in required if c.casefold() not in header]
    if missing:
        found = ", ".join(repr(squeeze(h)) for h in rows[0][1])
        raise refuse(path, 1, f"missing column(s) {', '.join(missing)}; headers found: {found}")
    index = {c: header[c.casefold()] for c in required}
    return rows[0][1], index, [(n, cells) for n, cells in rows[1:] if any(c.strip() for c in cells)]


def read_candidates(path: Path | str) -> CandidateList:
    """ECI's candidate list with the parts of each candidate code."""
    p = Path(path)
    _, index, rows = _table(p, read_text(p), ("Cand_Code", "Cand_Name", "Party_code"))
    result = CandidateList(p)
    errors: list[Problem] = []
    first: dict[str, int] = {}
    for line, cells in rows:
        if len(cells) <= max(index.values()):
            errors.append(
                Problem(line, f"has {len(cells)} cells, the header needs {max(index.values()) + 1}", "error")
            )
            continue
        code, name, party = (squeeze(cells[index[c]]) for c in ("Cand_Code", "Cand_Name", "Party_code"))
        m = CANDIDATE_CODE.match(code)
        reasons = []
        if m is None:
            reasons.append(f"candidate code {code!r} is not like S06PC01CA01")
        if not name:
            reasons.append("empty candidate name")
        if not PARTY_CODE.match(party):
            reasons.append(f"party code {party!r} is not like N0001")
        if code in first:
            reasons.append(f"candidate code {code} again (first on line {first[code]})")
        if reasons or m is None:
            errors.append(Problem(line, "; ".join(reasons), "error"))
            continue
        first[code] = line
        result.candidates.append(
            Candidate(line, code, name, party, m.group(1), int(m.group(2)), int(m.group(3)))
        )
    if errors:
        raise ElectoralFileError(p, errors)
    return result


def read_parties(path: Path | str) -> PartyList:
    """ECI's party list; a non-UTF-8 file is read as Windows-1252 and the fact reported."""
    p = Path(path)
    notes: list[Problem] = []
    text = read_text(p, fallback_encoding="cp1252", notes=notes)
    columns = ("Party_Code", "Party_name", "Res_Symbol", "Status")
    header, index, rows = _table(p, text, columns)
    state_columns = [i for i, h in enumerate(header) if squeeze(h).casefold().startswith("state_")]
    result = PartyList(p, "cp1252" if notes else "utf-8", problems=notes)
    errors: list[Problem] = []
    first: dict[str, int] = {}
    for line, cells in rows:
        if len(cells) <= max(index.values()):
            errors.append(
                Problem(line, f"has {len(cells)} cells, the header needs {max(index.values()) + 1}", "error")
            )
            continue
        code, name, symbol, status = (squeeze(cells[index[c]]) for c in columns)
        reasons = []
        if not PARTY_CODE.match(code):
            reasons.append(f"party code {code!r} is not like N0001")
        if not name:
            reasons.append("empty party name")
        if code in first:
            reasons.append(f"party code {code} again (first on line {first[code]})")
        if reasons:
            errors.append(Problem(line, "; ".join(reasons), "error"))
            continue
        first[code] = line
        states = tuple(squeeze(cells[i]) for i in state_columns if i < len(cells) and cells[i].strip())
        result.parties.append(
            Party(line, code, name, None if symbol in ("", "NA") else symbol, status, states)
        )
    if errors:
        raise ElectoralFileError(p, errors)
    return result
