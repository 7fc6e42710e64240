"""`lokdarpan-db import wards` as a DBA runs it: real files, real process."""

from __future__ import annotations

import json

from support import ROOT


def test_import_wards_cli_loads_reports_and_is_idempotent(run_cli, db_url):
    first = run_cli("--db", db_url, "import", "wards")
    assert first.returncode == 0, first.stderr
    assert "wards: 150 inserted, 0 updated, 0 unchanged; 145 with a boundary, 5 without" in first.stdout
    assert "no feature for ward 113 Patancheruvu" in first.stdout
    again = run_cli("--db", db_url, "import", "wards", "--json")
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert (data["inserted"], data["unchanged"]) == (0, 150)
    assert len(data["problems"]) == 7


def test_import_wards_cli_missing_file_is_one_line_exit_2(run_cli, db_url, tmp_path):
    res = run_cli("--db", db_url, "import", "wards", "--zones", str(tmp_path / "nope.csv"),
                  "--boundaries", str(ROOT / "data" / "ghmc-wards.geojson"))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "nope.csv" in lines[0]
    assert "Traceback" not in res.stderr
