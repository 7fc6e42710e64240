"""Form 20 parser: the seven real Gujarat files, synthetic quirks, the ECI lists, name keys.

Pure Python: no database, nothing from tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lokdarpan_db.errors import BadInputError
from lokdarpan_db.importers.electoral import (
    ElectoralFileError,
    name_key,
    normalise_name,
    parse_form20,
    read_candidates,
    read_parties,
)

FORM20 = Path(__file__).resolve().parents[2] / "data" / "electoral" / "form20-gujarat-ls2014"

GUJ_PC01 = [
    "Kamalbhai Matang",
    "Chavda Vinod Lakhamashi",
    "Dr. Dinesh Parmar",
    "Danicha Govindbhai Punamchand",
    "Hirji Punjabhai Siju",
]

# file -> (stations, header lines, serial column, numbering line, page totals, final rows,
#          constituency, problems as str)
REAL = {
    "AC001": (
        329, [1, 2], 1, 3, 47, 3, "01-ABADASA",
        [
            "line 277: polling station 232 again (first on line 276), with other votes",
            "polling stations 1-329: no row for 1 serial(s): 234",
        ],
    ),
    "AC002": (278, [1, 2], 0, None, 0, 0, None, []),
    "AC003": (
        253, [1, 2], 0, None, 0, 0, "03-BHUJ",
        ["line 167: polling station 164 again (first on line 166), with other votes"],
    ),
    "AC004": (
        234, [1, 2], 0, None, 16, 0, None,
        ["line 147: polling station 135 again (first on line 146), with other votes"],
    ),
    "AC005": (258, [1, 2], 0, 3, 17, 0, None, []),
    "AC006": (
        250, [1, 2], 0, 3, 35, 0, None,
        [
            "line 268: polling station 232 again (first on line 267), with other votes",
            "polling stations 1-251: no row for 2 serial(s): 106, 234",
            "line 130: page Total differs from the sum of the 6 polling stations on lines 124-129 "
            "(stated vs sum): Kamalbhai Matang 136 vs 119, Chavda Vinod Lakhamashi 2370 vs 2140, "
            "Dr. Dinesh Parmar 1382 vs 1273, Danicha Govindbhai Punamchand 139 vs 124, "
            "Hirji Punjabhai Siju 67 vs 57, total_valid 4094 vs 3713, nota 113 vs 98, total 4207 vs 3811",
        ],
    ),
    "AC007": (281, [1, 2], 0, None, 0, 0, None, []),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_file_parses_with_exact_counts(name: str) -> None:
    stations, header, serial_col, numbering, pages, finals, constituency, problems = REAL[name]
    f = parse_form20(FORM20 / f"{name}.csv")
    assert len(f.rows) == stations
    assert f.header_lines == header
    assert f.serial_column == serial_col
    assert [n.line for n in f.notes if n.kind == "numbering"] == ([numbering] if numbering else [])
    assert len(f.summaries_of("page_total")) == pages
    assert len(f.summaries) - pages == finals
    assert f.constituency == constituency
    assert [str(p) for p in f.problems] == problems
    # Every real file has NOTA after "rejected", outside total valid and inside Total.
    assert f.has_nota
    assert f.nota_counted_in == "total"
    assert list(f.total_columns) == ["total_valid", "rejected", "nota", "total", "tendered"]
    assert all(len(r.votes) == len(f.candidates) for r in f.rows)
    assert all(sum(r.votes) == r.total_valid for r in f.rows)
    assert all(r.total_valid + r.rejected + r.nota == r.total for r in f.rows)  # type: ignore[operator]


@pytest.mark.parametrize("name", ["AC001", "AC002", "AC003", "AC004", "AC005", "AC006"])
def test_kutch_files_have_the_five_pc01_candidates(name: str) -> None:
    f = parse_form20(FORM20 / f"{name}.csv")
    assert f.candidates == GUJ_PC01
    assert f.candidate_columns == [f.serial_column + i for i in range(1, 6)]


def test_ac007_has_fourteen_candidate_columns_all_named() -> None:
    f = parse_form20(FORM20 / "AC007.csv")
    assert len(f.candidates) == 14
    assert f.candidates[0] == "Chaudhary Haribhai Parthibhai"
    assert f.candidates[-1] == "Solanki Saybabhai Nanabhai"
    assert f.total_columns == {"total_valid": 15, "rejected": 16, "nota": 17, "total": 18, "tendered": 19}
    assert f.rows[-1].serial == "281"
    assert f.rows[-1].votes[:2] == [322, 103]


def test_ac001_final_rows_match_the_stations() -> None:
    f = parse_form20(FORM20 / "AC001.csv")
    recorded, postal, polled = (f.summaries_of(k)[0] for k in ("recorded_at_stations", "postal", "polled"))
    assert (recorded.line, postal.line, polled.line) == (392, 393, 394)
    assert recorded.label == "Total No. of votes recorded at polling stations"
    assert (
        recorded.votes
        == [sum(r.votes[i] for r in f.rows) for i in range(5)]
        == [4633, 70027, 58184, 1832, 6600]
    )
    assert (recorded.total_valid, recorded.nota, recorded.total) == (141276, 2712, 143988)
    assert postal.votes == [0, 0, 0, 0, 0]
    assert polled.total == 143988
    assert [n.line for n in f.notes if n.kind == "constituency"][-1] == 395
    assert len([n for n in f.notes if n.kind == "constituency"]) == 13


def test_ac006_missing_station_shows_only_as_page_total_warning() -> None:
    f = parse_form20(FORM20 / "AC006.csv")
    serials = [r.serial for r in f.rows]
    assert "106" not in serials
    assert serials.count("232") == 2


# --- synthetic variants ------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "f20.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


THREE_HEADERS = (
    (
        ",Sl. No. of Polling Station,No. of valid votes cast in favour of,,,TOTAL OF VALID VOTES,"
        "No. of Rejected Votes,N.O.T.A.,Total,Total No. of tendered votes\n"
    )
    + """\
