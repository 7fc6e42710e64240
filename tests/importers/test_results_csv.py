"""Constituency-wise results reader: the real ECI Telangana 2023 file and other publishers' layouts.

Pure Python: no database, nothing from tests/conftest.py.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from lokdarpan_db.errors import BadInputError
from lokdarpan_db.importers.electoral import (
    ElectoralFileError,
    default_mapping,
    read_mapping_file,
    read_results_csv,
)

ECI = Path(__file__).resolve().parents[2] / "data" / "electoral" / "telangana-assembly-2023-results.csv"


def test_eci_file_loads_with_no_options() -> None:
    r = read_results_csv(ECI)
    assert len(r.rows) == 2409
    assert r.delimiter == ","
    assert r.columns == default_mapping("AC")
    assert r.problems == []
    assert sorted(r.constituencies) == list(range(1, 120))
    assert r.constituencies[57] == "Musheerabad"
    first = r.rows[0]
    assert (first.line, first.state_code, first.state_name, first.constituency_no) == (
        2,
        "S29",
        "Telangana",
        1,
    )
    assert (first.constituency_name, first.candidate, first.party) == (
        "Sirpur", "KONERU KONAPPA", "Bharat Rashtra Samithi"
    )  # fmt: skip
    assert (first.evm_votes, first.postal_votes, first.total_votes) == (60379, 235, 60614)
    assert first.percent_votes == Decimal("32.43")
    assert first.constituency_type == "AC"
    assert r.rows[-1].line == 2410
    assert sum(row.candidate == "NOTA" or row.party == "None of the Above" for row in r.rows) == 119
    assert all(row.evm_votes + row.postal_votes == row.total_votes for row in r.rows)  # type: ignore[operator]


def test_eci_percents_sum_to_100_in_every_constituency() -> None:
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for row in read_results_csv(ECI).rows:
        assert row.percent_votes is not None
        sums[row.constituency_no] += row.percent_votes
    assert len(sums) == 119
    assert min(sums.values()) == Decimal("99.97")
    assert max(sums.values()) == Decimal("100.03")


OTHER = (
    '"State" ; "PC No" ; "PC Name " ; "Candidate Name" ; "Party Name" ; "Votes Secured "\r\n'
    '"Telangana";"1";"Adilabad (ST)";"GODAM NAGESH ";"Bharatiya Janata Party";"5,68,168"\r\n'
    '"Telangana";1; Adilabad (ST) ;"ATHRAM  SUGUNA";"Indian National Congress; INC";"4,77,516"\r\n'
    "\r\n"
    '"Telangana";"2";"Peddapalle (SC)";"GADDAM VAMSI KRISHNA";"Indian National Congress";"4,75,587"\r\n'
)

MAPPING = """\
# Another publisher's parliamentary results: no state code, no EVM/postal split, no percent.
state_name = State
constituency_no = PC No
constituency_name = "PC Name"
candidate    =   Candidate Name
party = Party Name

total_votes = Votes Secured
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def test_other_publisher_semicolon_crlf_bom_quoted_via_mapping_file(tmp_path: Path) -> None:
    data = write(tmp_path, "pc.csv", "\ufeff" + OTHER)
    mapping = write(tmp_path, "pc.mapping", MAPPING)
    r = read_results_csv(data, mapping=mapping, constituency_type="PC")
    assert r.delimiter == ";"
    assert r.columns == {
        "state_name": "State",
        "constituency_no": "PC No",
        "constituency_name": "PC Name",
        "candidate": "Candidate Name",
        "party": "Party Name",
        "total_votes": "Votes Secured",
    }
    assert [
        (x.line, x.constituency_no, x.constituency_name, x.candidate, x.party, x.total_votes) for x in r.rows
    ] == [
        (2, 1, "Adilabad (ST)", "GODAM NAGESH", "Bharatiya Janata Party", 568168),
        (3, 1, "Adilabad (ST)", "ATHRAM SUGUNA", "Indian National Congress; INC", 477516),
        (5, 2, "Peddapalle (SC)", "GADDAM VAMSI KRISHNA", "Indian National Congress", 475587),
    ]
    row = r.rows[0]
    assert (row.constituency_type, row.state_code, row.state_name) == ("PC", None, "Telangana")
    assert (row.evm_votes, row.postal_votes, row.percent_votes) == (None, None, None)
    assert r.problems == []


