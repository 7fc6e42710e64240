"""The ward importer against the real GHMC files and against broken copies of them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.cli import run
from lokdarpan_db.errors import BadInputError
from lokdarpan_db.importers.wards import (
    DEFAULT_BOUNDARIES,
    DEFAULT_ZONES,
    WardImportError,
    WardImportReport,
    WardRemovalRefusedError,
    import_wards,
)

ERRATUM = "renumbered 31: GHMC numbers Rein Bazar 31"


@pytest.fixture()
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    """A connection to the module's database with an empty ward registry."""
    with psycopg.connect(db_url) as c:
        c.execute("delete from ward")
        c.commit()
        yield c


def scalar(conn: psycopg.Connection, sql: str, *args: object) -> object:
    row = conn.execute(sql, args).fetchone()
    conn.commit()
    return row[0] if row else None


def registry(conn: psycopg.Connection) -> list[tuple]:
    rows = conn.execute(
        "select ward_id, ward_no, name, zone, boundary is not null, updated_at from ward order by ward_no"
    ).fetchall()
    conn.commit()
    return rows


def copy_zones(tmp_path: Path, edit: dict[str, str] | None = None, extra: str = "") -> Path:
    """The real zones CSV with whole lines replaced (old line -> new line) and lines appended."""
    text = DEFAULT_ZONES.read_text(encoding="utf-8")
    for old, new in (edit or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / DEFAULT_ZONES.name
    path.write_text(text + extra, encoding="utf-8")
    return path


def test_real_files_load_150_wards_and_name_every_defect(conn: psycopg.Connection) -> None:
    report = import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)

    assert isinstance(report, WardImportReport)
    assert (report.rows_read, report.features_read) == (150, 145)
    assert (report.inserted, report.updated, report.unchanged, report.loaded) == (150, 0, 0, 150)
    assert (report.with_boundary, report.without_boundary) == (145, 5)
    assert len(report.problems) == 7, report.problems
    assert sum(ERRATUM in p for p in report.problems) == 2  # the CSV row and the GeoJSON feature
    assert any(p.startswith("ghmc-ward-zones.csv line 38: ward 37 Rein Bazar") for p in report.problems)
    assert any("feature #123 'Ward 37 Rein Bazar'" in p for p in report.problems)
    for number, name in [
        (3, "Cherlapally"),
        (4, "Meerpet H.B Colony"),
        (11, "Nagole"),
        (13, "Hayath Nagar"),
        (113, "Patancheruvu"),
    ]:
        assert f"ghmc-wards.geojson: no feature for ward {number} {name}; loaded without a boundary" in (
            report.problems
        )

    rows = registry(conn)
    assert [r[1] for r in rows] == list(range(1, 151))
    assert all(r[0] == f"GHMC-{r[1]:03d}" for r in rows)
    assert rows[30][2:5] == ("Rein Bazar", "South Zone", True)
    assert rows[36][2:5] == ("Kurmaguda", "South Zone", True)
    assert sorted(r[1] for r in rows if not r[4]) == [3, 4, 11, 13, 113]
    assert scalar(conn, "select count(distinct zone) from ward") == 5
    source = scalar(conn, "select boundary_source from ward where ward_no = 95")
    assert isinstance(source, str) and "OpenStreetMap relation/" in source and "ODbL" in source
    assert scalar(conn, "select count(*) from ward where bbox is not null") == 145


def test_reimport_changes_nothing_and_repairs_drift(conn: psycopg.Connection) -> None:
    import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    before = registry(conn)

    again = import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 150)
    assert registry(conn) == before  # not even updated_at moves

    conn.execute("update ward set zone = 'North Zone', boundary = null where ward_no = 95")
    conn.commit()
    repaired = import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    assert (repaired.inserted, repaired.updated, repaired.unchanged) == (0, 1, 149)
    assert [r[:5] for r in registry(conn)] == [r[:5] for r in before]


def test_an_edited_file_updates_wards_in_place(conn: psycopg.Connection, tmp_path: Path) -> None:
    import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    zones = copy_zones(tmp_path, {"\n150,Monda Market,North Zone": "\n150,Monda Market,Central Zone"})

    report = import_wards(conn, DEFAULT_BOUNDARIES, zones)

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 149)
    assert scalar(conn, "select count(*) from ward") == 150
    assert scalar(conn, "select zone from ward where ward_no = 150") == "Central Zone"


