"""The importers stream (issue 19, finding 12): their peak memory does not grow with the file.

Before, a 200 MB file took 4.3 GiB (results), 5.8 GiB (Form 20) and 1.5 GiB (wards): about 21,
29 and 7.5 times the file. Each importer here runs in a child process (the library call the CLI
makes, a dry run) on a generated file of 30-60 MB, and its peak resident set (the child's VmHWM,
its own since its exec) must stay under 150 MiB: far under what holding the file cost (650 MiB to
1.4 GiB for these sizes), generous over what streaming costs (about 60 MiB on any size: the
interpreter, psycopg, bounded buffers). Memory, not time: the bound does not depend on the
machine's speed. The bench (`--only importers`) measures the same on 200 MB files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.devtools.bench import importers as bench
from lokdarpan_db.importers.electoral import ElectoralFileError
from lokdarpan_db.importers.electoral.load_constituencies import import_constituencies
from lokdarpan_db.importers.electoral.load_results import import_results
from lokdarpan_db.importers.wards import DEFAULT_ZONES, import_wards

MB = 1_000_000
MIB = 1024 * 1024
BOUND_MIB = 150
OLD_FACTOR = {"results": 4.3 * 1024 / 200, "form20": 5.8 * 1024 / 200, "wards": 1.5 * 1024 / 200}


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
