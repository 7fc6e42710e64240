"""Constituency and results loaders against the real Telangana files (and broken copies of them).

One database per module (db_url): wards, constituencies and the 2023 results are loaded once by
the `loaded` fixture; tests that change the data put it back.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.cli import run
from lokdarpan_db.errors import BadInputError
from lokdarpan_db.importers.electoral import ElectoralFileError, read_results_csv
from lokdarpan_db.importers.electoral.load_common import ElectoralLoadError
from lokdarpan_db.importers.electoral.load_constituencies import (
    DEFAULT_BOUNDARIES,
    DEFAULT_OVERRIDES,
    ConstituencyImportReport,
    import_constituencies,
)
from lokdarpan_db.importers.electoral.load_results import DEFAULT_RESULTS, ResultsImportReport, import_results
from lokdarpan_db.importers.safety import RemovalRefusedError
from lokdarpan_db.importers.wards import import_wards
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine
from lokdarpan_db.migrate.registry import Committer

ROOT = Path(__file__).resolve().parents[2]


def one(conn: psycopg.Connection, sql: str, *args: object) -> object:
    row = conn.execute(sql, args).fetchone()
    conn.commit()
    return row[0] if row else None


def results_snapshot(conn: psycopg.Connection) -> list[tuple]:
    rows = conn.execute(
        "select id, election_id, constituency_id, candidate, party_id, total_votes, published_percent "
        "from constituency_result order by id"
    ).fetchall()
    conn.commit()
    return rows


@pytest.fixture(scope="module")
def loaded(db_url: str) -> Iterator[tuple[ConstituencyImportReport, ResultsImportReport]]:
    with psycopg.connect(db_url) as conn:
        import_wards(conn)
        constituencies = import_constituencies(conn)
        results = import_results(conn)
        yield constituencies, results


@pytest.fixture()
def conn(db_url: str, loaded: object) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url) as c:
        yield c


def test_constituencies_load_119_acs_in_17_pcs_with_overlaps(
    conn: psycopg.Connection, loaded: tuple[ConstituencyImportReport, ResultsImportReport]
) -> None:
    report = loaded[0]
    assert (report.features_read, report.acs, report.pcs) == (120, 119, 17)
    assert (report.ac_inserted, report.pc_inserted) == (119, 17)
    assert report.multi_part == [
        "AC 119 Bhadrachalam (ST): 2 features (#119, #120) loaded as one MultiPolygon"
    ]
    assert any("'Secunderabad Cantt. (SC' has an unclosed reservation suffix" in p for p in report.problems)
    assert report.wards == 150 and report.wards_assigned == 145
    assert len(report.wards_without_constituency) == 5  # the five wards without a boundary
    assert all(w.endswith("(no boundary)") for w in report.wards_without_constituency)
    assert report.slivers_dropped > 0 and report.wards_split
    # issue 21: the shipped reviewed overrides (west-central Hyderabad) leave the name-anchor check clean
    assert len(report.overrides_applied) == 13 and report.name_anchor_disagreements == []
    assert one(conn, "select count(*) from constituency where state_code = 'S29' and kind = 'AC'") == 119
    assert one(conn, "select count(*) from constituency where state_code = 'S29' and kind = 'PC'") == 17
    row = conn.execute(
        "select c.name, c.reserved_for, c.district, p.number, p.name, public.st_numgeometries(c.boundary) "
        "from constituency c join constituency p on p.constituency_id = c.pc_id "
        "where c.kind = 'AC' and c.number = 119"
    ).fetchone()
    assert row == ("Bhadrachalam", "ST", "Khammam", 16, "Mahabubabad", 2)
    assert conn.execute(
        "select name, reserved_for, district from constituency where kind = 'AC' and number = 71"
    ).fetchone() == ("Secunderabad Cantt.", "SC", "Hyderabad")
    assert one(conn, "select name from constituency where kind = 'PC' and number = 2") == "Peddapalle"
    assert one(conn, "select count(*) from constituency where kind = 'PC' and boundary is null") == 0
    # every computed ward's fractions add up to 1
    assert (
        one(
            conn,
            "select count(*) from (select ward_id from ward_constituency group by 1 "
            "having abs(sum(ward_fraction) - 1) > 0.00001) s",
        )
        == 0
    )


def test_results_load_2409_rows_whose_shares_match_the_published_percent(
    conn: psycopg.Connection, loaded: tuple[ConstituencyImportReport, ResultsImportReport]
) -> None:
    report = loaded[1]
    assert (report.rows_read, report.constituencies) == (2409, 119)
    assert (report.inserted, report.updated, report.unchanged, report.removed) == (2409, 0, 0, 0)
    assert report.election_created and report.state_code == "S29"
    assert report.shares_checked == 2409 and report.share_differences == []
    assert len(report.name_mismatches) == 2  # Zaheerabad / Zahirabad, Kukatpally / Kukatpalle
    assert any("AC 46 is 'Kukatpally' in the file but 'Kukatpalle'" in m for m in report.name_mismatches)
    assert "Aabaad Party" in report.parties_created
    assert not {"Independent", "None of the Above", "Bharat Rashtra Samithi"} & set(report.parties_created)
    assert report.recomputed == {
        "result_ward_agg": report.recomputed["result_ward_agg"],
        "ward_profile": 145,
        "ward_features": 145,
    }
    assert one(conn, "select count(*) from constituency_result") == 2409
    assert (
        one(
            conn,
            "select count(*) from constituency_result_share where published_percent is not null "
            "and abs(vote_share - published_percent) > 0.01",
        )
        == 0
    )
    assert (
        one(
            conn,
            "select count(*) from constituency_result r join party p using (party_id) "
            "where p.kind = 'independent'",
        )
        == 990
    )
    assert (
        one(
            conn,
            "select count(*) from constituency_result r join party p using (party_id) where p.kind = 'nota'",
        )
        == 119
    )
    assert (
        one(
            conn,
            "select count(*) from election where type = 'ASSEMBLY' and year = 2023 "
            "and state_code = 'S29' and round is null",
        )
        == 1
    )


def test_jubilee_hills_ward_gets_constituencies_and_features(conn: psycopg.Connection) -> None:
    ward = one(conn, "select ward_resolve('Jubilee Hills')")
    assert ward == "GHMC-095"
    rows = conn.execute(
        "select c.number, wc.ward_fraction, wc.method from ward_constituency wc "
        "join constituency c using (constituency_id) where wc.ward_id = %s order by wc.ward_fraction desc",
        (ward,),
    ).fetchall()
    assert rows and sum(r[1] for r in rows) == pytest.approx(1, abs=1e-5)
    # issue 21: the Jubilee Hills area lies in Khairatabad AC (60), a reviewed override
    assert [(r[0], r[2]) for r in rows] == [(60, "override")]
    features = conn.execute(
        "select as23_party_shares, dvi, aci_23, incumbency_weakness, null_reasons from ward_features "
        "where ward_id = %s",
        (ward,),
    ).fetchone()
    assert features is not None
    shares, dvi, aci, weakness, reasons = features
    assert sum(shares.values()) == pytest.approx(100, abs=0.05)
    assert {"BRS", "INC", "BJP", "NOTA"} <= set(shares) and set(dvi) == set(shares)
    assert 0 < aci <= 1 and weakness["incumbent"] and "ls24_party_shares" in reasons


def test_reimports_change_nothing(conn: psycopg.Connection) -> None:
    before = results_snapshot(conn)
    wc_before = conn.execute(
        "select ward_id, constituency_id, ward_fraction from ward_constituency order by 1, 2"
    ).fetchall()
    report = import_constituencies(conn)
    assert (report.ac_inserted, report.ac_updated, report.ac_unchanged) == (0, 0, 119)
    assert (report.pc_inserted, report.pc_updated, report.pc_unchanged) == (0, 0, 17)
    assert report.assignments_changed == 0
    again = import_results(conn)
    assert (again.inserted, again.updated, again.unchanged, again.removed) == (0, 0, 2409, 0)
    assert not again.election_created and again.parties_created == []
    assert results_snapshot(conn) == before
    assert (
        conn.execute(
            "select ward_id, constituency_id, ward_fraction from ward_constituency order by 1, 2"
        ).fetchall()
        == wc_before
    )
    assert one(conn, "select count(*) from party where name = 'Aabaad Party'") == 1


def test_dry_run_reports_and_leaves_nothing(conn: psycopg.Connection) -> None:
    before = results_snapshot(conn)
    calls: list[tuple[int, int]] = []
    report = import_results(
        conn, year=2018, dry_run=True, progress=lambda done, total: calls.append((done, total))
    )
    assert report.dry_run and report.election_created and report.inserted == 2409
    # progress is bytes read of the file's bytes (the file streams: its row count is not known ahead)
    size = DEFAULT_RESULTS.stat().st_size
    assert 0 < calls[0][0] < size and calls[-1] == (size, size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert json.loads(report.to_json())["inserted"] == 2409
    assert report.shares_checked == 2409 and report.share_differences == []
    assert results_snapshot(conn) == before
    assert one(conn, "select count(*) from election where year = 2018") == 0
    c = import_constituencies(conn, dry_run=True)
    assert c.ac_unchanged == 119 and c.wards_assigned == 145


def _copy(tmp_path: Path, edit: tuple[str, str] | None = None, name: str = "results.csv") -> Path:
    text = DEFAULT_RESULTS.read_text(encoding="utf-8")
    if edit:
        assert text.count(edit[0]) == 1, edit[0]
        text = text.replace(edit[0], edit[1])
    out = tmp_path / name
    out.write_text(text, encoding="utf-8")
    return out


def _line_of(prefix: str) -> tuple[int, str]:
    """(line number, text) of the first line of the real results file starting with prefix."""
    lines = DEFAULT_RESULTS.read_text(encoding="utf-8").splitlines()
    return next((n, t) for n, t in enumerate(lines, start=1) if t.startswith(prefix))


def test_a_bad_number_refuses_the_file_naming_the_line(conn: psycopg.Connection, tmp_path: Path) -> None:
    number, original = _line_of("S29,Telangana,61,Jubilee Hills,")
    cells = original.split(",")
    cells[8] = "80O54"  # total_votes typed with a letter O
    path = _copy(tmp_path, (original + "\n", ",".join(cells) + "\n"))
    before = results_snapshot(conn)
    with pytest.raises(ElectoralFileError) as err:
        import_results(conn, path, year=2018)
    assert isinstance(err.value, BadInputError)
    message = str(err.value)
    assert f"line {number}: total_votes '80O54' is not a whole number" in message
    assert "\n" not in message
    assert results_snapshot(conn) == before
    assert one(conn, "select count(*) from election where year = 2018") == 0


def test_an_unknown_constituency_is_refused_naming_it_and_nothing_is_loaded(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    number, _ = _line_of("S29,Telangana,119,")
    path = tmp_path / "results.csv"
    path.write_text(
        DEFAULT_RESULTS.read_text(encoding="utf-8").replace("S29,Telangana,119,", "S29,Telangana,120,")
    )
    before = results_snapshot(conn)
    with pytest.raises(ElectoralFileError) as err:
        import_results(conn, path, year=2018)
    message = str(err.value)
    assert (
        f"line {number}: AC 120 'Bhadrachalam (ST)' of state S29 is not in the constituency registry"
        in message
    )
    assert "load the constituencies first (`lokdarpan-db import constituencies`)" in message
    assert results_snapshot(conn) == before
    assert one(conn, "select count(*) from election where year = 2018") == 0


def test_another_publishers_file_loads_through_a_mapping(conn: psycopg.Connection, tmp_path: Path) -> None:
    """';'-separated, CRLF, every field quoted, other headers: the same election's rows for three ACs."""
    with DEFAULT_RESULTS.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["ac_no"] in ("61", "62", "63")]
    path = tmp_path / "other-publisher.csv"
    headers = [
        "State",
        "AC No.",
        "Constituency",
        "Candidate Name",
        "Party Name",
        "EVM",
        "Postal",
        "Votes",
        "Vote %",
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(headers)
        for r in rows:
            w.writerow(
                [
                    r["st_code"],
                    r["ac_no"],
                    r["ac_name"],
                    r["candidate"],
                    r["party"],
                    r["evm_votes"],
                    r["postal_votes"],
                    r["total_votes"],
                    r["percent_votes"] + "%",
                ]
            )
    mapping = {
        "state_code": "State",
        "constituency_no": "AC No.",
        "constituency_name": "Constituency",
        "candidate": "Candidate Name",
        "party": "Party Name",
        "evm_votes": "EVM",
        "postal_votes": "Postal",
        "total_votes": "Votes",
        "percent_votes": "Vote %",
    }
    before = {r[0]: r[1:] for r in results_snapshot(conn)}
    report = import_results(conn, path, mapping=mapping, publisher="a test publisher", recompute=False)
    assert report.rows_read == len(rows) and report.constituencies == 3
    assert (report.inserted, report.removed) == (0, 0)
    assert report.updated == len(rows)  # provenance (file, line, publisher) changed, the votes did not
    assert report.share_differences == [] and report.shares_checked == len(rows)
    after = {r[0]: r[1:] for r in results_snapshot(conn)}
    assert after == before  # same ids, same votes, nothing duplicated
    meta = conn.execute(
        "select source_meta from constituency_result where source_meta ->> 'file' = %s limit 1", (path.name,)
    ).fetchone()
    assert meta and meta[0]["publisher"] == "a test publisher"
    conn.commit()
    back = import_results(conn, recompute=False)  # the ECI file again
    assert back.updated == len(rows) and back.unchanged == 2409 - len(rows)


def test_overrides_replace_a_wards_computed_rows_and_can_be_withdrawn(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    # The shipped reviewed set (issue 21) with ward 95's row replaced by two.
    path = tmp_path / "overrides.csv"
    shipped = DEFAULT_OVERRIDES.read_text(encoding="utf-8").splitlines(keepends=True)
    two = '95,61,0.75,"test: reviewed"\n95,60,0.25,"test: reviewed"\n'
    path.write_text(
        "".join(two if line.startswith("GHMC-095,") else line for line in shipped), encoding="utf-8"
    )
    report = import_constituencies(conn, overrides=path)
    assert (report.overrides_read, report.overrides_inserted) == (14, 1)
    assert "GHMC-095" in report.overrides_applied and len(report.overrides_applied) == 13
    rows = conn.execute(
        "select c.number, wc.ward_fraction, wc.method, wc.note from ward_constituency wc "
        "join constituency c using (constituency_id) where ward_id = 'GHMC-095' order by 1"
    ).fetchall()
    conn.commit()
    assert [(n, float(f), m) for n, f, m, _ in rows] == [(60, 0.25, "override"), (61, 0.75, "override")]
    # The shipped file no longer has them: withdrawing them is a removal, refused without replace.
    with pytest.raises(RemovalRefusedError) as refused:
        import_constituencies(conn, DEFAULT_BOUNDARIES, DEFAULT_OVERRIDES)
    assert str(refused.value) == (
        f"{DEFAULT_OVERRIDES.name}: this import would remove 1 override (ward GHMC-095) that earlier "
        "imports loaded and this file no longer has; nothing imported: check that the file is complete, "
        "or pass --replace to remove them"
    )
    assert one(conn, "select count(*) from ward_constituency_override") == 14
    preview = import_constituencies(conn, DEFAULT_BOUNDARIES, DEFAULT_OVERRIDES, dry_run=True)
    assert preview.overrides_removed == 1
    assert any("would remove 1 override (ward GHMC-095)" in p for p in preview.problems)
    assert one(conn, "select count(*) from ward_constituency_override") == 14
    back = import_constituencies(conn, DEFAULT_BOUNDARIES, DEFAULT_OVERRIDES, replace=True)
    assert back.overrides_removed == 1 and len(back.overrides_applied) == 13
    assert one(conn, "select count(*) from ward_constituency where method = 'override'") == 13


def test_bad_overrides_are_refused_naming_the_line(conn: psycopg.Connection, tmp_path: Path) -> None:
    path = tmp_path / "overrides.csv"
    path.write_text("ward_id,ac_no,ward_fraction,reason\nGHMC-095,61,0.5,checked\nGHMC-001,44,1,\n")
    with pytest.raises(ElectoralFileError) as err:
        import_constituencies(conn, overrides=path)
    message = str(err.value)
    assert "line 2: the fractions of ward GHMC-095 (lines 2) add up to 0.5, not 1" in message
    assert "line 3: reason is empty" in message
    path.write_text("ward_id,ac_no,ward_fraction,reason\nGHMC-095,200,1,checked\n")
    with pytest.raises(ElectoralFileError, match="line 2: no assembly constituency 200 in state S29"):
        import_constituencies(conn, overrides=path)
    assert one(conn, "select count(*) from ward_constituency_override") == 13  # the shipped set, untouched


def test_constituencies_need_wards(databases) -> None:
    url = databases.create("w")
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            Engine(
                admin, plan_mod.load(ROOT / "db" / "sqitch.plan"), Committer("T", "t@example.org")
            ).deploy()
        with psycopg.connect(url) as conn:
            with pytest.raises(
                ElectoralLoadError,
                match=r"ward registry is empty: load the wards first "
                r"\(`lokdarpan-db import wards`\)",
            ):
                import_constituencies(conn)
            assert one(conn, "select count(*) from constituency") == 0
            report = import_constituencies(conn, require_wards=False)
            assert report.acs == 119 and report.wards_assigned == 0
    finally:
        databases.drop(url)


# --- issue 19: a short results file does not delete; a bad --delimiter is one line --------------


def _ac61(folder: Path, *, drop: int = 0) -> tuple[Path, list[dict[str, str]]]:
    """AC 61's rows of the real file (without percents), the last `drop` of them left out."""
    with DEFAULT_RESULTS.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["ac_no"] == "61"]
    kept = rows[: len(rows) - drop]
    folder.mkdir(exist_ok=True)
    path = folder / DEFAULT_RESULTS.name
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["st_code", "ac_no", "ac_name", "candidate", "party", "total_votes"])
        w.writerows([r["st_code"], r["ac_no"], r["ac_name"], r["candidate"], r["party"], r["total_votes"]]
                    for r in kept)
    return path, rows[len(kept):]


