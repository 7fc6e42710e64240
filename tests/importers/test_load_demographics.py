"""Demographics loader: the SYNTHETIC demo file, idempotence, refusals naming line and column."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.importers.electoral import ElectoralFileError
from lokdarpan_db.importers.electoral.load_common import DATA_DIR
from lokdarpan_db.importers.electoral.load_demographics import import_demographics
from lokdarpan_db.importers.wards import import_wards

SYNTHETIC = DATA_DIR / "demographics-SYNTHETIC.csv"
HEADER = "ward,literacy_idx,muslim_idx,scst_idx,secc_deprivation_idx\n"


def snapshot(conn: psycopg.Connection) -> list[tuple]:
    rows = conn.execute("select * from ward_demographics order by ward_id").fetchall()
    conn.commit()
    return rows


@pytest.fixture(scope="module")
def url(db_url: str) -> str:
    with psycopg.connect(db_url) as conn:
        import_wards(conn)
    return db_url


@pytest.fixture()
def conn(url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(url) as c:
        yield c


def test_the_synthetic_file_loads_150_wards_and_says_it_is_synthetic(conn: psycopg.Connection) -> None:
    report = import_demographics(conn, SYNTHETIC)
    assert report.synthetic and (report.rows_read, report.inserted, report.wards_not_in_file) == (150, 150, 0)
    assert any("SYNTHETIC data" in p for p in report.problems)
    assert report.as_dict()["file"] == str(SYNTHETIC) and '"synthetic": true' in report.to_json()
    row = conn.execute(
        "select literacy_idx, source from ward_demographics where ward_id = 'GHMC-095'"
    ).fetchone()
    conn.commit()
    assert row is not None and 0 <= row[0] <= 1
    assert row[1].startswith("SYNTHETIC data: demographics-SYNTHETIC.csv line ")
    again = import_demographics(conn, SYNTHETIC)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 150)


def test_a_value_above_one_is_refused_naming_line_and_column(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    before = snapshot(conn)
    path = tmp_path / "demo.csv"
    path.write_text(HEADER + "Jubilee Hills,0.9,0.1,0.1,0.2\nGHMC-091,0.8,1.5,0.1,0.2\n", encoding="utf-8")
    with pytest.raises(ElectoralFileError) as err:
        import_demographics(conn, path)
    assert str(err.value) == (
        f"{path}: line 3: muslim_idx 1.5 is above 1: values are fractions 0-1 "
        "(pass scale='percent' for a file of percentages)"
    )
    assert snapshot(conn) == before


def test_percentages_need_the_option_and_wards_resolve_by_name_number_or_id(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "percent.csv"
    path.write_text(HEADER + "jubilee hills,85.5,12,9.25,\n91,70,40,15,30\nGHMC-001,60,5,20,25\n")
    report = import_demographics(conn, path, scale="percent", dry_run=True)
    assert (report.updated, report.nulls) == (3, {"secc_deprivation_idx": 1})
    report = import_demographics(conn, path, scale="percent")
    assert report.updated == 3 and report.wards_not_in_file == 147 and not report.synthetic
    row = conn.execute(
        "select literacy_idx, scst_idx, secc_deprivation_idx, source from ward_demographics "
        "where ward_id = 'GHMC-095'"
    ).fetchone()
    conn.commit()
    assert row == (Decimal("0.8550"), Decimal("0.0925"), None, "percent.csv line 2")
    import_demographics(conn, SYNTHETIC)  # put the demo back


def test_unknown_or_contradictory_wards_are_refused(conn: psycopg.Connection, tmp_path: Path) -> None:
    before = snapshot(conn)
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "Jubilee Hills,0.9,0.1,0.1,0.2\nAtlantis,0.8,0.5,0.1,0.2\n")
    with pytest.raises(ElectoralFileError, match=r"line 3: no ward 'Atlantis' in the registry"):
        import_demographics(conn, path)
    path.write_text(
        "ward_no,ward_name,literacy_idx,muslim_idx,scst_idx,secc_deprivation_idx\n"
        "95,Khairatabad,0.9,0.1,0.1,0.2\n"
    )
    with pytest.raises(ElectoralFileError, match=r"line 2: no ward '95 Khairatabad'"):
        import_demographics(conn, path)
    path.write_text(HEADER + "Jubilee Hills,0.9,0.1,0.1,0.2\nGHMC-095,0.8,0.5,0.1,0.2\n")
    with pytest.raises(ElectoralFileError, match=r"line 3: ward GHMC-095 again \(lines 2, 3\)"):
        import_demographics(conn, path)
    assert snapshot(conn) == before


def test_a_cut_file_is_refused_rather_than_loading_a_cut_value(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    before = snapshot(conn)
    path = tmp_path / "cut.csv"
    path.write_text(HEADER + "Jubilee Hills,0.9,0.1,0.1,0.2\nGHMC-001,0.8,0.5,0.1,0.2", encoding="utf-8")
    with pytest.raises(ElectoralFileError, match=r"line 3: the last line \('GHMC-001,0\.8,0\.5,0\.1,0\.2'\)"):
        import_demographics(conn, path)
    assert snapshot(conn) == before