def test_fuzzy_lookup_finds_imported_wards(conn: psycopg.Connection) -> None:
    import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)

    assert scalar(conn, "select name from ward_lookup('jubli hils', 1)") == "Jubilee Hills"
    assert scalar(conn, "select name from ward_lookup('Ward 91')") == "Khairatabad"
    assert scalar(conn, "select name from ward_lookup('rein bazaar', 1)") == "Rein Bazar"
    assert scalar(conn, "select ward_resolve('Ward 31 Rein Bazar')") == "GHMC-031"


def test_row_defects_are_reported_and_the_rest_loaded(conn: psycopg.Connection, tmp_path: Path) -> None:
    zones = copy_zones(
        tmp_path,
        {
            "\n5,Mallapur,East Zone": "\n5,Mallapur,Eastern Zone",
            "\n6,Nacharam,East Zone": "\nsix,Nacharam,East Zone",
            "\n7,Chilka Nagar,East Zone": "\n7,Chilka Nagar,East Zone,extra",
            "\n8,Habsiguda,East Zone": "\n9,Habsiguda,East Zone",
        },
    )
    doc = json.loads(DEFAULT_BOUNDARIES.read_text(encoding="utf-8"))
    jubilee = next(f for f in doc["features"] if f["properties"]["name"] == "Ward 95 Jubilee Hills")
    jubilee["geometry"]["coordinates"][0].pop()  # the ring no longer closes
    doc["features"].append({"type": "Feature", "properties": {"name": "Jubilee Hills"}, "geometry": None})
    boundaries = tmp_path / "wards.geojson"
    boundaries.write_text(json.dumps(doc), encoding="utf-8")

    report = import_wards(conn, boundaries, zones)
    problems = "\n".join(report.problems)

    assert "ghmc-ward-zones.csv line 6: ward 5 Mallapur: zone 'Eastern Zone' is not one of" in problems
    assert "ghmc-ward-zones.csv line 7: ward_no 'six' is not a number; row skipped" in problems
    assert "ghmc-ward-zones.csv line 8: 4 fields where the header has 3; row skipped" in problems
    assert (
        "ghmc-ward-zones.csv: ward 9 appears 2 times (Habsiguda (line 9), Ramanthapur (line 10)); none loaded"
        in problems
    )
    assert "ghmc-ward-zones.csv: no usable row for ward(s) 6-9" in problems
    assert "wards.geojson feature #4 'Ward 95 Jubilee Hills': polygon 1 ring 1 is not closed" in problems
    assert (
        "wards.geojson feature #146 'Jubilee Hills': name is not \"Ward <number> <name>\"; skipped"
        in problems
    )
    assert report.loaded == 146
    assert scalar(conn, "select zone is null from ward where ward_no = 5") is True
    assert scalar(conn, "select boundary is null from ward where ward_no = 95") is True
    assert scalar(conn, "select count(*) from ward where ward_no between 6 and 9") == 0


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "absent.csv", "absent.csv: zones CSV file not found"),
        (lambda d: d, "is a directory, not a zones CSV file"),
        (
            lambda d: _write(d / "z.csv", "number,name,zone\n1,Kapra,East Zone\n"),
            "z.csv:1: missing column(s) ward_no, ward_name; found number, name, zone",
        ),
        (lambda d: _write(d / "z.csv", ""), "z.csv: empty file, expected a header ward_no,ward_name,zone"),
        (
            lambda d: _write(d / "z.csv", 'ward_no,ward_name,zone\n1,"Kapra,East Zone\n'),
            "z.csv:2: malformed CSV (unexpected end of data)",
        ),
        (
            lambda d: _write(d / "z.csv", b"ward_no,ward_name,zone\n1,K\xe2pra,East Zone\n"),
            "z.csv: not UTF-8 text",
        ),
        (
            lambda d: _write(d / "z.csv", "ward_no,ward_name,zone\n1,Kapra,East Zone\n2,Ka\x00pra,East\n"),
            "z.csv:3:5: a NUL byte: not a text zones CSV file",
        ),
        (
            lambda d: _write(d / "z.csv", DEFAULT_ZONES.read_text(encoding="utf-8").rstrip("\n")),
            "z.csv:151: the last line ('150,Monda Market,North Zone') has no line end: the file looks cut",
        ),
    ],
    ids=["absent", "directory", "columns", "empty", "open quote", "latin-1", "NUL", "cut"],
)
def test_an_unusable_zones_file_is_refused_naming_it(
    conn: psycopg.Connection, tmp_path: Path, make, expected: str
) -> None:
    import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    conn.execute("update ward set zone = null where ward_no = 1")
    conn.commit()
    before = registry(conn)

    with pytest.raises(WardImportError) as caught:
        import_wards(conn, DEFAULT_BOUNDARIES, make(tmp_path))

    assert expected in str(caught.value)
    assert registry(conn) == before  # nothing written


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (lambda real: real[: len(real) // 2], "wards.geojson:"),
        (lambda real: "[]", "wards.geojson: expected a GeoJSON FeatureCollection, found 'list'"),
        (
            lambda real: '{"type": "Feature"}',
            "wards.geojson: expected a GeoJSON FeatureCollection, found 'Feature'",
        ),
        (
            lambda real: '{"type": "FeatureCollection"}',
            'wards.geojson: the FeatureCollection has no "features" array',
        ),
    ],
)
def test_an_unusable_geojson_file_is_refused_naming_it(
    conn: psycopg.Connection, tmp_path: Path, content, expected: str
) -> None:
    path = _write(tmp_path / "wards.geojson", content(DEFAULT_BOUNDARIES.read_text(encoding="utf-8")))

    with pytest.raises(WardImportError) as caught:
        import_wards(conn, path, DEFAULT_ZONES)

    assert str(caught.value).startswith(str(tmp_path / "wards.geojson"))
    assert expected in str(caught.value)
    assert scalar(conn, "select count(*) from ward") == 0