def test_a_results_reimport_that_would_remove_rows_is_refused_unless_replace(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    before = results_snapshot(conn)
    path, gone = _ac61(tmp_path, drop=1)
    votes = int(gone[0]["total_votes"])
    with pytest.raises(RemovalRefusedError) as refused:
        import_results(conn, path, recompute=False)
    assert str(refused.value) == (
        f"{path.name}: this import would remove 1 candidate row ({votes:,} votes) of 1 constituency in "
        "election ASSEMBLY 2023 that earlier imports loaded and this file no longer has; nothing imported: "
        "check that the file is complete, or pass --replace to remove them"
    )
    assert results_snapshot(conn) == before
    preview = import_results(conn, path, recompute=False, dry_run=True)
    assert (preview.removed, preview.votes_removed) == (1, votes)
    assert results_snapshot(conn) == before

    try:  # another election, so that the real one stays as loaded
        full, _ = _ac61(tmp_path / "full", drop=0)
        kept = len(read_results_csv(path).rows)
        assert import_results(conn, full, year=2031, recompute=False).inserted == kept + 1
        replaced = import_results(conn, path, year=2031, recompute=False, replace=True)
        assert (replaced.removed, replaced.votes_removed, replaced.unchanged) == (1, votes, kept)
        assert any("removed 1 candidate row" in p and "(--replace)" in p for p in replaced.problems)
        assert one(conn, "select count(*) from constituency_result r join election e on e.id = r.election_id "
                   "where e.year = 2031") == kept
    finally:
        conn.execute("delete from election where year = 2031")
        conn.commit()


def test_a_cut_results_file_is_refused_naming_the_last_line(conn: psycopg.Connection, tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_RESULTS.name
    path.write_text(DEFAULT_RESULTS.read_text(encoding="utf-8")[:-20], encoding="utf-8")
    before = results_snapshot(conn)
    with pytest.raises(
        ElectoralFileError,
        match=r"line 2410: the last line \('S29,Telangana,119,.*'\) has no line end: the file looks cut",
    ):
        import_results(conn, path, replace=True)
    assert results_snapshot(conn) == before


def test_an_empty_delimiter_is_one_line_exit_2(
    db_url: str, conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--db", db_url, "import", "results", "--delimiter", ""]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {DEFAULT_RESULTS}: delimiter '' is not one separator character: give one, e.g. "
        "--delimiter ';' (',', ';', '|' or 'tab'), or leave it out to have it sniffed"
    ]
    assert run(["--db", db_url, "import", "results", "--delimiter", ",;", "--dry-run"]) == 2
    assert "delimiter ',;' is not one separator character" in capsys.readouterr().err
    assert run(["--db", db_url, "import", "results", "--delimiter", ",", "--dry-run", "--no-recompute"]) == 0
    assert "2409 unchanged, 0 would be removed" in capsys.readouterr().out


def test_a_cut_overrides_file_is_refused(conn: psycopg.Connection, tmp_path: Path) -> None:
    path = tmp_path / "overrides.csv"
    path.write_text("ward_no,ac_no,ward_fraction,reason\n95,61,1,checked", encoding="utf-8")
    with pytest.raises(ElectoralFileError, match=r"line 2: the last line \('95,61,1,checked'\) has no line"):
        import_constituencies(conn, overrides=path, replace=True)
    assert one(conn, "select count(*) from ward_constituency_override") == 13  # the shipped set, untouched
