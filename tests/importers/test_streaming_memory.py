"""The importers stream (issue 19, finding 12): their peak memory does not grow with the file.

Before, a 200 MB file took 4.3 GiB (results), 5.8 GiB (Form 20) and 1.5 GiB (wards): about 21,
29 and 7.5 times the file; the constituencies GeoJSON, a demographics CSV and the zones CSV about
6, 12 and 25 times it (bench.ANCHORS_LATER). Each importer here runs in a child process (the
library call the CLI makes, a dry run) on a generated file of 30-60 MB, and its peak resident set
(the child's VmHWM, its own since its exec) must stay under 150 MiB: far under what holding the
file cost (300 MiB to 1.4 GiB for these sizes), generous over what streaming costs (40 to 90 MiB
on any size: the interpreter, psycopg, bounded buffers). Memory, not time: the bound does not
depend on the machine's speed. The bench (`--only importers`) measures the same on 200 MB files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.devtools.bench import importers as bench
from lokdarpan_db.importers.electoral import ElectoralFileError
from lokdarpan_db.importers.electoral.load_constituencies import DEFAULT_OVERRIDES, import_constituencies
from lokdarpan_db.importers.electoral.load_results import import_results
from lokdarpan_db.importers.wards import DEFAULT_BOUNDARIES, DEFAULT_ZONES, import_wards

MB = 1_000_000
MIB = 1024 * 1024
BOUND_MIB = 150
OLD_FACTOR = {"results": 4.3 * 1024 / 200, "form20": 5.8 * 1024 / 200, "wards": 1.5 * 1024 / 200}
# Measured with the code before (bench.ANCHORS_LATER: MiB on 200 MB, whole-file reading is linear).
OLD_FACTOR.update({kind: mib / 200 for kind, mib in bench.ANCHORS_LATER.items()})


@pytest.fixture(scope="module")
def url(db_url: str) -> Iterator[str]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        import_wards(conn)
        import_constituencies(conn)
    yield db_url


def _names(url: str) -> dict[int, str]:
    with psycopg.connect(url) as conn:
        return dict(
            conn.execute(
                "select number, name from public.constituency where state_code = 'S29' and kind = 'AC'"
            ).fetchall()
        )


def _check(kind: str, path: Path, mib: float) -> None:
    size = path.stat().st_size
    old = OLD_FACTOR[kind] * size / MIB
    assert size >= 30 * MB
    assert mib < BOUND_MIB, (
        f"{kind}: peak RSS {mib:.0f} MiB on a {size / MIB:.0f} MiB file (bound {BOUND_MIB} MiB; "
        f"reading the whole file took about {old:.0f} MiB)"
    )
    assert old / 2 > BOUND_MIB  # the bound tells streaming from reading the file whole


def test_results_import_streams(url: str, tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    rows = bench.write_results(path, 31 * MB, _names(url))
    mib, _, line = bench.peak_rss("results", url, path)
    assert line == f"{rows} {rows}"  # every row read and (dry run) inserted
    _check("results", path, mib)


def test_form20_import_streams(url: str, tmp_path: Path) -> None:
    form, candidates, parties = bench.write_form20(tmp_path, 40 * MB, stations=2_000)
    mib, _, line = bench.peak_rss("form20", url, form, candidates, parties)
    assert line == f"2000 {2000 * bench.FORM20_CANDIDATES}"  # each repeated row is one station
    _check("form20", form, mib)


def test_wards_import_streams(url: str, tmp_path: Path) -> None:
    path = tmp_path / "wards.geojson"
    bench.write_wards(path, 60 * MB)
    mib, _, line = bench.peak_rss("wards", url, path, DEFAULT_ZONES)
    assert line == "145 145"  # every feature read, every boundary kept (densified, same shapes)
    _check("wards", path, mib)


def test_constituencies_import_streams(url: str, tmp_path: Path) -> None:
    path = tmp_path / "acs.geojson"
    bench.write_constituencies(path, 60 * MB)
    mib, _, line = bench.peak_rss("constituencies", url, path, DEFAULT_OVERRIDES)
    assert line == "120 119 17"  # every feature read (AC 119 is two), every AC and PC loaded
    _check("constituencies", path, mib)


def test_demographics_import_streams(url: str, tmp_path: Path) -> None:
    path = tmp_path / "demographics-SYNTHETIC.csv"
    rows = bench.write_demographics(path, 30 * MB)
    mib, _, line = bench.peak_rss("demographics", url, path)
    assert line == f"refused {rows - 150}"  # every row read and staged: each repeat is an error
    _check("demographics", path, mib)


def test_zones_import_streams(url: str, tmp_path: Path) -> None:
    path = tmp_path / "zones.csv"
    rows = bench.write_zones(path, 31 * MB)
    mib, _, line = bench.peak_rss("zones", url, DEFAULT_BOUNDARIES, path)
    assert line == f"{rows} 0"  # every row read; every ward given many times: none loaded
    _check("zones", path, mib)


def test_a_candidate_given_twice_is_found_over_staging(url: str, tmp_path: Path) -> None:
    """The one whole-file check of a results file, a repeated (constituency, candidate), is asked of
    the staging table: the same one-line error as the parser's, merged with the other errors."""
    names = _names(url)
    path = tmp_path / "twice.csv"
    path.write_text(
        "st_code,st_name,ac_no,ac_name,candidate,party,evm_votes,postal_votes,total_votes,percent_votes\n"
        f"S29,Telangana,1,{names[1]},Ravi Rao,Independent,10,0,10,\n"
        f"S29,Telangana,1,{names[1]},RAVI RAO,Independent,12,0,12,\n"
        f"S29,Telangana,2,{names[2]},Asha,Independent,x,0,1,\n",
        encoding="utf-8",
    )
    with psycopg.connect(url) as conn, pytest.raises(ElectoralFileError) as refused:
        import_results(conn, path, year=2098, recompute=False)
    assert str(refused.value) == (
        f"{path}: 2 problems: line 3: duplicate candidate 'RAVI RAO' in constituency 1 (first on line 2); "
        "line 4: evm_votes 'x' is not a whole number"
    )
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from public.election where year = 2098").fetchone() == (0,)


