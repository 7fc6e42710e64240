"""Issue 28: Lok Sabha results reach the wards.

The real wards, constituencies and Assembly 2023 results are loaded once; then the small invented
Lok Sabha files of tests/importers/data/ (README there) go through `import results` with a column
mapping: PC-level (`--pc`), then segment-wise (AC rows of the same election). Every expected number
is computed here in Python from the files and ward_constituency, independently of the SQL.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.cli import run
from lokdarpan_db.importers.electoral import ElectoralFileError
from lokdarpan_db.importers.electoral.load_constituencies import import_constituencies
from lokdarpan_db.importers.electoral.load_results import import_results
from lokdarpan_db.importers.wards import import_wards

DATA = Path(__file__).resolve().parent / "data"
PC_FILE, PC_MAP = DATA / "ls2024-pc-TEST.csv", DATA / "ls2024-pc-TEST.mapping"
SEG_FILE, SEG_MAP = DATA / "ls2024-segments-TEST.csv", DATA / "ls2024-segments-TEST.mapping"
LS = "(select id from election where type = 'LOKSABHA' and year = 2024 and round is null)"
PARTY_KEY = {  # the file's party names as party_key() writes them
    "Bharatiya Janata Party": "BJP", "Indian National Congress": "INC", "Bharat Rashtra Samithi": "BRS",
    "All India Majlis-E-Ittehadul Muslimeen": "AIMIM", "None of the Above": "NOTA",
}


def file_votes(path: Path, delimiter: str, number: str, votes: str) -> dict[int, dict[str, int]]:
    """{constituency number: {party key: votes}} of a fixture file."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with path.open(newline="") as f:
        for row in csv.DictReader(f, delimiter=delimiter):
            out[int(row[number])][PARTY_KEY[row["Party"]]] += int(row[votes])
    return out


PC_VOTES = file_votes(PC_FILE, ";", "PC No.", "Total Votes")
SEG_VOTES = file_votes(SEG_FILE, ",", "AC No", "Votes")


def pieces(conn: psycopg.Connection) -> dict[str, list[tuple[int, int, float, float]]]:
    """{ward: [(AC number, PC number, ward_fraction, constituency_fraction)]} of every ward."""
    out: dict[str, list[tuple[int, int, float, float]]] = defaultdict(list)
    for ward, ac, pc, wf, cf in conn.execute(
        "select wc.ward_id, a.number, p.number, wc.ward_fraction, wc.constituency_fraction "
        "from ward_constituency wc join constituency a using (constituency_id) "
        "join constituency p on p.constituency_id = a.pc_id where wc.constituency_fraction > 0"
    ):
        out[ward].append((ac, pc, float(wf), float(cf)))
    conn.commit()
    return out


def ls_rows(conn: psycopg.Connection) -> dict[str, tuple[str, dict[str, float], dict[str, float]]]:
    """{ward: (method, {party: vote_share}, {party: votes})} for Lok Sabha 2024."""
    out: dict[str, tuple[str, dict[str, float], dict[str, float]]] = {}
    for ward, method, party, share, votes in conn.execute(
        f"select ward_id, method, party, vote_share, votes from result_ward_agg where election_id = {LS}"
    ):
        entry = out.setdefault(ward, (method, {}, {}))
        assert entry[0] == method, f"{ward}: two methods in one election"
        entry[1][party] = float(share)
        entry[2][party] = float(votes)
    conn.commit()
    return out


def pc_share(pc: int) -> dict[str, float]:
    total = sum(PC_VOTES[pc].values())
    return {p: 100 * v / total for p, v in PC_VOTES[pc].items()}


def expected_pc_level(ward_pieces: list[tuple[int, int, float, float]]) -> dict[str, float]:
    """The ward's shares: its PCs' shares weighted by its area in each PC (sum of ward_fraction)."""
    weight: dict[int, float] = defaultdict(float)
    for _ac, pc, wf, _cf in ward_pieces:
        weight[pc] += wf
    total = sum(weight.values())
    shares: dict[str, float] = defaultdict(float)
    for pc, w in weight.items():
        for party, s in pc_share(pc).items():
            shares[party] += w * s / total
    return dict(shares)