def test_mapping_as_dict_with_explicit_delimiter_and_percent_sign(tmp_path: Path) -> None:
    text = (
        "No\tName\tWho\tParty\tEVM\tPostal\tVotes\tShare\n"
        "7\tX\tA\tP\t90\t10\t100\t66.67%\n"
        "7\tX\tB\tQ\t50\t0\t50\t33.33%\n"
    )
    mapping = {
        "constituency_no": "no",
        "constituency_name": "NAME",
        "candidate": "Who",
        "party": "Party",
        "evm_votes": "EVM",
        "postal_votes": "Postal",
        "total_votes": "Votes",
        "percent_votes": "Share",
    }
    r = read_results_csv(write(tmp_path, "t.tsv", text), mapping=mapping, delimiter="\t")
    assert [(x.candidate, x.evm_votes, x.postal_votes, x.total_votes, x.percent_votes) for x in r.rows] == [
        ("A", 90, 10, 100, Decimal("66.67")),
        ("B", 50, 0, 50, Decimal("33.33")),
    ]


def test_missing_required_column_is_refused_naming_it(tmp_path: Path) -> None:
    text = "st_code,st_name,ac_no,ac_name,candidate,evm_votes,postal_votes,total_votes\nS29,T,1,A,X,1,0,1\n"
    p = write(tmp_path, "r.csv", text)
    with pytest.raises(ElectoralFileError) as err:
        read_results_csv(p)
    assert isinstance(err.value, BadInputError)
    assert err.value.exit_code == 2
    assert str(err.value) == (
        f"{p}: line 1: missing column party (header 'party'); headers found: 'st_code', 'st_name', "
        "'ac_no', 'ac_name', 'candidate', 'evm_votes', 'postal_votes', 'total_votes'"
    )


def test_mapped_optional_column_must_exist(tmp_path: Path) -> None:
    p = write(tmp_path, "pc.csv", OTHER)
    mapping = read_mapping_file(write(tmp_path, "m", MAPPING + "percent_votes = Vote %\n"))
    with pytest.raises(
        ElectoralFileError, match=r"line 1: missing column percent_votes \(mapped to 'Vote %'\)"
    ):
        read_results_csv(p, mapping=mapping, constituency_type="PC")


def test_pc_file_needs_pc_headers_by_default(tmp_path: Path) -> None:
    with pytest.raises(ElectoralFileError, match=r"missing columns constituency_no \(header 'pc_no'\)"):
        read_results_csv(ECI, constituency_type="PC")


BAD = """\
st_code,st_name,ac_no,ac_name,candidate,party,evm_votes,postal_votes,total_votes,percent_votes
S29,Telangana,1,Sirpur,A,P,10,0,10,50.00
S29,Telangana,1,Sirpur,B,Q,-5,0,5,25.00
S29,Telangana,1,Sirpur,C,R,7,1,9,25.00
S29,Telangana,2,Chennur,D,P,10,0,10,60.00
S29,Telangana,2,Chennur,d,Q,4,0,4,40.00
S29,Telangana,3,Bellampalli,E,P,1,0,1,50
S29,Telangana,3,Mancherial,F,P,1,0,1,50
S29,Telangana,6,Boath,E,,,1,x,
S29,Telangana,4,Asifabad,G,P,1,1,2,99.8
S29,Telangana,5,Khanapur,H,P,1,1
"""


def test_bad_rows_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    p = write(tmp_path, "bad.csv", BAD)
    with pytest.raises(ElectoralFileError) as err:
        read_results_csv(p)
    assert [str(x) for x in err.value.problems] == [
        "line 3: evm_votes '-5' is negative",
        "line 4: evm_votes 7 + postal_votes 1 = 8, not total_votes 9",
        "line 6: duplicate candidate 'd' in constituency 2 (first on line 5)",
        "line 8: constituency 3 is named 'Mancherial' here but 'Bellampalli' on line 7",
        "line 9: party is empty; total_votes 'x' is not a whole number",
        "line 10: constituency 4: percent_votes sum to 99.8, not 100 ± 0.1 (rows on lines 10-10)",
        "line 11: has 8 cells, the header needs 10",
    ]
    assert str(err.value) == (
        f"{p}: 7 problems: line 3: evm_votes '-5' is negative; "
        "line 4: evm_votes 7 + postal_votes 1 = 8, not total_votes 9; "
        "line 6: duplicate candidate 'd' in constituency 2 (first on line 5); and 4 more"
    )


def test_percent_given_on_some_rows_only_is_a_warning(tmp_path: Path) -> None:
    text = "ac_no,ac_name,candidate,party,total_votes,percent_votes\n1,A,X,P,3,75\n1,A,Y,Q,1,\n"
    r = read_results_csv(write(tmp_path, "r.csv", text))
    assert len(r.rows) == 2
    assert [str(x) for x in r.problems] == [
        "line 2: constituency 1: percent_votes given on 1 of 2 rows; their sum is not checked"
    ]


