"""`lokdarpan-db health` and `report`: output, --json, exit codes 0/1/2 in-process."""

from __future__ import annotations

import json

import psycopg

from lokdarpan_db.cli import run


def _sample(url: str, name: str, value: float) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """insert into ai_system_metrics (metric_name, metric_category, metric_scope, metric_value,
                   metric_unit,
                   period_start, period_end, aggregation_type)
               values (%s, 'performance', 'system', %s, 'ms', lokdarpan_now(), lokdarpan_now(), 'p95')""",
            (name, value),
        )


def test_health_exit_code_follows_the_worst_status(db_url: str, capsys):
    _sample(db_url, "ward_query_latency", 10)
    assert run(["--db", db_url, "health", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "OK"
    assert {c["metric"]: c["status"] for c in data["checks"]}["ward_query_latency"] == "OK"

    _sample(db_url, "ward_query_latency", 150)
    assert run(["--db", db_url, "health"]) == 1
    assert "WARNING" in capsys.readouterr().out

    _sample(db_url, "vector_search_latency", 500)
    assert run(["--db", db_url, "--json", "health"]) == 2
    checks = {c["metric"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["vector_search_latency"]["status"] == "CRITICAL"
    assert checks["vector_search_latency"]["threshold"] == 100


def test_reports(db_url: str, capsys):
    assert run(["--db", db_url, "--json", "report", "index-usage", "--all"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert any(r["index"] == "ix_report_queue" for r in rows)
    assert (
        run(["--db", db_url, "--json", "report", "slow-queries", "--min-mean-ms", "0", "--limit", "3"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["report"] == "slow-queries" and 1 <= len(data["rows"]) <= 3


def test_bad_input_is_one_line_and_exit_2(db_url: str, capsys):
    assert run(["--db", db_url, "report", "slow-queries", "--limit", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --limit must be between 1 and 1000, got 0"]
