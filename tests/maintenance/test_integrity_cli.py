"""`lokdarpan-db integrity` in-process: the table, --json, --only, and the exit codes a monitoring
system reads (0 PASS, 1 WARN, 2 FAIL, 3 could not run) with defects planted by a superuser."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from lokdarpan_db.cli import run
from lokdarpan_db.maintenance.integrity import run_checks

CHECK_NAMES = {
    "orphaned_posts", "duplicate_epapers", "budget_consistency", "budget_over_total",
    "budget_reservations_expired", "post_ward_mismatch", "post_duplicate_ids", "post_search_vector_missing",
    "embedding_hash_mismatch", "embedding_ward_mismatch", "ward_day_rollup_drift", "ward_author_rollup_drift",
    "default_partition_rows", "partition_next_month_missing", "reports_stuck_processing", "invalid_indexes",
    "identity_sequence_near_limit", "polling_stations_unplaced", "disabled_triggers",
}


INVALIDATE = "update pg_index set indisvalid = %s where indexrelid = 'public.ix_post_author'::regclass"


def _sql(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_clean_database_passes_with_exit_0(db_url: str, capsys):
    assert run(["--db", db_url, "integrity", "--json"]) == 0
    data = _json(capsys)
    assert data["status"] == "PASS"
    assert {c["check_name"] for c in data["checks"]} == CHECK_NAMES
    assert set(data["checks"][0]) == {
        "check_name", "status", "record_count", "issue_description", "hint", "elapsed_ms"
    }
    assert all(c["status"] == "PASS" and c["record_count"] == 0 for c in data["checks"])
    assert all(isinstance(c["elapsed_ms"], float) and c["elapsed_ms"] >= 0 for c in data["checks"])

    assert run(["--db", db_url, "integrity"]) == 0
    text = capsys.readouterr().out
    assert "integrity: PASS" in text and "orphaned_posts" in text and "what to do" not in text


def test_a_warn_exits_1_and_a_fail_exits_2(db_url: str, capsys):
    _sql(db_url, INVALIDATE % "false")
    try:
        assert run(["--db", db_url, "integrity"]) == 1
        text = capsys.readouterr().out
        assert "integrity: WARN" in text and "what to do:" in text and "CONCURRENTLY" in text

        _sql(db_url, "alter table public.alert disable trigger alert_set_updated_at")
        try:
            assert run(["--db", db_url, "--json", "integrity"]) == 2
            data = _json(capsys)
            by_name = {c["check_name"]: c for c in data["checks"]}
            assert data["status"] == "FAIL"
            assert by_name["invalid_indexes"]["status"] == "WARN"
            assert by_name["invalid_indexes"]["record_count"] == 1
            assert by_name["disabled_triggers"]["status"] == "FAIL"
            assert by_name["disabled_triggers"]["record_count"] == 1
            assert "enable trigger" in by_name["disabled_triggers"]["hint"]

            # --only narrows the verdict to the checks named: the WARN alone is exit 1.
            assert run(["--db", db_url, "integrity", "--only", "invalid_indexes", "--only", "orphaned_posts",
                        "--json"]) == 1
            assert [c["check_name"] for c in _json(capsys)["checks"]] == ["orphaned_posts", "invalid_indexes"]
        finally:
            _sql(db_url, "alter table public.alert enable trigger alert_set_updated_at")
    finally:
        _sql(db_url, INVALIDATE % "true")
    assert run(["--db", db_url, "integrity", "--json"]) == 0
    capsys.readouterr()


def test_unknown_check_is_one_line_and_exit_3(db_url: str, capsys):
    assert run(["--db", db_url, "integrity", "--only", "orphaned_posts", "--only", "no_such_check"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert lines == [
        "error: integrity checks could not run: validate_data_integrity: unknown check 'no_such_check'"
    ]


def test_unreachable_database_is_exit_3_not_a_finding(capsys):
    assert run(["--db", "postgresql://nobody@/nodb?host=/nonexistent&port=1", "integrity"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot connect to")


def test_a_readonly_login_runs_the_checks(db_url: str):
    role = f"integrity_monitor_{uuid.uuid4().hex[:8]}"
    _sql(db_url, f"create role {role} login password '{role}' in role lokdarpan_readonly")
    try:
        with psycopg.connect(make_conninfo(db_url, user=role, password=role), autocommit=True) as conn:
            report = run_checks(conn, ["orphaned_posts", "disabled_triggers"])
            assert report.exit_code == 0 and [c.check_name for c in report.checks] == [
                "orphaned_posts", "disabled_triggers"
            ]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("select count(*) from public.audit_log")
    finally:
        _sql(db_url, f"drop role {role}")
