"""`make bench` in quick mode against the test server: every section runs and reports numbers.

The bench is a report, not a gate (its targets are judged on the full sizes); this only proves it
still runs end to end — deploy vs sqitch, search over synthetic posts, the electoral section's
SYNTHETIC Form 20 load and ward recompute, ward analytics, the AI ledger, backups and the vector
store, the integrity checks, the importers' peak memory — and writes the Markdown report.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from support import ROOT, cli_env

ROW = re.compile(
    r"^\| (?P<section>[a-z]+) \| (?P<name>[^|]+) \| (?P<value>[-\d,.]+) (?P<unit>[^|]+) \|"
    r" (?P<target>[^|]*) \| (?P<met>[^|]*) \| (?P<notes>[^|]*) \|$"
)


def test_quick_bench_reports_every_section(pg_admin_url: str, tmp_path: Path) -> None:
    report = tmp_path / "bench-report.md"
    res = subprocess.run(
        [sys.executable, "-m", "lokdarpan_db.devtools.bench", "--quick", "--report", str(report)],
        cwd=ROOT,
        env=cli_env({"LOKDARPAN_BENCH_DSN": pg_admin_url}),
        capture_output=True,
        text=True,
        timeout=900,  # a report of every section; minutes on a loaded 2-core machine
        check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    text = report.read_text()
    assert "--quick" in text
    rows = [m.groupdict() for line in text.splitlines() if (m := ROW.match(line))]
    by_section: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_section.setdefault(row["section"], []).append(row)
    assert {"deploy", "search", "electoral", "analytics", "ledger", "backup", "vectors", "cleanup",
            "integrity", "partitions", "importers", "locks", "online", "replica"} <= set(by_section), (
        text
    )
    # electoral: 8 rows, 6 when the server's processes are not on this machine (no CPU reading)
    assert len(by_section["deploy"]) == 5 and len(by_section["search"]) >= 6, text
    assert len(by_section["electoral"]) in (6, 8), text

    electoral = {r["name"].strip(): r for r in by_section["electoral"]}
    load = next(r for name, r in electoral.items() if name.startswith("Form 20 load through import_form20"))
    assert "1,976 result_ps rows, 8 files" in load["name"]
    assert load["unit"].strip() == "rows/s" and float(load["value"].replace(",", "")) > 0
    recompute = next(r for name, r in electoral.items() if name.startswith("recompute_electoral()"))
    assert recompute["unit"].strip() == "s" and recompute["target"].strip() == "<= 10 s"
    assert recompute["met"].strip() in ("yes", "**no**")
    counted = re.search(r"polling_stations_wards=(\d+)", recompute["notes"])
    assert counted and int(counted.group(1)) > 0, recompute["notes"]  # the counted path ran
    placed = next(r for name, r in electoral.items() if name.startswith("stations placed in wards"))
    assert float(placed["value"]) == 26
    assert any(name.startswith("load time in parsing") for name in electoral)
    bare = next(r for name, r in electoral.items() if name.startswith("the limit: bare COPY of the same"))
    assert "1,976 rows" in bare["name"] and float(bare["value"].replace(",", "")) > 0  # the same rows
    for section in ("deploy", "search"):
        assert all(float(r["value"].replace(",", "")) >= 0 for r in by_section[section])

    # importers: each importer's peak memory in a child process, beside the figure before streaming
    memory = {r["name"].strip(): r for r in by_section["importers"]}
    assert len(memory) == 6, memory
    for what, anchor in (("import results", "4.3 GiB"), ("import form20", "5.8 GiB"),
                         ("import wards (GeoJSON)", "1.5 GiB"), ("import constituencies", "1.2 GiB"),
                         ("import demographics", "2.4 GiB"), ("import wards (zones CSV)", "4.9 GiB")):
        row = next(r for name, r in memory.items() if name.startswith(f"peak RSS, {what}"))
        assert row["unit"].strip() == "MiB" and row["target"].strip() == "<= 200 MB", row
        assert 0 < float(row["value"].replace(",", "")) < 200 and row["met"].strip() == "yes", row
        assert f"before streaming {anchor}" in row["notes"], row

    # integrity: the total, then every check's ms; on the bench's clean data every check passes.
    integrity = {r["name"].strip(): r for r in by_section["integrity"]}
    total = next(r for name, r in integrity.items() if name.startswith("validate_data_integrity() total"))
    assert total["unit"].strip() == "ms" and total["met"].strip() == "yes", total
    assert "slowest check" in total["notes"], total["notes"]
    checks = {name.removeprefix("check "): r for name, r in integrity.items() if name.startswith("check ")}
    assert {"orphaned_posts", "ward_day_rollup_drift", "budget_consistency"} <= set(checks)
    assert len(checks) == 19, checks
    assert all(r["notes"].strip() == "PASS" for r in checks.values()), checks