def test_streamed_constituency_files_keep_their_checks(url: str, tmp_path: Path) -> None:
    """The boundary GeoJSON and the overrides CSV stream; their refusals still name file and line."""
    broken = tmp_path / "acs.geojson"
    broken.write_text('{"type": "FeatureCollection",\n "features": [\n {"type": "Feature", oops}]}\n')
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(
        "# reviewed\nward_id,ac_no,ward_fraction,reason\nGHMC-095,61,1,checked\nghmc-095,61,1,again\n"
    )
    with psycopg.connect(url) as conn:
        invalid = r"acs\.geojson: line 4: not valid JSON \(.*\); the fault is at or before this line"
        with pytest.raises(ElectoralFileError, match=invalid):
            import_constituencies(conn, broken, overrides, dry_run=True)
        broken.write_text('{"type": "Feature", "features": []}\n')
        with pytest.raises(ElectoralFileError, match="not a GeoJSON FeatureCollection with a features array"):
            import_constituencies(conn, broken, overrides, dry_run=True)
        broken.write_text('{"type": "FeatureCollection", "features": [{"properties": {"AC_NO": 0}}]}\n')
        with pytest.raises(ElectoralFileError, match=r"feature #1 \(AC_NO 0\): AC_NO 0 is not a"):
            import_constituencies(conn, broken, overrides, dry_run=True)
        broken.write_bytes(b'{"type": "FeatureCollection",\n"features": [\x00]}\n')
        with pytest.raises(ElectoralFileError, match=r"line 2: contains NUL bytes"):
            import_constituencies(conn, broken, overrides, dry_run=True)
        with pytest.raises(ElectoralFileError) as refused:
            import_constituencies(conn, overrides=overrides, dry_run=True)
        assert str(refused.value) == f"{overrides}: line 4: ward ghmc-095 and AC 61 again (first on line 3)"
        assert conn.execute("select count(*) from ward_constituency_override").fetchone() == (13,)


def test_a_long_zones_file_keeps_bounded_state_and_says_so(url: str, tmp_path: Path) -> None:
    """Rows of one ward number beyond ROWS_KEPT_PER_WARD are counted, not kept; row problems beyond
    ZONES_LISTED are counted in one line."""
    from lokdarpan_db.importers import wards

    path = tmp_path / "zones.csv"
    body = DEFAULT_ZONES.read_text(encoding="utf-8")
    bad = "".join(f"x{i},Nowhere,East Zone\n" for i in range(wards.ZONES_LISTED + 5))
    path.write_text(body + "1,Kapra,East Zone\n" * 12 + bad, encoding="utf-8")
    with psycopg.connect(url) as conn:
        report = import_wards(conn, zones=path, dry_run=True)
    problems = report.problems
    assert (
        "zones.csv: ward 1 appears 13 times (Kapra (line 2), Kapra (line 152), Kapra (line 153), "
        "Kapra (line 154), Kapra (line 155), Kapra (line 156), Kapra (line 157), Kapra (line 158), "
        "Kapra (line 159), Kapra (line 160) and 3 more rows); none loaded"
    ) in problems
    assert "zones.csv line 164: ward_no 'x0' is not a number; row skipped" in problems
    assert "zones.csv: 5 more row problems like these (not listed)" in problems
    assert report.rows_read == 150 + 12 + wards.ZONES_LISTED + 5


def test_demographics_errors_beyond_the_listed_are_counted(url: str, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    rows = "".join(f"GHMC-{n % 150 + 1:03d},0.5,0.1,0.1,0.2\n" for n in range(1_300))
    path.write_text("ward_id,literacy_idx,muslim_idx,scst_idx,secc_deprivation_idx\n" + rows)
    from lokdarpan_db.importers.electoral.load_demographics import import_demographics

    with psycopg.connect(url) as conn, pytest.raises(ElectoralFileError) as refused:
        import_demographics(conn, path, dry_run=True)
    assert len(refused.value.problems) == 1000 and refused.value.omitted == 1_300 - 150 - 1000
    assert str(refused.value).startswith(
        f"{path}: 1150 problems: line 152: ward GHMC-001 again (first on line 2); "
    )