@pytest.fixture(scope="module")
def base(db_url: str) -> str:
    with psycopg.connect(db_url) as conn:
        import_wards(conn)
        import_constituencies(conn)
        import_results(conn)  # ECI's Assembly 2023, recomputed
    return db_url


@pytest.fixture(scope="module")
def pc_loaded(base: str) -> Iterator[str]:
    assert run(["--db", base, "import", "results", str(PC_FILE), "--level", "PC", "--type", "LOKSABHA",
                "--year", "2024", "--mapping", str(PC_MAP)]) == 0
    yield base


@pytest.fixture(scope="module")
def segments_loaded(pc_loaded: str) -> str:
    assert run(["--db", pc_loaded, "import", "results", str(SEG_FILE), "--type", "LOKSABHA",
                "--year", "2024", "--mapping", str(SEG_MAP)]) == 0
    return pc_loaded


def test_ward_without_lok_sabha_shows_the_assembly_alone(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """First in the module: before the Lok Sabha files load, the Assembly column is there alone (a
    missing election is a missing column, not zeros)."""
    assert run(["--db", base, "--json", "ward", "Jubilee Hills"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["elections"]["assembly"] == {"election": "ASSEMBLY 2023", "method": "areal"}
    assert report["elections"]["lok_sabha"] is None
    assert report["vote_shares"] and all(r["lok_sabha_share"] is None for r in report["vote_shares"])
    assert run(["--db", base, "ward", "Jubilee Hills"]) == 0
    out = capsys.readouterr().out
    assert "ASSEMBLY 2023 (areal)" in out and "LOKSABHA" not in out


def test_pc_results_reach_every_ward_with_a_boundary(pc_loaded: str) -> None:
    with psycopg.connect(pc_loaded) as conn:
        assert conn.execute(
            "select count(*) from ward w left join ward_features f using (ward_id) "
            "where w.boundary is not null and f.ls24_party_shares is null"
        ).fetchone() == (0,)
        assert conn.execute("select count(*) from ward where boundary is not null").fetchone() == (145,)
        assert conn.execute(
            f"select count(distinct constituency_id) from constituency_result where election_id = {LS}"
        ).fetchone() == (7,)
        wards = pieces(conn)
        rows = ls_rows(conn)
    assert len(rows) == 145 and {method for method, _, _ in rows.values()} == {"areal_pc"}
    straddling = 0
    for ward, (_method, shares, _votes) in rows.items():
        want = expected_pc_level(wards[ward])
        assert set(shares) == set(want), ward
        for party, share in shares.items():
            assert share == pytest.approx(want[party], abs=0.0015), (ward, party)
        straddling += len({pc for _ac, pc, _wf, _cf in wards[ward]}) > 1
    assert straddling > 0  # some wards take two PCs' shares, weighted by their area in each


def test_a_ward_wholly_in_one_pc_takes_exactly_its_shares(pc_loaded: str) -> None:
    with psycopg.connect(pc_loaded) as conn:
        wards = pieces(conn)
        rows = ls_rows(conn)
        features = dict(conn.execute("select ward_id, ls24_party_shares from ward_features").fetchall())
    ward = next(w for w, p in sorted(wards.items()) if {pc for _a, pc, _w, _c in p} == {9})  # Hyderabad
    want = {p: round(s, 3) for p, s in pc_share(9).items()}
    assert {p: float(v) for p, v in features[ward].items()} == want
    assert rows[ward][0] == "areal_pc"


def test_segment_results_win_where_they_cover_the_ward(segments_loaded: str) -> None:
    with psycopg.connect(segments_loaded) as conn:
        wards = pieces(conn)
        rows = ls_rows(conn)
        assert conn.execute(
            "select count(*) from election where type = 'LOKSABHA'"
        ).fetchone() == (1,)  # the segments are rows of the same election
        assert conn.execute(
            f"select c.kind, count(*) from constituency_result r join constituency c using (constituency_id) "
            f"where r.election_id = {LS} group by 1 order by 1"
        ).fetchall() == [("AC", 28), ("PC", 28)]
    segment_acs = set(SEG_VOTES)
    by_segment = {w for w, p in wards.items() if {ac for ac, _pc, _wf, _cf in p} <= segment_acs}
    partly = {w for w, p in wards.items() if {ac for ac, *_ in p} & segment_acs} - by_segment
    assert by_segment and partly
    assert {w for w, (m, _, _) in rows.items() if m == "areal_segment"} == by_segment
    assert {rows[w][0] for w in partly} == {"areal_pc"}  # segments cover only part of the ward
    for ward in sorted(by_segment)[:10]:
        votes: dict[str, float] = defaultdict(float)
        for ac, _pc, _wf, cf in wards[ward]:
            for party, v in SEG_VOTES[ac].items():
                votes[party] += v * cf
        assert rows[ward][2] == pytest.approx(votes, abs=0.011), ward
        total = sum(votes.values())
        assert rows[ward][1] == pytest.approx({p: 100 * v / total for p, v in votes.items()}, abs=0.0015)


def test_reloading_either_file_changes_nothing_and_removes_nothing(segments_loaded: str) -> None:
    with psycopg.connect(segments_loaded) as conn:
        count = f"select count(*), sum(total_votes) from constituency_result where election_id = {LS}"
        before = conn.execute(count).fetchone()
        pc = import_results(conn, PC_FILE, election_type="LOKSABHA", year=2024, mapping=PC_MAP,
                            constituency_type="PC", recompute=False)
        seg = import_results(conn, SEG_FILE, election_type="LOKSABHA", year=2024, mapping=SEG_MAP,
                             recompute=False)
        assert (pc.unchanged, pc.removed, seg.unchanged, seg.removed) == (28, 0, 28, 0)
        assert conn.execute(count).fetchone() == before


def test_form20_stations_of_the_lok_sabha_election_win_over_both(segments_loaded: str) -> None:
    with psycopg.connect(segments_loaded) as conn:
        ward = conn.execute(
            f"select ward_id from result_ward_agg where election_id = {LS} and method = 'areal_segment' "
            "order by ward_id limit 1"
        ).fetchone()[0]
        try:
            conn.execute(
                "insert into polling_station (ps_id, constituency_id, serial, lat, lon) "
                "select 'TEST-LS-1', wc.constituency_id, '1', st_y(pt), st_x(pt) "
                "from ward w join ward_constituency wc using (ward_id), "
                "st_pointonsurface(geojson_geometry(w.boundary)) as pt "
                "where w.ward_id = %s order by wc.ward_fraction desc limit 1",
                (ward,),
            )
            conn.execute("select place_polling_stations()")
            conn.execute(
                "insert into polling_station_result (election_id, polling_station_id, total_valid, "
                f"rejected, nota, total_polled, electors) select {LS}, id, 700, 0, 10, 710, 1000 "
                "from polling_station where ps_id = 'TEST-LS-1'"
            )
            conn.execute(
                f"insert into result_ps (election_id, polling_station_id, candidate, party_id, votes) "
                f"select {LS}, s.id, v.c, party_resolve(v.p), v.n from polling_station s, "
                "(values ('Test Candidate 8A', 'BJP', 400), ('Test Candidate 8B', 'INC', 300)) "
                "as v (c, p, n) where s.ps_id = 'TEST-LS-1'"
            )
            conn.commit()
            conn.execute("select * from recompute_electoral()")
            conn.commit()
            method, shares, _votes = ls_rows(conn)[ward]
            assert method == "polling_stations"
            assert shares == {"BJP": round(100 * 400 / 710, 3), "INC": round(100 * 300 / 710, 3),
                              "NOTA": round(100 * 10 / 710, 3)}
        finally:
            conn.rollback()
            conn.execute("delete from polling_station_result where polling_station_id in "
                         "(select id from polling_station where ps_id = 'TEST-LS-1')")
            conn.execute("delete from polling_station where ps_id = 'TEST-LS-1'")
            conn.execute("select * from recompute_electoral()")
            conn.commit()
        assert ls_rows(conn)[ward][0] == "areal_segment"


def test_ward_shows_assembly_and_lok_sabha_side_by_side(
    segments_loaded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(segments_loaded) as conn:
        rows = ls_rows(conn)
        name_of = dict(conn.execute("select ward_id, name from ward").fetchall())
    segment_ward = min(w for w, (m, _, _) in rows.items() if m == "areal_segment")
    pc_ward = min(w for w, (m, _, _) in rows.items() if m == "areal_pc")

    assert run(["--db", segments_loaded, "--json", "ward", segment_ward]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["elections"] == {
        "assembly": {"election": "ASSEMBLY 2023", "method": "areal"},
        "lok_sabha": {"election": "LOKSABHA 2024", "method": "areal_segment"},
    }
    ls = {r["party"]: float(r["lok_sabha_share"])
          for r in report["vote_shares"] if r["lok_sabha_share"] is not None}
    assert ls == rows[segment_ward][1]
    assert any(r["assembly_share"] is not None for r in report["vote_shares"])

    assert run(["--db", segments_loaded, "ward", name_of[pc_ward]]) == 0
    out = capsys.readouterr().out
    assert "vote share in the ward, %" in out
    assert "ASSEMBLY 2023 (areal)" in out and "LOKSABHA 2024 (areal_pc)" in out
    assert "areal_pc = estimated from parliamentary-constituency results" in out


# --- Issue 21, part 2: another publisher's PC file, matched by name ------------------------------
# ls2024-pc-other-TEST.csv: `;`, every field quoted, CRLF, a BOM, no percentages, state id S29, the
# 17 PCs of Telangana named the publisher's way, its "PC No" column "1" on every PC but 1 and 9.
OTHER_FILE, OTHER_MAP = DATA / "ls2024-pc-other-TEST.csv", DATA / "ls2024-pc-other-TEST.mapping"
LS19 = "(select id from election where type = 'LOKSABHA' and year = 2019 and round is null)"
OTHER_NAMES = {  # the publisher's name -> the registry's PC number (ECI's)
    "ADILABAD (ST)": 1, "Peddapalli (SC)": 2, "Karim Nagar": 3, "Nizamabad": 4, "Zaheerabad": 5, "Medak": 6,
    "Malkajigiri": 7, "Secunderabad": 8, "Hyderabad": 9, "Chevella": 10, "Mahabubnagar": 11,
    "Nagar Kurnool (SC)": 12, "Nalgonda": 13, "Bhuvanagiri": 14, "Warangal (SC)": 15, "Mahabubabad (ST)": 16,
    "Khammam": 17,
}


def other_votes() -> dict[int, int]:
    """{PC number: total votes} of the other publisher's file, read here independently of the loader."""
    out: dict[int, int] = defaultdict(int)
    with OTHER_FILE.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            out[OTHER_NAMES[row["Constituency"]]] += int(row["Total Votes"])
    return dict(out)


def ls19_votes(conn: psycopg.Connection) -> dict[int, int]:
    rows = conn.execute(
        "select c.number, sum(r.total_votes)::int from constituency_result r join constituency c "
        f"using (constituency_id) where r.election_id = {LS19} group by c.number"
    ).fetchall()
    conn.commit()
    return dict(rows)


def load_other(conn: psycopg.Connection, path: Path = OTHER_FILE, **kwargs: object):
    return import_results(conn, path, election_type="LOKSABHA", year=2019, constituency_type="PC",
                          recompute=False, **({"mapping": OTHER_MAP} | kwargs))  # type: ignore[arg-type]


def test_another_publishers_file_loads_by_name_and_every_fuzzy_match_is_reported(base: str) -> None:
    with psycopg.connect(base) as conn:
        parties = conn.execute("select count(*) from party").fetchone()
        report = load_other(conn)
        assert report.match_by == "name"
        assert (report.rows_read, report.constituencies) == (68, 17)
        assert (report.inserted, report.updated, report.unchanged, report.removed) == (68, 0, 0, 0)
        assert ls19_votes(conn) == other_votes()
        f = OTHER_FILE.name
        assert report.matches == [
            f"{f} line 6: PC 'Peddapalli (SC)' matched by its normalised name to PC 2 'Peddapalle'",
            f"{f} line 10: PC 'Karim Nagar' matched by its normalised name to PC 3 'Karimnagar'",
            f"{f} line 18: PC 'Zaheerabad' matched by trigram to PC 5 'Zahirabad' (similarity 0.50)",
            f"{f} line 26: PC 'Malkajigiri' matched by trigram to PC 7 'Malkajgiri' (similarity 0.64)",
            f"{f} line 42: PC 'Mahabubnagar' matched by trigram to PC 11 'Mahbubnagar' (similarity 0.67)",
            f"{f} line 46: PC 'Nagar Kurnool (SC)' matched by its normalised name to PC 12 'Nagarkurnool'",
            f"{f} line 54: PC 'Bhuvanagiri' matched by a recorded alias to PC 14 'Bhongir'",
        ]
        assert report.name_mismatches == []
        # Parties registered under another spelling resolve to their row, never a second one.
        assert report.parties_created == []
        assert conn.execute("select count(*) from party").fetchone() == parties
        assert report.party_matches == [
            f"{f} line 6: party 'Bharatiya Janta Party' matched by trigram to 'Bharatiya Janata Party' "
            "(similarity 0.44)",
            f"{f} line 7: party 'I.N.C.' matched normalised to 'Indian National Congress'",
            f"{f} line 8: party 'Bharat Rashtra Samithi (BRS)' matched normalised to "
            "'Bharat Rashtra Samithi'",
        ]
        assert set(report.matches + report.party_matches) <= set(report.problems)
        conn.commit()
        again = load_other(conn, match_by="name")
        assert (again.inserted, again.updated, again.unchanged, again.removed) == (0, 0, 68, 0)


def test_the_wrong_number_column_is_still_refused_when_mapped(base: str, tmp_path: Path) -> None:
    mapping = tmp_path / "with-number.mapping"
    mapping.write_text(OTHER_MAP.read_text() + "constituency_no = PC No\n")
    with psycopg.connect(base) as conn:
        before = ls19_votes(conn)
        with pytest.raises(ElectoralFileError) as err:
            load_other(conn, mapping=mapping)
        assert "line 6: constituency 1 is named 'Peddapalli (SC)' here but 'ADILABAD (ST)' on line 2" in str(
            err.value
        )
        assert ls19_votes(conn) == before
        # --match-by name: the number column is not read at all.
        by_name = load_other(conn, mapping=mapping, match_by="name")
        assert by_name.match_by == "name" and by_name.constituencies == 17


def _other_copy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = OTHER_FILE.read_bytes().decode("utf-8-sig")  # CRLF kept
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "other.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    return path


def test_ambiguous_or_weak_names_and_parties_are_refused_naming_lines_and_candidates(
    base: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _other_copy(
        tmp_path,
        ('"Mahabubnagar"', '"Mahabubnagarabad"'),  # between PC 11 and PC 16
        ('"Chevella"', '"Xyzpur"'),  # like no PC
        ('"Nalgonda"', '"Khamam"'),  # a second name of Khammam
        ('"Test Candidate 17A";"Bharatiya Janta Party"', '"Test Candidate 17A";"CPl"'),  # CPI or CPM?
    )
    with psycopg.connect(base) as conn:
        before = ls19_votes(conn)
        with pytest.raises(ElectoralFileError) as err:
            load_other(conn, path)
        assert ls19_votes(conn) == before
    assert [str(p) for p in err.value.problems] == [
        "line 38: PC 'Xyzpur' matches no PC of state S29 closely enough (similarity at least 0.50): no "
        "constituency is similar (are the constituencies of this state and kind loaded?)",
        "line 42: PC 'Mahabubnagarabad' is ambiguous: it matches PC 16 'Mahabubabad' (similarity 0.53), "
        "PC 11 'Mahbubnagar' (similarity 0.45); give the constituency number or write the name as the "
        "registry does",
        "line 66: PC 'Khammam' and 'Khamam' (line 50) both resolve to PC 17 'Khammam'",
        "line 66: party 'CPl' is a weak match: it only resembles 'Communist Party of India' "
        "(similarity 0.33), 'Communist Party of India (Marxist)' (similarity 0.33); register the spelling "
        "as an alias of its party (party_alias) or correct the file",
    ]
    # The CLI: one line, exit 2.
    assert run(["--db", base, "import", "results", str(path), "--level", "PC", "--type", "LOKSABHA",
                "--year", "2019", "--mapping", str(OTHER_MAP), "--no-recompute"]) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1 and err_lines[0].startswith(f"error: {path}: 4 problems: line 38: PC 'Xyzpur'")
    # A lower --min-similarity does not make a name between two PCs any less ambiguous.
    assert run(["--db", base, "import", "results", str(path), "--level", "PC", "--type", "LOKSABHA",
                "--year", "2019", "--mapping", str(OTHER_MAP), "--match-by", "name", "--min-similarity",
                "nan"]) == 2
    assert "nan is not a number from 0.3 to 1" in capsys.readouterr().err


# --- Issue 21, part 4: one constituency-name matcher for results files and Form 20 labels --------
# A Form 20 file names its AC in a label ("74-MAHABUBNAGAR"); a results file without numbers names it
# in a column. Both go through constituency_name_match(): the same spellings are accepted (the
# registry's name kept, the match reported) and the same refused.
SPELLINGS = [  # (spelling, the AC it names in the registry or None, the report line's tail or None)
    ("Mahabubnagar", 74, "matched by trigram to AC 74 'Mahbubnagar' (similarity 0.67)"),
    ("Mahbub Nagar", 74, "matched by its normalised name to AC 74 'Mahbubnagar'"),
    ("MAHBUBNAGAR", 74, None),
    ("Bhuvanagiri", 94, "matched by a recorded alias to AC 94 'Bhongir'"),
    ("Bhongir", 94, None),
    ("Xyzpur", None, None),
]
AC_74_94 = ("select number, name from constituency "
            "where state_code = 'S29' and kind = 'AC' and number in (74, 94)")


def _form20_report(ac_no: int, pc_no: int, name: str):
    from lokdarpan_db.importers.electoral.load_form20 import Form20ImportReport

    return Form20ImportReport(Path(f"AC{ac_no:03d}.csv"), Path("candidates.csv"), Path("parties.csv"),
                              "ASSEMBLY", 2018, "S29", ac_no=ac_no, pc_no=pc_no, ac_name=name)


@pytest.mark.parametrize(("spelling", "ac", "line"), SPELLINGS)
def test_results_and_form20_accept_and_refuse_the_same_constituency_spellings(
    base: str, tmp_path: Path, spelling: str, ac: int | None, line: str | None
) -> None:
    from lokdarpan_db.importers.electoral.form20_registry import constituencies

    path = tmp_path / "by-name.csv"
    path.write_text(f"st_code,ac_name,candidate,party,total_votes\nS29,{spelling},Test Candidate 21,BJP,10\n")
    with psycopg.connect(base) as conn:
        registry = dict(conn.execute(AC_74_94).fetchall())
        conn.commit()
        # The results importer, matching by name.
        try:
            results = import_results(conn, path, year=2018, match_by="name", recompute=False, dry_run=True)
        except ElectoralFileError as exc:
            assert ac is None, str(exc)
            assert f"AC '{spelling}' matches no AC of state S29 closely enough" in str(exc)
        else:
            assert ac is not None and results.constituencies == 1
            assert results.matches == ([f"by-name.csv line 2: AC {spelling!r} {line}"] if line else [])
        # The Form 20 importer, its label read as AC 74's (or 94's).
        number = ac or 74
        report = _form20_report(number, 11 if number == 74 else 14, spelling)
        try:
            with conn.transaction(force_rollback=True):
                ac_id = constituencies(conn, "S29", report, None)
        except ElectoralFileError as exc:
            assert ac is None, str(exc)
            assert (
                f"AC 74 is named {spelling!r} in the file but 'Mahbubnagar' in the registry, and the name "
                "matches no AC of state S29 closely enough"
            ) in str(exc)
        else:
            assert ac is not None and ac_id is not None
            assert report.ac_name == registry[ac] and report.constituencies_created == []
            assert [p for p in report.problems if "matched" in p] == (
                [f"AC{ac:03d}.csv: AC {spelling!r} {line}"] if line else [])
        conn.rollback()
        assert dict(conn.execute(AC_74_94).fetchall()) == registry  # never renamed


def test_a_form20_label_naming_another_ac_is_refused(base: str) -> None:
    from lokdarpan_db.importers.electoral.form20_registry import constituencies

    report = _form20_report(75, 11, "Mahabubnagar")
    with psycopg.connect(base) as conn, pytest.raises(ElectoralFileError) as err:
        constituencies(conn, "S29", report, None)
    assert str(err.value) == (
        "AC075.csv: AC 75 is named 'Mahabubnagar' in the file, which is AC 74 'Mahbubnagar' in the "
        "registry (matched by trigram, similarity 0.67): the file's numbering is not the registry's; "
        "give the right number"
    )


def test_form20_files_labelled_with_another_spelling_load_into_the_registered_ac(
    base: str, tmp_path: Path
) -> None:
    """Through import_form20 (a dry-run batch: later files see the earlier ones' rows): AC 3 is made
    as 'Bhuj' by the real file; a copy labelled 'B H U J' loads into it, reported; a copy of it
    labelled with AC 1's name and number 3 is refused."""
    from lokdarpan_db.importers.electoral.load_form20 import (
        FORM20_DIR,
        Form20BatchError,
        import_form20_files,
    )

    text = (FORM20_DIR / "AC003.csv").read_text(encoding="utf-8")
    assert ",03-BHUJ" in text
    (tmp_path / "spaced").mkdir()
    (tmp_path / "abadasa").mkdir()
    spaced = tmp_path / "spaced" / "AC003.csv"
    spaced.write_text(text.replace(",03-BHUJ", ",03-B H U J", 1), encoding="utf-8")
    with psycopg.connect(base) as conn:
        batch = import_form20_files(conn, [FORM20_DIR / "AC003.csv", spaced], dry_run=True)
        first, second = batch.reports
        assert first.ac_name == "Bhuj" and first.constituencies_created == ["PC 1 of S06", "AC 3 of S06"]
        assert second.ac_name == "Bhuj" and second.constituencies_created == []
        assert "AC003.csv: AC 'B H U J' matched by its normalised name to AC 3 'Bhuj'" in second.problems
        wrong = tmp_path / "abadasa" / "AC003.csv"
        wrong.write_text(text.replace(",03-BHUJ", ",03-ABADASA", 1), encoding="utf-8")
        with pytest.raises(Form20BatchError) as err:
            import_form20_files(conn, [FORM20_DIR / "AC001.csv", wrong], dry_run=True)
        assert (
            "AC 3 is named 'Abadasa' in the file, which is AC 1 'Abadasa' in the registry (matched exactly): "
            "the file's numbering is not the registry's"
        ) in str(err.value)
        assert conn.execute("select count(*) from constituency where state_code = 'S06'").fetchone() == (0,)
