"""`lokdarpan-db cleanup` in-process against a real database: dry run against real, --json shape,
bad --batch-size, and an application insert that goes on while a month is being dropped."""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from lokdarpan_db.cli import run
from lokdarpan_db.maintenance import cleanup as cleanup_mod

RULES = ["embeddings_expired", "embeddings_idle", "reports_expired", "reports_idle", "metrics_retention",
         "reservations_of_dropped_months", "executions_retention"]
SET_ATTEMPTS = ("update public.maintenance_setting set value_integer = %s "
                "where name = 'partition_drop_attempts'")


def json_of(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def old_months(url: str, months: list[str], rows_per_month: int = 50) -> None:
    """Execution rows in old UTC months (their partitions made first) and metrics two years old."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select count(*) from public.ai_execution_ensure_partitions(0, %s::timestamptz)",
                     (months[0] + "-01 00:00+00",))
        for month in months:
            conn.execute(
                """insert into public.ai_model_execution
                       (request_id, operation_type, provider, model_name, success_status, created_at)
                   select 'old-' || %s || '-' || g, 'op', 'openai', 'gpt-4o', 'success',
                          %s::timestamptz + g * interval '1 minute'
                   from generate_series(1, %s) as g""",
                (month, month + "-01 00:00+00", rows_per_month),
            )
        conn.execute(
            """insert into public.ai_system_metrics (metric_name, metric_category, metric_scope, metric_value,
                   period_start, period_end, aggregation_type, created_at)
               select 'old', 'performance', 'system', g, now() - interval '2 years',
                      now() - interval '2 years', 'avg', now() - interval '2 years'
               from generate_series(1, 25) as g"""
        )


def partitions(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(
            "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
            "where i.inhparent = 'public.ai_model_execution'::regclass").fetchall()}


def test_dry_run_reports_what_the_real_run_then_does(db_url, capsys):
    old_months(db_url, ["2021-03", "2021-04"])
    before = partitions(db_url)
    assert run(["--db", db_url, "--json", "cleanup", "--dry-run", "--batch-size", "7"]) == 0
    dry = json_of(capsys)
    assert dry["dry_run"] is True and [r["rule"] for r in dry["rules"]] == RULES
    counts = {r["rule"]: r["rows"] for r in dry["rules"]}
    assert counts["executions_retention"] == 100 and counts["metrics_retention"] == 25
    assert partitions(db_url) == before, "a dry run drops nothing"

    assert run(["--db", db_url, "--json", "cleanup", "--batch-size", "7"]) == 0
    real = json_of(capsys)
    assert {r["rule"]: r["rows"] for r in real["rules"]} == counts
    execs = next(r for r in real["rules"] if r["rule"] == "executions_retention")
    # The two months with rows, and the empty months made after them that are just as old.
    assert execs["partitions"][:2] == ["ai_model_execution_p2021_03", "ai_model_execution_p2021_04"]
    assert execs["partitions_dropped"] == len(execs["partitions"]) == len(
        next(r for r in dry["rules"] if r["rule"] == "executions_retention")["partitions"])
    assert before - partitions(db_url) == set(execs["partitions"])
    assert real["steps"] >= 25 // 7 + 2, "the metrics went in batches of 7, one step each"

    assert run(["--db", db_url, "cleanup"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cleanup run ") and "0 rows cleaned up" in out


def test_json_shape(db_url, capsys):
    assert run(["--db", db_url, "cleanup", "--dry-run", "--json"]) == 0
    report = json_of(capsys)
    assert set(report) == {"run_id", "dry_run", "batch_size", "steps", "seconds", "total_rows", "rules"}
    assert set(report["rules"][0]) == {"rule", "table", "action", "rows", "partitions_dropped", "partitions",
                                       "skipped", "setting"}
    assert report["batch_size"] == cleanup_mod.DEFAULT_BATCH


@pytest.mark.parametrize("size", ["0", "100001", "-5"])
def test_bad_batch_size_is_one_line_and_exit_2(db_url, capsys, size):
    assert run(["--db", db_url, "cleanup", "--batch-size", size]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: --batch-size must be between 1 and 100,000, got {size}"


def test_an_insert_is_not_queued_behind_a_drop_that_cannot_get_its_lock(db_url):
    """A second connection holds a lock on the month being dropped: the drop gives up after
    partition_lock_timeout_ms per attempt instead of queueing, so the application's insert into
    ai_model_execution goes through while the cleanup is still running; when the holder lets go,
    the next attempt drops the month."""
    old_months(db_url, ["2020-06"], rows_per_month=5)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(SET_ATTEMPTS, (40,))
    holder = psycopg.connect(db_url)
    holder.execute("select count(*) from public.ai_model_execution_p2020_06")  # ACCESS SHARE until rollback
    report: dict = {}
    cleaner = threading.Thread(target=lambda: report.update(
        r=cleanup_mod.cleanup(psycopg.connect(db_url, autocommit=True))))
    cleaner.start()
    try:
        with psycopg.connect(db_url, autocommit=True) as app:
            # Wait until the cleanup is waiting for the held partition (it holds the parent's
            # ACCESS EXCLUSIVE lock then, for at most partition_lock_timeout_ms).
            for _ in range(3000):
                if app.execute(
                    "select count(*) from pg_locks where not granted "
                    "and relation = 'public.ai_model_execution_p2020_06'::regclass").fetchone()[0]:
                    break
                threading.Event().wait(0.005)
            else:
                pytest.fail("the cleanup never tried to drop the held month")
            # The application's insert does not wait for the cleanup (a statement timeout would
            # raise here if it queued behind a lock the cleanup waits for or holds).
            app.execute("set lock_timeout = '5s'")
            app.execute(
                """insert into public.ai_model_execution (request_id, operation_type, provider, model_name,
                       success_status) values ('live-1', 'op', 'openai', 'gpt-4o', 'success')""")
            assert cleaner.is_alive(), "the cleanup is still retrying while the insert went through"
    finally:
        holder.rollback()
        holder.close()
        cleaner.join(60)
    execs = next(r for r in report["r"].rules if r.rule == "executions_retention")
    assert "ai_model_execution_p2020_06" in execs.partitions, "dropped once the holder let go"
    with psycopg.connect(db_url) as conn:
        assert conn.execute(
            "select count(*) from public.ai_model_execution where request_id = 'live-1'").fetchone()[0] == 1
        conn.execute(SET_ATTEMPTS, (20,))
        conn.commit()


def test_a_month_whose_lock_never_comes_is_left_for_the_next_run(db_url):
    old_months(db_url, ["2019-01"], rows_per_month=3)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(SET_ATTEMPTS, (2,))
    holder = psycopg.connect(db_url)
    holder.execute("select count(*) from public.ai_model_execution_p2019_01")
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            report = cleanup_mod.cleanup(conn)
    finally:
        holder.rollback()
        holder.close()
    execs = next(r for r in report.rules if r.rule == "executions_retention")
    assert "ai_model_execution_p2019_01: busy" in execs.skipped
    assert "ai_model_execution_p2019_01" not in execs.partitions
    assert "ai_model_execution_p2019_01" in partitions(db_url)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(SET_ATTEMPTS, (20,))
        report = cleanup_mod.cleanup(conn)
    execs = next(r for r in report.rules if r.rule == "executions_retention")
    assert "ai_model_execution_p2019_01" in execs.partitions