def test_header_only_file_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, "h.csv", "ac_no,ac_name,candidate,party,total_votes\r\n\r\n")
    with pytest.raises(ElectoralFileError) as err:
        read_results_csv(p)
    assert str(err.value) == f"{p}: line 1: a header and no result rows"


def test_bad_mapping_file_is_refused_with_lines(tmp_path: Path) -> None:
    m = write(
        tmp_path, "bad.mapping", "# c\ncandidate = Name\nvotes = Votes\ncandidate = Other\nparty\nparty =\n"
    )
    with pytest.raises(ElectoralFileError) as err:
        read_mapping_file(m)
    assert [str(x) for x in err.value.problems] == [
        "line 3: unknown field 'votes' (fields: state_code, state_name, constituency_no, constituency_name, "
        "candidate, party, evm_votes, postal_votes, total_votes, percent_votes)",
        "line 4: field 'candidate' mapped again (first on line 2)",
        "line 5: expected `field = Header Name`",
        "line 6: field 'party' has no header name",
    ]


def test_unknown_mapping_key_in_dict_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ElectoralFileError, match=r"the mapping names unknown fields \['votes'\]"):
        read_results_csv(ECI, mapping={"votes": "total_votes"})


def test_the_delimiter_is_one_character_and_tab_may_be_named(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", "ac_no\tac_name\tcandidate\tparty\ttotal_votes\n1\tA\tX\tP\t3\n")
    assert len(read_results_csv(p, delimiter="tab").rows) == 1
    assert len(read_results_csv(p, delimiter="\\t").rows) == 1  # as typed in a shell: backslash, t
    for bad in ("", ";;", '"', "\n"):
        with pytest.raises(ElectoralFileError, match=r"is not one separator character") as err:
            read_results_csv(p, delimiter=bad)
        assert "\n" not in str(err.value)


def test_a_file_whose_last_line_has_no_line_end_is_refused_as_cut(tmp_path: Path) -> None:
    p = write(tmp_path, "r.csv", "ac_no,ac_name,candidate,party,total_votes\n1,A,X,P,3\n1,A,Y,Q,1")
    with pytest.raises(ElectoralFileError) as err:
        read_results_csv(p)
    assert str(err.value) == (
        f"{p}: line 3: the last line ('1,A,Y,Q,1') has no line end: the file looks cut short (an interrupted "
        "copy or download); nothing imported. If the file is complete, end its last line with a newline"
    )


OTHER_PC = Path(__file__).resolve().parent / "data" / "ls2024-pc-other-TEST.csv"


def test_without_the_number_column_rows_are_keyed_by_name(tmp_path: Path) -> None:
    """Issue 21: the number column left out of the mapping, the file reads for matching by name (the
    loader resolves the names); its checks per constituency hold per name."""
    mapping = OTHER_PC.with_suffix(".mapping")
    f = read_results_csv(OTHER_PC, mapping=mapping, constituency_type="PC")
    assert f.delimiter == ";" and "constituency_no" not in f.columns
    assert len(f.rows) == 68 and {r.constituency_no for r in f.rows} == {None}
    assert len(f.constituencies) == 17 and f.constituencies["bhuvanagiri"] == "Bhuvanagiri"
    # asked to match by number, the file without the column is refused
    with pytest.raises(ElectoralFileError, match=r"missing column constituency_no \(header 'pc_no'\)"):
        read_results_csv(OTHER_PC, mapping=mapping, constituency_type="PC", match_by="number")
    # mapped, the publisher's wrong numbers are refused; match_by='name' does not read them
    with_number = write(tmp_path, "m", mapping.read_text() + "constituency_no = PC No\n")
    with pytest.raises(ElectoralFileError, match=r"line 6: constituency 1 is named 'Peddapalli \(SC\)' here"):
        read_results_csv(OTHER_PC, mapping=with_number, constituency_type="PC")
    by_name = read_results_csv(OTHER_PC, mapping=with_number, constituency_type="PC", match_by="name")
    assert len(by_name.rows) == 68
    # a candidate twice in one constituency is found per name (case-blind, as the names are)
    twice = write(
        tmp_path,
        "twice.csv",
        "st_code,pc_name,candidate,party,total_votes,percent_votes\n"
        "S29,Khammam,A,BJP,10,50\nS29,Khammam,B,INC,10,40\nS29,KHAMMAM,a,BJP,1,\n",
    )
    with pytest.raises(ElectoralFileError) as err:
        read_results_csv(twice, constituency_type="PC")
    assert [str(p) for p in err.value.problems] == [
        "line 4: duplicate candidate 'a' in constituency 'KHAMMAM' (first on line 2)"
    ]
