"""Form 20 loader: the seven real Gujarat Lok Sabha 2014 files, idempotently, and refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.importers.electoral import ElectoralFileError
from lokdarpan_db.importers.electoral.load_form20 import FORM20_DIR, Form20ImportReport, import_form20

# file -> (AC, PC, stations, candidates, duplicate serial lines)
REAL = {
    "AC001": (1, 1, 329, 5, [277]),
    "AC002": (2, 1, 278, 5, []),
    "AC003": (3, 1, 253, 5, [167]),
    "AC004": (4, 1, 234, 5, [147]),
    "AC005": (5, 1, 258, 5, []),
    "AC006": (6, 1, 250, 5, [268]),
    "AC007": (7, 2, 281, 14, []),
}
STATIONS = sum(v[2] for v in REAL.values())
RESULT_ROWS = sum(v[2] * v[3] for v in REAL.values())


def one(conn: psycopg.Connection, sql: str, *args: object) -> object:
    row = conn.execute(sql, args).fetchone()
    conn.commit()
    return row[0] if row else None


def table_counts(conn: psycopg.Connection) -> tuple:
    row = conn.execute(
        "select (select count(*) from polling_station), (select count(*) from polling_station_result), "
        "(select count(*) from result_ps), (select count(*) from election), "
        "(select count(*) from constituency), "
        "(select count(*) from party)"
    ).fetchone()
    conn.commit()
    assert row is not None
    return tuple(row)


@pytest.fixture(scope="module")
def reports(db_url: str) -> Iterator[dict[str, Form20ImportReport]]:
    with psycopg.connect(db_url) as conn:
        yield {name: import_form20(conn, FORM20_DIR / f"{name}.csv") for name in REAL}


@pytest.fixture()
def conn(db_url: str, reports: object) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url) as c:
        yield c


@pytest.mark.parametrize("name", list(REAL))
def test_each_real_file_loads_with_exact_counts(
    name: str, reports: dict[str, Form20ImportReport], conn: psycopg.Connection
) -> None:
    ac, pc, stations, candidates, repeats = REAL[name]
    r = reports[name]
    assert (r.ac_no, r.pc_no, r.stations_read, len(r.candidates)) == (ac, pc, stations, candidates)
    assert (r.stations_inserted, r.station_results_inserted) == (stations, stations)
    assert (r.result_rows, r.results_inserted) == (stations * candidates, stations * candidates)
    assert all(m.similarity == 1.0 and m.code and m.code.startswith(f"S06PC{pc:02d}CA") for m in r.candidates)
    assert [int(d.split(" line ")[1].split(":")[0]) for d in r.duplicate_serials] == repeats
    assert r.pc_match.startswith(f"PC {pc}: its candidates match")
    counted = conn.execute(
        "select count(distinct s.id), count(p.*) from polling_station s "
        "join constituency c on c.constituency_id = s.constituency_id "
        "join result_ps p on p.polling_station_id = s.id "
        "where c.state_code = 'S06' and c.kind = 'AC' and c.number = %s",
        (ac,),
    ).fetchone()
    conn.commit()
    assert counted == (stations, stations * candidates)


def test_totals_parties_and_quirks(reports: dict[str, Form20ImportReport], conn: psycopg.Connection) -> None:
    assert table_counts(conn)[:3] == (STATIONS, STATIONS, RESULT_ROWS)
    assert (STATIONS, RESULT_ROWS) == (1883, 11944)
    # every station's candidates add up to total_valid, and the totals add up
    assert (
        one(
            conn,
            "select count(*) from polling_station_result r where total_valid <> "
            "(select sum(votes) from result_ps p where p.election_id = r.election_id "
            "and p.polling_station_id = r.polling_station_id)",
        )
        == 0
    )
    assert (
        one(
            conn,
            "select count(*) from election where type = 'LOKSABHA' and year = 2014 and state_code is null",
        )
        == 1
    )
    assert conn.execute(
        "select serial, source_meta ->> 'serial_as_typed', source_meta ->> 'line' from polling_station "
        "where ps_id = 'S06-AC001-232/2'"
    ).fetchone() == ("232Z", "232", "277")
    assert one(conn, "select serial from polling_station where ps_id = 'S06-AC001-232'") == "232"
    assert one(conn, "select count(*) from constituency where state_code = 'S06' and boundary is null") == 9
    assert (
        one(conn, "select name from constituency where state_code = 'S06' and kind = 'AC' and number = 1")
        == "Abadasa"
    )
    assert conn.execute(
        "select p.number from constituency a join constituency p on p.constituency_id = a.pc_id "
        "where a.state_code = 'S06' and a.kind = 'AC' and a.number = 7"
    ).fetchone() == (2,)
    parties = dict(
        conn.execute("select distinct p.candidate, party_key(p.party_id) from result_ps p").fetchall()
    )
    conn.commit()
    assert parties["CHAVDA VINOD LAKHAMASHI"] == "BJP" and parties["DR. DINESH PARMAR"] == "INC"
    assert parties["DANICHA GOVINDBHAI PUNAMCHAND"] == "AAP" and parties["BABAJI THAKOR"] == "IND"
    assert parties["CHOUDHARY ADAMBHAI NASIRBHAI"] == "Samajwadi Party"
    assert one(conn, "select eci_code from party where name = 'Samajwadi Party'") == "S0040"
    assert one(conn, "select eci_code from party where code = 'IND'") == "N1001"
    assert one(conn, "select sum(nota) from polling_station_result") > 0
    ac006 = reports["AC006"].problems
    assert any("line 130: page Total differs from the sum of the 6 polling stations" in p for p in ac006)
    assert any("no row for 2 serial(s): 106, 234" in p for p in ac006)
    assert any("AC 2 taken from the file name" in p for p in reports["AC002"].problems)


def test_reimports_change_nothing(conn: psycopg.Connection) -> None:
    before = table_counts(conn)
    ids = conn.execute("select id, ps_id from polling_station order by id").fetchall()
    conn.commit()
    for name, (_, _, stations, candidates, _) in REAL.items():
        r = import_form20(conn, FORM20_DIR / f"{name}.csv")
        assert (r.stations_inserted, r.stations_updated, r.stations_unchanged) == (0, 0, stations)
        assert (r.station_results_inserted, r.station_results_updated, r.station_results_unchanged) == (
            0,
            0,
            stations,
        )
        assert (r.results_inserted, r.results_updated, r.results_unchanged) == (0, 0, stations * candidates)
        assert r.constituencies_created == [] and r.parties_created == [] and not r.election_created
    assert table_counts(conn) == before
    assert conn.execute("select id, ps_id from polling_station order by id").fetchall() == ids


def test_dry_run_reports_and_leaves_nothing(conn: psycopg.Connection) -> None:
    before = table_counts(conn)
    r = import_form20(conn, FORM20_DIR / "AC007.csv", year=2019, dry_run=True)
    assert (
        r.dry_run and r.election_created and r.station_results_inserted == 281 and r.results_inserted == 3934
    )
    assert table_counts(conn) == before


def _copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (FORM20_DIR / f"{name}.csv").read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / f"{name}.csv"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_an_unmatched_candidate_is_refused_naming_it(conn: psycopg.Connection, tmp_path: Path) -> None:
    path = _copy(tmp_path, "AC002", ",Kamalbhai Matang,", ",Narendra Modi,")
    before = table_counts(conn)
    with pytest.raises(ElectoralFileError) as err:
        import_form20(conn, path, year=2019)
    message = str(err.value)
    assert "AC002.csv: line 1: candidate column 2 'Narendra Modi' matches no candidate of PC 1" in message
    assert "similarity below 0.6" in message and "\n" not in message
    assert table_counts(conn) == before


def test_mis_spaced_and_recased_names_still_match(conn: psycopg.Connection, tmp_path: Path) -> None:
    path = _copy(
        tmp_path,
        "AC002",
        ",Kamalbhai Matang,Chavda Vinod Lakhamashi,",
        ",KAMAL BHAI matang,Chavda Vinod Lakha mashi,",
    )
    r = import_form20(conn, path, year=2019, dry_run=True)
    assert [m.candidate for m in r.candidates[:2]] == ["KAMALBHAI MATANG", "CHAVDA VINOD LAKHAMASHI"]


def test_a_station_whose_sums_are_wrong_refuses_the_file(conn: psycopg.Connection, tmp_path: Path) -> None:
    # AC002 line 3: station 1, candidates 11+240+95+8+45 = 399 = total valid; make one candidate 12
    path = _copy(tmp_path, "AC002", "\n1,11,240,95,8,45,399,0,1,400,0", "\n1,12,240,95,8,45,399,0,1,400,0")
    before = table_counts(conn)
    with pytest.raises(
        ElectoralFileError,
        match=r"line 3: polling station 1: the candidates' votes add up to 400, "
        r"total valid \(without NOTA\) is 399",
    ):
        import_form20(conn, path, year=2019)
    assert table_counts(conn) == before


# --- PDF page furniture (issue 21, part 3) ------------------------------------------------------


def test_page_footers_and_unlabelled_total_rows_load_with_warnings(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    from lokdarpan_db.importers.electoral import parse_form20

    stations = parse_form20(FORM20_DIR / "AC002.csv").rows
    sums = [sum(r.votes[i] for r in stations) for i in range(5)]
    valid, nota = sum(r.total_valid or 0 for r in stations), sum(r.nota or 0 for r in stations)
    total = sum(r.total or 0 for r in stations)
    grand = ",".join(str(v) for v in [*sums, valid, 0, nota, total, 0])
    text = (FORM20_DIR / "AC002.csv").read_text(encoding="utf-8")
    text = text.replace("\n2,7,275,78,2,74,436,0,13,449,0", "\n2,7,275 Page 1,78,2,74,436,0,13,449,0", 1)
    text += f",{grand}\n,0,0,0,0,0,0,0,0,0,0\n,{grand}\n"
    path = tmp_path / "AC002.csv"
    path.write_text(text, encoding="utf-8")
    before = table_counts(conn)
    r = import_form20(conn, path, year=2009)
    assert (r.stations_read, r.results_inserted) == (278, 278 * 5)
    assert (
        "AC002.csv line 4: polling station 2: 'Chavda Vinod Lakhamashi' (column 3) is '275 Page 1': a "
        "page footer merged into the cell; 275 taken (the station's sums hold with it)"
    ) in r.problems
    assert [p for p in r.problems if "without serial or label" in p] == [
        "AC002.csv line 281: a row without serial or label equals the sums of all 278 polling stations: a "
        "grand total, checked and not loaded",
        "AC002.csv line 282: a row without serial or label, all zeros: ignored (not loaded)",
        "AC002.csv line 283: a row without serial or label equals the sums of all 278 polling stations: a "
        "grand total, checked and not loaded",
    ]
    assert not any("cp1252" in p or "not UTF-8" in p for p in r.problems)  # the parties list is UTF-8
    votes = one(
        conn,
        "select r.votes from result_ps r join polling_station s on s.id = r.polling_station_id "
        "join election e on e.id = r.election_id where e.year = 2009 and s.ps_id = 'S06-AC002-2' "
        "and r.candidate = 'CHAVDA VINOD LAKHAMASHI'",
    )
    assert votes == 275
    after = table_counts(conn)
    assert after[2] - before[2] == 278 * 5
    again = import_form20(conn, path, year=2009)
    assert (again.results_inserted, again.results_updated, again.results_unchanged) == (0, 0, 278 * 5)
    assert table_counts(conn) == after


def test_an_unproven_footer_refuses_the_file_and_loads_nothing(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    row = "\n2,7,275,78,2,74,436,0,13,449,0"
    path = _copy(tmp_path, "AC002", row, row.replace("275", "27 Page 5"))
    before = table_counts(conn)
    with pytest.raises(ElectoralFileError) as err:
        import_form20(conn, path, year=2008)
    assert str(err.value) == (
        f"{path}: line 4: polling station 2: 'Chavda Vinod Lakhamashi' (column 3) is '27 Page 5': a vote "
        "count with a page footer merged in, and the row's sums do not add up with it: cannot tell the count"
    )
    assert table_counts(conn) == before


def test_empty_total_valid_on_many_stations_is_one_warning_with_ranges(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    lines = (FORM20_DIR / "AC002.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    for i in range(2, 280):  # every station: no total valid, no rejected
        cells = lines[i].split(",")
        cells[6] = cells[7] = ""
        lines[i] = ",".join(cells)
    path = tmp_path / "AC002.csv"
    path.write_text("".join(lines), encoding="utf-8")
    r = import_form20(conn, path, year=2004, dry_run=True)
    assert "AC002.csv: total valid empty, taken as the candidates' sum on 278 lines (3-280)" in r.problems
    assert "AC002.csv: total_valid is empty on 278 lines (3-280)" in r.problems
    assert "AC002.csv: rejected is empty on 278 lines (3-280)" in r.problems
    assert not any("polling station 5:" in p for p in r.problems)
