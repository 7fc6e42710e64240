"""Form 20 under faults (issue 19): a cut or short re-import, a row typed twice, a batch with a bad
file. Real files (data/electoral/form20-gujarat-ls2014), a real database, the CLI in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.cli import run
from lokdarpan_db.importers.electoral import ElectoralFileError
from lokdarpan_db.importers.electoral.load_form20 import (
    FORM20_DIR,
    Form20BatchError,
    Form20FilesRefusedError,
    import_form20,
    import_form20_files,
)
from lokdarpan_db.importers.safety import RemovalRefusedError

AC001 = FORM20_DIR / "AC001.csv"
# The cut: the first 7,337 bytes of AC001.csv end at a line end, after station 168.
CUT_AT = 7337
GONE = "161 station results and 805 candidate rows (80,105 votes)"


def counts(conn: psycopg.Connection, year: int = 2014) -> tuple[int, int, int]:
    """(station results, candidate rows, votes) of the Lok Sabha election of `year`."""
    row = conn.execute(
        "select (select count(*) from polling_station_result r join election e on e.id = r.election_id "
        "        where e.type = 'LOKSABHA' and e.year = %(y)s), "
        "count(*), coalesce(sum(p.votes), 0) from result_ps p join election e on e.id = p.election_id "
        "where e.type = 'LOKSABHA' and e.year = %(y)s",
        {"y": year},
    ).fetchone()
    conn.commit()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


@pytest.fixture(scope="module")
def loaded(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        import_form20(conn, AC001)


@pytest.fixture()
def conn(db_url: str, loaded: None) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url) as c:
        yield c


def cut_copy(tmp_path: Path, size: int, tail: bytes = b"") -> Path:
    path = tmp_path / "AC001.csv"  # the same name: a re-import of the same file
    path.write_bytes(AC001.read_bytes()[:size] + tail)
    return path


def test_a_truncated_reimport_is_refused_and_removes_nothing(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    before = counts(conn)
    assert before == (329, 1645, 141276)
    cut = cut_copy(tmp_path, CUT_AT)
    assert cut.read_bytes().endswith(b",168,7,58,118,0,3,186,0,6,192,0,\r\n")  # a clean line end

    with pytest.raises(RemovalRefusedError) as refused:
        import_form20(conn, cut)
    assert str(refused.value) == (
        f"AC001.csv: this import would remove {GONE} of AC 1 in election LOKSABHA 2014 that earlier "
        "imports loaded and this file no longer has; nothing imported: check that the file is complete, "
        "or pass --replace to remove them"
    )
    assert refused.value.exit_code == 2
    assert counts(conn) == before

    preview = import_form20(conn, cut, dry_run=True)
    removed = (preview.station_results_removed, preview.results_removed, preview.votes_removed)
    assert removed == (161, 805, 80105)
    assert preview.removed == GONE
    assert any(f"would remove {GONE}" in p and "without --replace" in p for p in preview.problems)
    assert counts(conn) == before

    replaced = import_form20(conn, cut, replace=True)
    assert replaced.removed == GONE
    assert counts(conn) == (168, 840, before[2] - 80105)
    back = import_form20(conn, AC001)  # growing again removes nothing: no --replace needed
    assert back.removed == "" and back.station_results_inserted == 161
    assert counts(conn) == before


def test_the_cli_refuses_the_cut_reimport_and_its_dry_run_says_what_would_go(
    db_url: str, loaded: None, conn: psycopg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(conn)
    cut = cut_copy(tmp_path, CUT_AT)
    assert run(["--db", db_url, "import", "form20", str(cut)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: AC001.csv: this import would remove " + GONE)
    assert counts(conn) == before
    assert run(["--db", db_url, "import", "form20", str(cut), "--dry-run"]) == 0
    shown = capsys.readouterr().out
    assert f"would remove: {GONE}" in shown
    assert counts(conn) == before


@pytest.mark.parametrize(
    ("size", "tail", "expected"),
    [
        (CUT_AT - 10, b"", "line 200: the last line (',168,7,58,118,0,3,186,0,') has no line end: the file"),
        (CUT_AT - 5, b"\r\n", "line 200: the last row has 11 fields where the file's rows have 13: the file"),
    ],
    ids=["no line end", "short last row"],
)
def test_a_file_cut_mid_line_is_refused_naming_the_line(
    conn: psycopg.Connection, tmp_path: Path, size: int, tail: bytes, expected: str
) -> None:
    before = counts(conn)
    with pytest.raises(ElectoralFileError) as refused:
        import_form20(conn, cut_copy(tmp_path, size, tail), replace=True)
    assert expected in str(refused.value) and "\n" not in str(refused.value)
    assert counts(conn) == before


def _ac002_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (FORM20_DIR / "AC002.csv").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "AC002.csv"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_station_row_typed_twice_is_one_station(conn: psycopg.Connection, tmp_path: Path) -> None:
    row = "\n1,11,240,95,8,45,399,0,1,400,0"  # line 3, station 1
    path = _ac002_with(tmp_path, row, row + row)
    r = import_form20(conn, path, year=2019, dry_run=True)
    assert r.stations_read == 278 and r.station_results_inserted == 278 and r.results_inserted == 278 * 5
    assert r.duplicates_collapsed == [
        "AC002.csv line 4: polling station 1 repeats line 3 exactly: counted once"
    ]
    assert r.duplicate_serials == []
    assert (
        "AC002.csv line 4: polling station 1 repeats line 3 exactly (same votes and totals): counted once"
        in r.problems
    )
    real = import_form20(conn, FORM20_DIR / "AC002.csv", year=2019, dry_run=True)
    assert (r.stations_read, r.result_rows) == (real.stations_read, real.result_rows)


def test_rows_that_share_a_serial_but_differ_stay_two_stations_and_say_so(conn: psycopg.Connection) -> None:
    r = import_form20(conn, FORM20_DIR / "AC006.csv", year=2019, dry_run=True)
    assert r.stations_read == 250 and r.duplicates_collapsed == []
    assert r.duplicate_serials == [
        "AC006.csv line 268: polling station 232 again, with other votes than line 267: kept as a separate "
        "station, ps_id S06-AC006-232/2, serial 232Z"
    ]


def _bad(tmp_path: Path) -> Path:
    return _ac002_with(tmp_path, "\n1,11,240,95,8,45,399,0,1,400,0", "\n1,12,240,95,8,45,399,0,1,400,0")


def test_a_batch_is_one_transaction_a_bad_file_imports_nothing(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    bad = _bad(tmp_path)
    files = [FORM20_DIR / "AC006.csv", FORM20_DIR / "AC007.csv", bad]
    with pytest.raises(Form20BatchError) as refused:
        import_form20_files(conn, files, year=2019)
    message = str(refused.value)
    assert message.startswith(f"{bad}: line 3: polling station 1: the candidates' votes add up to 400")
    assert (
        "[the 3 files are one transaction: nothing of them is imported (AC006.csv, AC007.csv rolled back); "
        "fix or leave out AC002.csv, or pass --each to commit each good file on its own]"
    ) in message
    assert "\n" not in message and refused.value.exit_code == 2
    assert counts(conn, 2019) == (0, 0, 0)

    ok = import_form20_files(conn, files[:2], year=2019, dry_run=True)
    assert [(f.file.name, f.fate) for f in ok.files] == [
        ("AC006.csv", "rolled back"),
        ("AC007.csv", "rolled back"),
    ]
    assert ok.reports[1].election_created is False  # AC007 saw the election AC006 made: one transaction
    assert counts(conn, 2019) == (0, 0, 0)


def test_each_commits_each_good_file_and_reports_every_fate(
    db_url: str, conn: psycopg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _bad(tmp_path)
    files = [FORM20_DIR / "AC006.csv", bad, FORM20_DIR / "AC007.csv"]
    report = import_form20_files(conn, files, year=2020, each=True)
    assert [(f.file.name, f.fate) for f in report.files] == [
        ("AC006.csv", "committed"),
        ("AC002.csv", "refused"),
        ("AC007.csv", "committed"),
    ]
    assert counts(conn, 2020)[:2] == (531, 250 * 5 + 281 * 14)
    with pytest.raises(Form20FilesRefusedError) as refused:
        report.check()
    assert str(refused.value).startswith(f"1 of 3 files refused: {bad}: line 3: polling station 1")
    assert str(refused.value).endswith("; AC006.csv, AC007.csv committed")

    # The CLI: the batch default, then --each (re-importing the two good files changes nothing).
    argv = ["--db", db_url, "import", "form20", *map(str, files), "--year", "2021"]
    assert run(argv) == 2
    out = capsys.readouterr()
    assert len(out.err.strip().splitlines()) == 1 and "rolled back" in out.err and "Traceback" not in out.err
    assert counts(conn, 2021) == (0, 0, 0)
    assert run([*argv[:-1], "2020", "--each"]) == 2
    out = capsys.readouterr()
    assert "AC006.csv: AC 6" in out.out and f"AC002.csv: refused, nothing of it imported: {bad}" in out.out
    assert out.err.strip().splitlines() == [f"error: {refused.value}"]


def test_a_batch_is_one_import_no_savepoint_per_file_and_one_sum_check(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    # What the batch sends (libpq's trace of the protocol): the files share the batch's transaction
    # (no savepoint each: past 64 the server's snapshots look them up), and the deferred votes-add-up
    # check runs once, at the end, over all of them.
    files = [FORM20_DIR / "AC006.csv", FORM20_DIR / "AC007.csv", FORM20_DIR / "AC002.csv"]
    trace = tmp_path / "trace.txt"
    with trace.open("w") as out:
        conn.pgconn.trace(out.fileno())
        try:
            report = import_form20_files(conn, files, year=2022)
        finally:
            conn.pgconn.untrace()
    sent = trace.read_text(errors="replace").lower()
    assert [f.fate for f in report.files] == ["committed"] * 3
    assert sent.count("savepoint") == 0
    assert sent.count("set constraints public.chk_polling_station_result_votes_add_up immediate") == 1
    assert counts(conn, 2022)[:2] == (250 + 281 + 278, 250 * 5 + 281 * 14 + 278 * 5)
    again = import_form20_files(conn, files, year=2022)
    assert [(r.results_inserted, r.results_updated) for r in again.reports] == [(0, 0)] * 3
    assert [r.results_unchanged for r in again.reports] == [250 * 5, 281 * 14, 278 * 5]