def test_truncated_geojson_names_line_and_column(conn: psycopg.Connection, tmp_path: Path) -> None:
    real = DEFAULT_BOUNDARIES.read_text(encoding="utf-8")
    path = _write(tmp_path / "wards.geojson", "\n".join(real.splitlines()[:40]))

    with pytest.raises(WardImportError, match=r"wards\.geojson:\d+:\d+: not valid JSON"):
        import_wards(conn, path, DEFAULT_ZONES)


def test_the_error_is_bad_input_for_the_cli(tmp_path: Path, conn: psycopg.Connection) -> None:
    with pytest.raises(WardImportError) as caught:
        import_wards(conn, tmp_path / "nope.geojson", DEFAULT_ZONES)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, BadInputError) and caught.value.exit_code == 2


def test_a_conflict_with_the_database_rolls_everything_back(conn: psycopg.Connection, tmp_path: Path) -> None:
    import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    before = registry(conn)
    # Wards 1 and 2 swap names, and ward 150 changes zone: ward 1 cannot take ward 2's name while
    # ward 2 still has it, so the import must fail as a whole, ward 150 included.
    zones = copy_zones(
        tmp_path,
        {
            "\n1,Kapra,East Zone": "\n1,Dr A S Rao Nagar,East Zone",
            "\n2,Dr A S Rao Nagar,East Zone": "\n2,Kapra,East Zone",
            "\n150,Monda Market,North Zone": "\n150,Monda Market,Central Zone",
        },
    )

    with pytest.raises(
        WardImportError, match=r"ghmc-ward-zones\.csv line 2: ward 1 Dr A S Rao Nagar conflicts"
    ):
        # replace: the swapped names no longer match the features, whose boundaries would go
        import_wards(conn, DEFAULT_BOUNDARIES, zones, replace=True)

    assert registry(conn) == before


