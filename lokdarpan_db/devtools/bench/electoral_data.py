"""SYNTHETIC Form 20 files for the electoral bench: what `import form20` reads, at scale.

Every value here is made up and labelled so: the directories are named `form20-SYNTHETIC-…`, the
parties `SYNTHETIC Party A` … (ECI-style codes U9001 …), the candidates get invented names. The
shape is the real one (data/electoral/form20-gujarat-ls2014): two header rows ("Serial No. of
Polling Station", "No. of Valid votes cast in favour of", the totals columns; the candidate names
in the second row), one row per polling station with the candidates' votes, total valid (without
NOTA), rejected, NOTA, Total and tendered; a candidates.csv and a political-parties.csv in ECI's
formats so the importer matches the columns with pg_trgm as it does for real files.

The segments are real Telangana assembly constituencies (state S29), those that overlap a GHMC
ward first, and each station is given a ward before the votes are drawn (a ward of its AC, by
the AC's share in the ward, for an AC that overlaps wards; any ward otherwise), so the votes lean
per ward like real ones do and the bench can place the station inside that ward afterwards.

Lok Sabha elections have one candidate list per PC (every segment of a PC shows the same
candidates); assembly elections one per AC, filed under the AC's PC code as the importer expects.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

STATE = "S29"
PARTY_CODES = [f"U90{i:02d}" for i in range(1, 13)]  # unused by ECI: SYNTHETIC parties
PARTY_NAMES = [f"SYNTHETIC Party {chr(ord('A') + i)}" for i in range(len(PARTY_CODES))]
INDEPENDENT = ("N1001", "Independent")
NOTA = ("N0000", "None of the above")
# Elections in the order the bench loads them; (type, year). More than these get a round label.
ELECTIONS: tuple[tuple[str, int], ...] = (
    ("LOKSABHA", 2024),
    ("ASSEMBLY", 2023),
    ("LOKSABHA", 2019),
    ("LOKSABHA", 2014),
    ("ASSEMBLY", 2018),
    ("ASSEMBLY", 2014),
    ("LOKSABHA", 2009),
    ("ASSEMBLY", 2009),
)
_FIRST = (
    "Ravi", "Srinivas", "Lakshmi", "Anjali", "Mohammed", "Syed", "Venkat", "Padma", "Rajesh", "Kavitha",
    "Naresh", "Farhana", "Suresh", "Swathi", "Imran", "Bhaskar", "Sunitha", "Prakash", "Ayesha", "Mahesh",
    "Sridevi", "Ramesh", "Shabana", "Kiran", "Madhavi", "Yousuf", "Harish", "Jyothi", "Anand", "Rekha",
)
_LAST = (
    "Reddy", "Goud", "Rao", "Yadav", "Naidu", "Khan", "Ali", "Sharma", "Mudiraj", "Chary", "Hussain",
    "Varma", "Patel", "Kumar", "Begum", "Shetty", "Prasad", "Babu", "Qureshi", "Netha", "Singh", "Raju",
    "Pasha", "Devi", "Gupta", "Ahmed", "Murthy", "Siddiqui", "Lingam", "Mallesh",
)
_MIDDLE = "ABCDGHJKLMNPRSTVY"


@dataclass
class Segment:
    """One assembly segment: its AC and PC numbers and the ward of each of its stations."""

    ac_no: int
    pc_no: int
    overlaps_wards: bool
    wards: list[str] = field(default_factory=list)  # one per station, serial order


@dataclass
class FormFile:
    path: Path
    candidates: Path
    election_type: str
    year: int
    round: str | None
    ac_no: int
    stations: int
    result_rows: int  # result_ps rows it makes (candidates, NOTA excluded)


@dataclass
class SyntheticForm20:
    root: Path
    parties: Path
    segments: list[Segment]
    files: list[FormFile]

    @property
    def result_rows(self) -> int:
        return sum(f.result_rows for f in self.files)

    @property
    def stations(self) -> int:
        return sum(len(s.wards) for s in self.segments)


def elections(n: int) -> list[tuple[str, int, str | None]]:
    """The first n (type, year, round) of ELECTIONS, then SYNTHETIC rounds of Lok Sabha 2024."""
    out: list[tuple[str, int, str | None]] = [(t, y, None) for t, y in ELECTIONS[:n]]
    out += [("LOKSABHA", 2024, f"SYNTHETIC bench {i}") for i in range(len(out), n)]
    return out


def plan_segments(conn: psycopg.Connection, stations: int, segment_size: int, seed: int) -> list[Segment]:
    """Real ACs of Telangana, ward-overlapping ones first, with `stations` stations in all and a
    ward for each (largest remainder of the AC's constituency_fraction; any ward for other ACs)."""
    rows = conn.execute(
        """
        select c.number, p.number,
            coalesce(array_agg(wc.ward_id order by wc.ward_id) filter (where wc.ward_id is not null), '{}'),
            coalesce(array_agg(wc.constituency_fraction::float8 order by wc.ward_id)
                     filter (where wc.ward_id is not null), '{}')
        from public.constituency as c
        inner join public.constituency as p on p.constituency_id = c.pc_id
        left join public.ward_constituency as wc
            on wc.constituency_id = c.constituency_id and wc.constituency_fraction > 0
        where c.kind = 'AC' and c.state_code = %s
        group by c.number, p.number
        order by count(wc.ward_id) = 0, c.number
        """,
        (STATE,),
    ).fetchall()
    all_wards = [r[0] for r in conn.execute(
        "select ward_id from public.ward where boundary is not null order by ward_id").fetchall()]
    if not rows or not all_wards:
        raise RuntimeError("the electoral bench needs the wards and the Telangana constituencies imported")
    n_seg = min(len(rows), max(1, -(-stations // segment_size)))
    rnd = random.Random(seed)
    segments = []
    for i, (ac_no, pc_no, wards, fractions) in enumerate(rows[:n_seg]):
        count = stations // n_seg + (1 if i < stations % n_seg else 0)
        if wards:
            total = sum(fractions)
            exact = [count * f / total for f in fractions]
            alloc = [int(x) for x in exact]
            for k in sorted(range(len(exact)), key=lambda k: alloc[k] - exact[k])[: count - sum(alloc)]:
                alloc[k] += 1
            placed = [w for w, n in zip(wards, alloc, strict=True) for _ in range(n)]
        else:
            placed = [rnd.choice(all_wards) for _ in range(count)]
        segments.append(Segment(ac_no, pc_no, bool(wards), placed))
    return segments


def _names(rnd: random.Random, n: int, taken: set[str]) -> list[str]:
    out = []
    while len(out) < n:
        name = f"{rnd.choice(_FIRST)} {rnd.choice(_MIDDLE)} {rnd.choice(_LAST)}"
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def write_form20(
    root: Path,
    segments: Sequence[Segment],
    n_elections: int,
    candidates: int,
    seed: int,
) -> SyntheticForm20:
    """Write the party list, then per election a directory with the candidate list(s) and one
    Form 20 file per segment. `candidates` counts the columns including NOTA (20: 19 + NOTA)."""
    if candidates < 2:
        raise ValueError("--candidates must be at least 2 (one candidate and NOTA)")
    n_cand = candidates - 1
    rnd = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    parties = root / "political-parties-SYNTHETIC.csv"
    with parties.open("w", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(["Party_Code", "Party_name", "Res_Symbol", "Status", "State_1", "State_2", "State_3",
                    "State_4"])
        for code, name in zip(PARTY_CODES, PARTY_NAMES, strict=True):
            w.writerow([code, name, "NA", "SYNTHETIC", STATE, "", "", ""])
        w.writerow([*INDEPENDENT, "NA", "added later", "", "", "", ""])
        w.writerow([*NOTA, "NA", "added later", "", "", "", ""])
    # Parties in a candidate list: the first columns are parties, the rest independents.
    n_parties = min(len(PARTY_CODES), max(1, n_cand // 2))
    files: list[FormFile] = []
    all_wards = sorted({w for s in segments for w in s.wards})
    for e_index, (etype, year, rnd_label) in enumerate(elections(n_elections)):
        edir = root / f"form20-SYNTHETIC-{etype.lower()}-{year}{'-' + str(e_index) if rnd_label else ''}"
        edir.mkdir()
        # A party's strength this election, per AC and per ward (the tilt that makes wards differ).
        strength = [rnd.uniform(0.3, 1.0) ** 2 for _ in range(n_parties)]
        tilt = {(w, p): rnd.uniform(0.5, 1.5) for w in all_wards for p in range(n_parties)}
        lists: dict[int, tuple[Path, list[str]]] = {}
        if etype == "LOKSABHA":  # one list per PC, in one file
            path = edir / "candidates-SYNTHETIC.csv"
            taken: set[str] = set()
            by_pc = {pc: _names(rnd, n_cand, taken) for pc in sorted({s.pc_no for s in segments})}
            _write_candidates(path, [(pc, names) for pc, names in by_pc.items()], n_parties)
            for s in segments:
                lists[s.ac_no] = (path, by_pc[s.pc_no])
        else:  # one list per AC, filed under its PC's code
            for s in segments:
                path = edir / f"candidates-SYNTHETIC-AC{s.ac_no:03d}.csv"
                names = _names(rnd, n_cand, set())
                _write_candidates(path, [(s.pc_no, names)], n_parties)
                lists[s.ac_no] = (path, names)
        for s in segments:
            cand_path, names = lists[s.ac_no]
            ac_weight = [st * rnd.uniform(0.6, 1.4) for st in strength]
            path = edir / f"AC{s.ac_no:03d}.csv"
            _write_station_rows(path, names, s.wards, ac_weight, tilt, n_parties, rnd)
            files.append(FormFile(path, cand_path, etype, year, rnd_label, s.ac_no, len(s.wards),
                                  len(s.wards) * n_cand))
    return SyntheticForm20(root, parties, list(segments), files)


def _write_candidates(path: Path, lists: list[tuple[int, list[str]]], n_parties: int) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Cand_Code", "Cand_Name", "Party_code", "likely_religion", "likely_religion_certainty"])
        for pc, names in lists:
            for i, name in enumerate(names):
                party = PARTY_CODES[i] if i < n_parties else INDEPENDENT[0]
                w.writerow([f"{STATE}PC{pc:02d}CA{i + 1:02d}", name.upper(), party, "", ""])
            w.writerow([f"{STATE}PC{pc:02d}CA{len(names) + 1:02d}", "NOTA", NOTA[0], "", ""])


def _write_station_rows(
    path: Path,
    names: list[str],
    wards: list[str],
    ac_weight: list[float],
    tilt: dict[tuple[str, int], float],
    n_parties: int,
    rnd: random.Random,
) -> None:
    n = len(names)
    blanks = [""] * (n - 1)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Serial No. of Polling Station", "No. of Valid votes cast in favour of", *blanks,
                    "Total of valid votes", "No.of rejected votes", "NOTA", "Total", "No of tendered votes"])
        w.writerow(["", *names, "", "", "", "", ""])
        small = [0.004 + 0.01 * rnd.random() for _ in range(n - n_parties)]  # independents
        for serial, ward in enumerate(wards, start=1):
            size = rnd.randint(250, 950)
            weights = [ac_weight[p] * tilt[(ward, p)] for p in range(n_parties)] + small
            total_w = sum(weights)
            votes = [int(size * wt / total_w * (0.85 + 0.3 * rnd.random())) for wt in weights]
            valid = sum(votes)
            rejected = rnd.randint(0, 6)
            nota = rnd.randint(0, max(1, size // 60))
            w.writerow([serial, *votes, valid, rejected, nota, valid + rejected + nota, rnd.randint(0, 1)])