,,Chavda Mansukhbh,Patel,Dr.,,,,,
,,ai,Ramesh Kumar,Asha   Rao,,,,,
,1,2,3,4,5,6,7,8,9

,1,10,20,30,60,1,2,63,0
,12A,5,5,5,15,0,1,16,0
,12 A,1,1,1,3,0,0,3,1
, TOTAL ,16,26,36,78,1,3,82,1
,13,4,4,4,12,0,0,12,0
,Page total,4,4,4,12,0,0,12,0
,"Total no. of Votes recorded at Polling Stations:",20,30,40,90,1,3,94,1
,No of votes recorded on postal ballot papers,1,0,0,1,0,0,1,0
,TOTAL VOTES POLLED,21,30,40,91,1,3,95,1
,7 - SECUNDERABAD,,,,,,,,
"""
)


def test_three_header_rows_split_names_and_every_line_kind(tmp_path: Path) -> None:
    f = parse_form20(write(tmp_path, THREE_HEADERS))
    assert f.header_lines == [1, 2, 3]
    assert f.serial_column == 1
    assert f.candidates == ["Chavda Mansukhbh ai", "Patel Ramesh Kumar", "Dr. Asha Rao"]
    assert [r.serial for r in f.rows] == ["1", "12A", "12A", "13"]
    assert f.rows[1].votes == [5, 5, 5]
    assert (f.rows[0].total_valid, f.rows[0].rejected, f.rows[0].nota, f.rows[0].total) == (60, 1, 2, 63)
    assert [(s.kind, s.line) for s in f.summaries] == [
        ("page_total", 9),
        ("page_total", 11),
        ("recorded_at_stations", 12),
        ("postal", 13),
        ("polled", 14),
    ]
    assert [(n.kind, n.line, n.text) for n in f.notes] == [
        ("numbering", 4, "1,2,3,4,5,6,7,8,9"),
        ("constituency", 15, "7 - SECUNDERABAD"),
    ]
    assert f.constituency == "7 - SECUNDERABAD"
    assert f.nota_counted_in == "total"
    assert [str(p) for p in f.problems] == [
        "line 8: polling station 12A again (first on line 7), with other votes",
        "polling stations 1-13: no row for 11 serial(s): 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12",
    ]


def test_split_name_matches_candidate_list_key(tmp_path: Path) -> None:
    f = parse_form20(write(tmp_path, THREE_HEADERS))
    assert name_key(f.candidates[0]) == "CHAVDAMANSUKHBHAI"
    assert name_key(f.candidates[2], drop_titles=True) == name_key("ASHA RAO")


def test_arithmetic_mismatches_are_warnings_with_lines(tmp_path: Path) -> None:
    text = THREE_HEADERS.replace(",1,10,20,30,60,1,2,63,0", ",1,10,20,30,61,1,2,63,0").replace(
        ",TOTAL VOTES POLLED,21,30,40,91,1,3,95,1", ",TOTAL VOTES POLLED,21,30,40,91,1,3,96,1"
    )
    f = parse_form20(write(tmp_path, text))
    assert [str(p) for p in f.problems if "serial" not in str(p) and "again" not in str(p)] == [
        "line 6: polling station 1: candidates' votes sum to 60, total valid is 61",
        "line 6: polling station 1: total valid + rejected + NOTA = 64, Total is 63",
        "line 9: page Total differs from the sum of the 3 polling stations on lines 6-8 (stated vs sum): "
        "total_valid 78 vs 79",
        "line 12: votes recorded at polling stations differ from the sum of all 4 stations (stated vs sum): "
        "total_valid 90 vs 91",
        "line 14: votes polled differ from all stations + postal ballots (stated vs sum): "
        "total_valid 91 vs 92, total 96 vs 95",
    ]


def test_nota_inside_total_valid_is_detected(tmp_path: Path) -> None:
    text = (
        "Serial No.,A B,C D,None of the Above,Total valid votes,Rejected,Total,Tendered\n"
        "1,10,5,2,17,1,18,0\n"
        "2,3,3,1,7,0,7,0\n"
        "3,3,3,0,6,0,6,0\n"
        "4,3,3,1,6,0,6,0\n"
    )
    f = parse_form20(write(tmp_path, text))
    assert f.header_lines == [1]
    assert f.candidates == ["A B", "C D"]
    assert f.total_columns == {"nota": 3, "total_valid": 4, "rejected": 5, "total": 6, "tendered": 7}
    assert f.nota_counted_in == "total_valid"
    assert [str(p) for p in f.problems] == [
        "line 5: polling station 4: candidates' votes + NOTA sum to 7, total valid is 6",
    ]


def test_nota_decided_by_the_first_agreeing_stations_still_checks_every_station(tmp_path: Path) -> None:
    """Issue 21: the NOTA pass stops after NOTA_EVIDENCE agreeing stations; a later station that
    disagrees is still a problem of its line, as when every station was counted."""
    from lokdarpan_db.importers.electoral.form20 import NOTA_EVIDENCE

    inside = [f"{n},3,3,1,7,0,7,0" for n in range(1, NOTA_EVIDENCE + 6)]
    late = NOTA_EVIDENCE + 6
    text = (
        "Serial No.,A B,C D,None of the Above,Total valid votes,Rejected,Total,Tendered\n"
        + "\n".join(inside) + f"\n{late},3,3,1,6,0,7,0\n"
    )
    f = parse_form20(write(tmp_path, text))
    assert f.nota_counted_in == "total_valid"
    assert {p.line for p in f.problems} == {late + 1}
    assert str(f.problems[0]) == (
        f"line {late + 1}: polling station {late}: candidates' votes + NOTA sum to 7, total valid is 6"
    )


def test_nota_stations_that_disagree_early_are_all_counted(tmp_path: Path) -> None:
    """Stations that disagree before NOTA_EVIDENCE agree: the majority decides, as before."""
    from lokdarpan_db.importers.electoral.form20 import NOTA_EVIDENCE

    rows = ["1,3,3,1,7,0,7,0"] + [f"{n},3,3,1,6,0,7,0" for n in range(2, NOTA_EVIDENCE + 10)]
    text = (
        "Serial No.,A B,C D,None of the Above,Total valid votes,Rejected,Total,Tendered\n"
        + "\n".join(rows) + "\n"
    )
    f = parse_form20(write(tmp_path, text))
    assert f.nota_counted_in == "total"
    assert {p.line for p in f.problems} == {2}


def test_no_nota_column(tmp_path: Path) -> None:
    text = "Polling station,X,Y,Valid,Rejected,Total\n1,1,2,3,0,3\n2,2,2,4,1,5\n"
    f = parse_form20(write(tmp_path, text))
    assert not f.has_nota
    assert f.nota_counted_in is None
    assert f.rows[1].nota is None
    assert f.problems == []


def test_more_candidate_columns_than_names(tmp_path: Path) -> None:
    text = (
        "polling station,,,,valid,No. of Rejected Votes,NOTA,Total,Total No. of tendered votes\n"
        ",Alpha One,Beta Two,,,,,,\n"
        "1,5,6,7,18,0,1,19,0\n"
        "2,1,1,1,3,0,0,3,0\n"
    )
    f = parse_form20(write(tmp_path, text))
    assert f.candidates == ["Alpha One", "Beta Two", ""]
    assert f.rows[0].votes == [5, 6, 7]
    assert [str(p) for p in f.problems] == ["line 1: column 4 has votes but no candidate name in the header"]


def test_name_split_across_cells_is_joined(tmp_path: Path) -> None:
    text = (
        "Serial,,,,,valid,rejected,NOTA,Total,tendered\n"
        ",Chavda Mansukhbh,ai,Patel Ramesh,Rao Asha,,,,,\n"
        "1,5,,6,7,18,0,1,19,0\n"
        "2,1,,1,1,3,0,0,3,0\n"
    )
    f = parse_form20(write(tmp_path, text))
    assert f.candidates == ["Chavda Mansukhbh ai", "Patel Ramesh", "Rao Asha"]
    assert f.candidate_columns == [1, 3, 4]
    assert [str(p) for p in f.problems] == [
        "line 1: column 3 has a header ('ai') but no votes: taken as the end of the name in column 2"
    ]


def test_text_in_a_vote_cell_refuses_the_file_naming_the_line(tmp_path: Path) -> None:
    text = THREE_HEADERS.replace(",13,4,4,4,12,0,0,12,0", ",13,4,x4,4,12,0,0,12,0")
    path = write(tmp_path, text)
    with pytest.raises(ElectoralFileError) as err:
        parse_form20(path)
    assert isinstance(err.value, BadInputError)
    assert err.value.exit_code == 2
    assert str(err.value) == (
        f"{path}: line 10: polling station 13: 'Patel Ramesh Kumar' (column 4) is 'x4', not a vote count"
    )


def test_every_bad_line_is_collected(tmp_path: Path) -> None:
    text = (
        "Serial,A,B,valid,rejected,NOTA,Total,tendered\n"
        "1,1,1,2,0,0,2,0\n"
        "2,,1,1,0,0,1,0\n"
        "3,1,one,2,0,0,2,0\n"
        "Grand Totl,2,2,4,0,0,4,0\n"
        "4,1,1,2,0,0,2,0\n"
        "Total,4,x,7,0,0,7,0\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ElectoralFileError) as err:
        parse_form20(path)
    assert [str(p) for p in err.value.problems] == [
        "line 3: polling station 2: no votes for 'A'",
        "line 4: polling station 3: 'B' (column 3) is 'one', not a vote count",
        "line 5: cannot tell what this line is: 'Grand Totl' is neither a serial nor a totals label",
        "line 7: Total: 'B' (column 3) is 'x', not a vote count",
    ]
    assert str(err.value) == (
        f"{path}: 4 problems: line 3: polling station 2: no votes for 'A'; "
        "line 4: polling station 3: 'B' (column 3) is 'one', not a vote count; "
        "line 5: cannot tell what this line is: 'Grand Totl' is neither a serial nor a totals label; "
        "and 1 more"
    )


def test_file_without_station_rows_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "Serial,A,B,valid\nTotal,1,2,3\n")
    with pytest.raises(ElectoralFileError, match="no polling-station rows"):
        parse_form20(path)


def test_file_without_candidate_columns_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "Serial,valid,rejected,Total\n1,3,0,3\n2,4,0,4\n")
    with pytest.raises(ElectoralFileError) as err:
        parse_form20(path)
    assert str(err.value) == (
        f"{path}: line 1: no candidate columns between the serial column (1) and the totals"
    )


def test_file_without_header_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "1,3,0,3\n2,4,0,4\n")
    with pytest.raises(ElectoralFileError) as err:
        parse_form20(path)
    assert (
        str(err.value)
        == f"{path}: line 1: no header rows above the first polling station: candidates unnamed"
    )


def test_not_utf8_and_missing_files_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "latin.csv"
    p.write_bytes(b"Serial,A\n1,2\n\xe9,3\n")
    with pytest.raises(ElectoralFileError, match=r"line 3: not UTF-8 \(byte 0xe9 at offset 13\)"):
        parse_form20(p)
    with pytest.raises(ElectoralFileError, match="no such file"):
        parse_form20(tmp_path / "absent.csv")


# --- names and the ECI lists -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dr. Dinesh Parmar", "DR DINESH PARMAR"),
        ("DR.DINESH  PARMAR", "DR DINESH PARMAR"),
        ("dr dinesh parmar ", "DR DINESH PARMAR"),
        ("R.S. PRAVEEN KUMAR", "R S PRAVEEN KUMAR"),
        ("Chavda Mansukhbh ai", "CHAVDA MANSUKHBH AI"),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_name_keys() -> None:
    assert name_key("Chavda Mansukhbh ai") == name_key("CHAVDA MANSUKHBHAI") == "CHAVDAMANSUKHBHAI"
    assert normalise_name("Dr. Dinesh Parmar", drop_titles=True) == "DINESH PARMAR"
    assert normalise_name("Smt. Dr. Asha", drop_titles=True) == "ASHA"
    assert normalise_name("Dr.", drop_titles=True) == "DR"


def test_read_candidates_parses_codes() -> None:
    c = read_candidates(FORM20 / "candidates.csv")
    assert len(c.candidates) == 360
    assert len({x.pc_no for x in c.candidates}) == 26
    first = c.candidates[0]
    assert (first.line, first.code, first.name, first.party_code) == (
        2, "S06PC01CA01", "CHAVDA VINOD LAKHAMASHI", "N0002"
    )  # fmt: skip
    assert (first.state_code, first.pc_no, first.candidate_no) == ("S06", 1, 1)
    assert sum(x.is_nota for x in c.candidates) == 26
    pc02 = {name_key(x.name) for x in c.candidates if x.pc_no == 2 and not x.is_nota}
    ac007 = parse_form20(FORM20 / "AC007.csv")
    assert {name_key(n) for n in ac007.candidates} == pc02
    pc01 = {name_key(x.name) for x in c.candidates if x.pc_no == 1 and not x.is_nota}
    assert {name_key(n) for n in GUJ_PC01} == pc01


def test_read_candidates_refuses_a_bad_code(tmp_path: Path) -> None:
    p = write(tmp_path, "Cand_Code,Cand_Name,Party_code\nS06PC01CA01,A,N0001\nS6-PC1,B,N0002\n", "c.csv")
    with pytest.raises(ElectoralFileError) as err:
        read_candidates(p)
    assert str(err.value) == f"{p}: line 3: candidate code 'S6-PC1' is not like S06PC01CA01"


def test_read_parties_reads_the_shipped_file_as_utf8_without_a_warning() -> None:
    # Issue 21: the file was Windows-1252 (an en dash 0x96 on line 98, curly apostrophes 0x92 on
    # lines 293, 660, 697, 849, an en dash on 1500); it was converted to UTF-8 once.
    parties = read_parties(FORM20 / "political-parties.csv")
    assert len(parties.parties) == 1666
    assert parties.encoding == "utf-8"
    assert parties.problems == []
    by_code = {p.code: p for p in parties.parties}
    assert by_code["U0044"].name == "Akhil Bharatiya Bharat Mata – Putra Paksha"
    assert by_code["U0239"].name == "Bharat Pensioner’s Front"
    assert by_code["U1446"].name == "Swaraj Party – Yes (Subhash Chandra Bosh)"
    assert by_code["N0002"].symbol == "Lotus"
    assert by_code["N1001"].symbol is None
    assert by_code["S0001"].states == ("U05",)
    assert by_code["N0000"].name == "None of the above"


def test_read_parties_still_reads_a_windows_1252_file_and_says_so(tmp_path: Path) -> None:
    p = tmp_path / "parties.csv"
    p.write_bytes(
        b"Party_Code,Party_name,Res_Symbol,Status\r\n"
        b"N0002,Party One,NA,National\r\n"
        b"U0044,Akhil Bharatiya Bharat Mata \x96 Putra Paksha,NA,Unrecognised\r\n"
    )
    parties = read_parties(p)
    assert parties.encoding == "cp1252"
    assert [str(x) for x in parties.problems] == [
        "line 3: not UTF-8 (byte 0x96 at offset 104): the file was read as cp1252"
    ]
    assert parties.parties[1].name == "Akhil Bharatiya Bharat Mata – Putra Paksha"


def test_every_shipped_data_file_is_utf8() -> None:
    data = FORM20.parents[1]
    checked = 0
    for f in sorted(data.rglob("*")):
        if f.is_file() and f.suffix in (".csv", ".geojson", ".json", ".md", ".txt"):
            f.read_bytes().decode("utf-8")  # raises, naming the byte, when a file is not UTF-8
            checked += 1
    assert checked >= 12


# --- PDF page furniture (issue 21, part 3) ------------------------------------------------------

SMALL = (
    "Serial,A B,C D,Total valid,Rejected,NOTA,Total,Tendered\n"
    "1,10,5,15,1,2,18,0\n"
    "2,3,4,7,0,1,8,0\n"
    "3,6,1,7,0,0,7,1\n"
)


@pytest.mark.parametrize(
    ("footer", "column"),
    [
        (" Page 10", 3),  # a candidate's votes
        (" Page: 10", 3),
        (" Page 10 of 12", 3),
        (" - page no. 10", 3),
        (" Pg 3/12", 3),
        (" Page 10", 4),  # total valid (both sums check it)
        (" PAGE 10", 7),  # Total
    ],
)
def test_a_page_footer_merged_into_a_cell_is_taken_when_the_sums_prove_it(
    tmp_path: Path, footer: str, column: int
) -> None:
    row = ["2", "3", "4", "7", "0", "1", "8", "0"]
    value = row[column - 1]
    cell = row[column - 1] = value + footer
    f = parse_form20(write(tmp_path, SMALL.replace("2,3,4,7,0,1,8,0", ",".join(row))))
    assert f.rows[1].votes == [3, 4] and f.rows[1].total == 8
    assert len(f.rows[1].footers) == 1
    name = {3: "'C D'", 4: "total_valid", 7: "total"}[column]
    assert [str(p) for p in f.problems] == [
        f"line 3: polling station 2: {name} (column {column}) is {cell!r}: a page footer merged into the "
        f"cell; {value} taken (the station's sums hold with it)"
    ]


@pytest.mark.parametrize(
    ("cell", "column", "why"),
    [
        ("70 Page 10", 3, "the row's sums do not add up with it"),  # 70 is not proven: the sum says 4
        ("0 Page 3", 8, "no sum of the row checks this column"),  # tendered: outside every sum
    ],
)
def test_a_page_footer_the_sums_do_not_prove_refuses_the_file_naming_the_line(
    tmp_path: Path, cell: str, column: int, why: str
) -> None:
    row = ["2", "3", "4", "7", "0", "1", "8", "0"]
    row[column - 1] = cell
    path = write(tmp_path, SMALL.replace("2,3,4,7,0,1,8,0", ",".join(row)))
    with pytest.raises(ElectoralFileError) as err:
        parse_form20(path)
    name = {3: "'C D'", 8: "tendered"}[column]
    assert str(err.value) == (
        f"{path}: line 3: polling station 2: {name} (column {column}) is {cell!r}: a vote count with a "
        f"page footer merged in, and {why}: cannot tell the count"
    )


def test_a_page_footer_alone_in_a_vote_cell_refuses_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL.replace("2,3,4,7,0,1,8,0", "2,3,Page 10 of 12,7,0,1,8,0"))
    with pytest.raises(ElectoralFileError) as err:
        parse_form20(path)
    assert str(err.value) == (
        f"{path}: line 3: polling station 2: 'C D' (column 3) is 'Page 10 of 12': a page footer and no "
        "vote count"
    )


def test_a_page_footer_in_a_page_total_is_taken_when_it_is_the_pages_sum(tmp_path: Path) -> None:
    text = SMALL + "Total,19 Page 1,10,29,1,3,33,1\n"
    f = parse_form20(write(tmp_path, text))
    assert [str(p) for p in f.problems] == [
        "line 5: Total: 'A B' (column 2) is '19 Page 1': a page footer merged into the cell; 19 taken "
        "(it is the sum of the 3 polling stations on lines 2-4)"
    ]
    path = write(tmp_path, SMALL + "Total,18 Page 1,10,29,1,3,33,1\n", "bad.csv")
    with pytest.raises(ElectoralFileError, match=r"line 5: Total: 'A B' \(column 2\) is '18 Page 1': a vote "
                       r"count with a page footer merged in, and the sum of the 3 polling stations on "
                       r"lines 2-4 is 19: cannot tell the count"):
        parse_form20(path)


def test_unlabelled_rows_at_the_end_are_checked_reported_and_not_loaded(tmp_path: Path) -> None:
    # The PDF's grand total, a row of zeros, the total again: no serial, no label.
    text = SMALL + ",19,10,29,1,3,33,1\n,0,0,0,0,0,0,0\n,19,10,29 Page 4,1,3,33,1\n"
    f = parse_form20(write(tmp_path, text))
    assert len(f.rows) == 3
    assert [s.kind for s in f.summaries] == []
    assert [str(p) for p in f.problems] == [
        "line 5: a row without serial or label equals the sums of all 3 polling stations: a grand total, "
        "checked and not loaded",
        "line 6: a row without serial or label, all zeros: ignored (not loaded)",
        "line 7: row without serial or label: total_valid (column 4) is '29 Page 4': a page footer merged "
        "into the cell; 29 taken (it is the sum of all 3 stations)",
        "line 7: a row without serial or label equals the sums of all 3 polling stations: a grand total, "
        "checked and not loaded",
    ]


def test_an_unlabelled_row_that_is_not_the_sums_is_still_refused(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL + ",19,11,30,1,3,34,1\n")
    with pytest.raises(ElectoralFileError) as err:
        parse_form20(path)
    assert str(err.value) == (
        f"{path}: line 5: cannot tell what this line is: a row of numbers without serial or label that is "
        "neither the sums of all 3 polling stations (stated vs sum: C D 11 vs 10, total_valid 30 vs 29, "
        "total 34 vs 33) nor all zero"
    )
    path = write(tmp_path, SMALL + ",19,10,29,1,3,33,1\n4,1,1,2,0,0,2,0\n", "mid.csv")
    with pytest.raises(ElectoralFileError, match="line 5: cannot tell what this line is: a row of numbers "
                       "without serial or label, and polling stations follow it"):
        parse_form20(path)


def test_a_warning_on_many_stations_is_one_line_with_count_and_ranges(tmp_path: Path) -> None:
    rows = [f"{i},1,2,3,,0,3,0" for i in range(1, 241)]
    rows.insert(100, "Total,100,200,300,0,0,300,0")  # a page Total does not break the run
    rows[150] = "150,1,2,3,0,0,3,0"  # station 150 has its rejected count: two runs
    text = "Serial,A,B,Total valid,Rejected,NOTA,Total,Tendered\n" + "\n".join(rows) + "\n"
    f = parse_form20(write(tmp_path, text))
    assert [str(p) for p in f.problems] == ["rejected is empty on 239 lines (2-151, 153-242)"]
    one = parse_form20(write(tmp_path, SMALL.replace("2,3,4,7,0,1,8,0", "2,3,4,7,,1,8,0"), "one.csv"))
    assert [str(p) for p in one.problems] == ["line 3: polling station 2: rejected is empty"]