def test_concurrent_imports_serialise(db_url: str, conn: psycopg.Connection) -> None:
    reports: list[WardImportReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(db_url) as c:
                reports.append(import_wards(c, DEFAULT_BOUNDARIES, DEFAULT_ZONES))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert sorted(r.inserted for r in reports) == [0, 0, 150]
    assert sorted(r.unchanged for r in reports) == [0, 150, 150]
    assert scalar(conn, "select count(*) from ward") == 150


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- issue 19: repeated features, and imports that would clear what the registry has --------


def _geojson(tmp_path: Path, edit) -> Path:
    doc = json.loads(DEFAULT_BOUNDARIES.read_text(encoding="utf-8"))
    edit(doc["features"])
    path = tmp_path / DEFAULT_BOUNDARIES.name  # the same name: a re-import of the same file
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_every_feature_repeated_erases_nothing(conn: psycopg.Connection, tmp_path: Path) -> None:
    import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    before = registry(conn)
    doubled = _geojson(tmp_path, lambda features: features.extend([dict(f) for f in features]))

    report = import_wards(conn, doubled, DEFAULT_ZONES)

    assert (report.features_read, report.features_collapsed) == (290, 145)
    assert (report.with_boundary, report.without_boundary, report.unchanged) == (145, 5, 150)
    assert (
        "ghmc-wards.geojson feature #146 'Ward 91 Khairatabad': repeats feature #1 "
        "(same name and geometry); used once"
    ) in report.problems
    assert report.removed == ""
    assert registry(conn) == before  # no boundary lost, not even updated_at moved
    assert scalar(conn, "select count(*) from ward where boundary is not null") == 145


def test_a_ward_drawn_twice_differently_refuses_the_file(conn: psycopg.Connection, tmp_path: Path) -> None:
    import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    before = registry(conn)

    def second_jubilee(features: list) -> None:
        jubilee = next(f for f in features if f["properties"]["name"] == "Ward 95 Jubilee Hills")
        other = json.loads(json.dumps(jubilee))
        other["geometry"] = features[0]["geometry"]  # a valid polygon, but another one
        features.append(other)

    with pytest.raises(WardImportError) as caught:
        import_wards(conn, _geojson(tmp_path, second_jubilee), DEFAULT_ZONES)
    assert str(caught.value) == (
        f"{tmp_path / DEFAULT_BOUNDARIES.name}: 1 ward(s) drawn by more than one feature with different "
        "geometries (ward 95 in features #4, #146): which boundary is right cannot be told; nothing "
        "imported. Keep one feature per ward"
    )
    assert registry(conn) == before


def test_an_import_that_would_clear_a_boundary_or_a_zone_is_refused_unless_replace(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    before = registry(conn)
    without_95 = _geojson(
        tmp_path,
        lambda fs: fs.remove(next(f for f in fs if f["properties"]["name"] == "Ward 95 Jubilee Hills")),
    )
    zones = copy_zones(tmp_path, {"\n5,Mallapur,East Zone": "\n5,Mallapur,Eastern Zone"})

    with pytest.raises(WardRemovalRefusedError) as caught:
        import_wards(conn, without_95, zones)
    assert str(caught.value) == (
        "ghmc-wards.geojson and ghmc-ward-zones.csv: this import would remove the boundary of 1 ward (95) "
        "and the zone of 1 ward (5) that earlier imports loaded and these files no longer give (--dry-run "
        "lists why, ward by ward); nothing imported: check that the file is complete, or pass --replace to "
        "remove them"
    )
    assert isinstance(caught.value, BadInputError) and caught.value.exit_code == 2
    assert registry(conn) == before

    preview = import_wards(conn, without_95, zones, dry_run=True)
    assert (preview.boundaries_removed, preview.zones_removed, preview.updated) == ([95], [5], 2)
    assert "ghmc-wards.geojson: no feature for ward 95 Jubilee Hills; loaded without a boundary" in (
        preview.problems
    )
    assert registry(conn) == before

    replaced = import_wards(conn, without_95, zones, replace=True)
    assert replaced.removed == "the boundary of 1 ward (95) and the zone of 1 ward (5)"
    assert scalar(conn, "select boundary is null and zone is not null from ward where ward_no = 95") is True
    assert scalar(conn, "select zone is null from ward where ward_no = 5") is True


def test_the_cli_names_the_nul_byte_and_the_refusal_in_one_line(
    db_url: str, conn: psycopg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_wards(conn, DEFAULT_BOUNDARIES, DEFAULT_ZONES)
    text = DEFAULT_ZONES.read_text(encoding="utf-8").replace("\n5,Mallapur,", "\n5,Mal\x00lapur,")
    zones = _write(tmp_path / "zones.csv", text)
    assert run(["--db", db_url, "import", "wards", "--zones", str(zones)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {zones}:6:6: a NUL byte: not a text zones CSV file (a binary or damaged copy?); "
                   "nothing imported"]
    zones = copy_zones(tmp_path, {"\n5,Mallapur,East Zone": "\n5,Mallapur,Eastern Zone"})
    assert run(["--db", db_url, "import", "wards", "--zones", str(zones), "--dry-run"]) == 0
    assert "would clear: the zone of 1 ward (5)" in capsys.readouterr().out
    assert run(["--db", db_url, "import", "wards", "--zones", str(zones)]) == 2
    assert "pass --replace" in capsys.readouterr().err
    assert scalar(conn, "select zone from ward where ward_no = 5") == "East Zone"
