"""`lokdarpan-db ward`, `refresh` and `schedule` in this process, against a deployed database with
the real wards: output, --json, exit codes; pg_cron where the server preloads it, crontab lines
where it does not."""

from __future__ import annotations

import json

import psycopg
import pytest

from lokdarpan_db.cli import run
from lokdarpan_db.maintenance.schedule import JOBS, pg_cron_database


def json_of(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def with_posts(ward_db: str) -> str:
    with psycopg.connect(ward_db) as conn:
        conn.execute(
            "insert into post (text, city, emotion, party, created_at) "
            "select 'post ' || g, case when g % 3 = 0 then 'Khairatabad' else 'Jubilee Hills' end, "
            "(array['positive', 'negative', 'neutral'])[1 + g % 3], "
            "(array['BJP', 'INC', 'BRS', null])[1 + g % 4], "
            "lokdarpan_now() - make_interval(hours => g * 7) from generate_series(1, 120) as g"
        )
    return ward_db


def test_ward_dashboard_matches_the_posts(with_posts, capsys):
    with psycopg.connect(with_posts) as conn:
        total, last_7d, bjp = conn.execute(
            "select count(*), count(*) filter (where created_at > lokdarpan_now() - interval '6 days'), "
            "count(*) filter (where party = 'BJP') from post where ward_id = 'GHMC-095'"
        ).fetchone()
        mentions = dict(conn.execute(
            "select party, count(*) from post where ward_id = 'GHMC-095' and party is not null "
            "and created_at >= lokdarpan_now() - interval '30 days' group by party"
        ).fetchall())
    assert run(["--db", with_posts, "--json", "ward", "jubilee hills", "--trend-days", "30"]) == 0
    report = json_of(capsys)
    assert report["ward_id"] == "GHMC-095"
    assert report["summary"]["total_posts"] == total and report["summary"]["bjp_mentions"] == bjp
    assert report["summary"]["posts_last_7d"] >= last_7d  # 7 calendar days reach back further than 6 x 24 h
    assert len(report["trend"]) == 30 and sum(r["daily_posts"] for r in report["trend"]) <= total
    assert {r["party"]: r["mention_count"] for r in report["competition"]} == mentions

    assert run(["--db", with_posts, "ward", "95"]) == 0
    out = capsys.readouterr().out
    assert "Jubilee Hills (GHMC-095, ward 95)" in out and f"posts {total} " in out
    assert "last 14 days" in out and "parties mentioned, last 30 days" in out


@pytest.mark.parametrize(("args", "message"), [
    (["Atlantis"], "'Atlantis' is not a ward"),
    (["95", "--days", "0"], "days must be between 1 and 3660, got 0"),
    (["95", "--trend-days", "91"], "trend days must be between 1 and 90, got 91"),
])
def test_ward_bad_input_is_one_line_and_exit_2(with_posts, capsys, args, message):
    assert run(["--db", with_posts, "ward", *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_refresh_rebuilds_both_or_one_and_counts_corrections(with_posts, capsys):
    assert run(["--db", with_posts, "--json", "refresh"]) == 0
    both = json_of(capsys)
    assert set(both) == {"electoral", "analytics"}
    assert both["analytics"]["corrected"] == 0
    with psycopg.connect(with_posts) as conn:
        days = conn.execute("select count(*) from ward_day_rollup").fetchone()[0]
        # The rebuild folded everything pending: the counts are all in the folded table.
        conn.execute("update ward_day_rollup_folded set posts = posts + 1, neutral = neutral + 1, "
                     "no_party = no_party + 1 "
                     "where ward_id = 'GHMC-095' and day = (select max(day) from ward_day_rollup_folded "
                     "where ward_id = 'GHMC-095')")
    assert run(["--db", with_posts, "refresh", "analytics", "--json"]) == 0
    only = json_of(capsys)
    assert set(only) == {"analytics"}
    assert only["analytics"]["tables"]["ward_day_rollup"] == {"rows": days, "corrected": 2}
    assert run(["--db", with_posts, "refresh", "analytics"]) == 0
    out = capsys.readouterr().out
    assert "ward_day_rollup" in out and "corrected" in out


def test_schedule_installs_lists_and_removes_pg_cron_jobs(ward_db, capsys):
    with psycopg.connect(ward_db) as conn:
        if pg_cron_database(conn) is None:
            pytest.skip("the test server does not preload pg_cron (LOKDARPAN_TEST_DSN without it)")
        database = conn.info.dbname
    names = [f"lokdarpan:{database}:{job.name}" for job in JOBS]
    for _ in range(2):  # installing twice keeps one job each
        assert run(["--db", ward_db, "--json", "schedule", "install"]) == 0
        report = json_of(capsys)
        assert report["backend"] == "pg_cron" and [j["name"] for j in report["jobs"]] == sorted(names)
        commands = {j["name"]: j["command"] for j in report["jobs"] if j["active"]}
        assert commands == {name: job.sql for name, job in zip(names, JOBS, strict=True)}
    assert run(["--db", ward_db, "schedule"]) == 0
    assert "refresh_ward_analytics" in capsys.readouterr().out
    assert run(["--db", ward_db, "--json", "schedule", "remove"]) == 0
    assert json_of(capsys)["jobs"] == []
    assert run(["--db", ward_db, "schedule", "list"]) == 0
    assert f"no lokdarpan jobs for database {database}" in capsys.readouterr().out


def test_schedule_without_pg_cron_prints_crontab_lines(plain_server, capsys):
    url = plain_server.tcp_url()
    password = plain_server.password_file.read_text().strip()
    assert run(["--db", url, "schedule", "install"]) == 0
    captured = capsys.readouterr()
    assert "does not preload pg_cron" in captured.err
    lines = [ln for ln in captured.out.splitlines() if ln and not ln.startswith("#")]
    assert len(lines) == len(JOBS)
    assert lines[0].startswith(JOBS[0].schedule + " lokdarpan-db --db ") and "refresh analytics" in lines[0]
    assert password not in captured.out
    assert run(["--db", url, "--json", "schedule", "list"]) == 0
    report = json_of(capsys)
    assert report["backend"] == "crontab" and report["jobs"] == [] and len(report["crontab"]) == len(JOBS) + 1
