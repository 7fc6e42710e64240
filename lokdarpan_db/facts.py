"""Facts the database states, said once on the Python side (issue 22 part 4).

The database is the validator and the source of truth: each fact here copies a constraint, a
column set, a seeded default or a bound of the deployed schema, and `check(conn)` compares every one
with the deployed catalog (tests/db/test_facts.py runs it on the real plan), so a change to the
schema that forgets this file fails a test instead of drifting. Python code reads these names
instead of repeating the values: CLI choices and help texts, early input checks (which say the same
as the database would, before connecting), the synthetic data.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

import psycopg

# election.type (db/deploy/electoral/elections.sql, chk_election_type)
ElectionType = Literal["GHMC", "ASSEMBLY", "LOKSABHA"]
ELECTION_TYPES: tuple[str, ...] = get_args(ElectionType)

# post.party (db/deploy/news.sql, chk_post_party): the parties a post can be about
POST_PARTIES: tuple[str, ...] = ("BJP", "INC", "BRS", "AIMIM", "TRS", "NOTA", "Independent", "Other")
# the parties the ward rollups and dashboards count in columns of their own (ward_day_rollup)
DASHBOARD_PARTIES: tuple[str, ...] = ("AIMIM", "BJP", "BRS", "INC")

# maintenance_setting (db/deploy/maintenance/cleanup.sql): the cleanup's settings, their seeded
# defaults, and the bounds the table's checks put on them
CLEANUP_DEFAULTS: dict[str, str | int] = {  # periods as PostgreSQL intervals, counts as integers
    "embedding_idle_after": "90 days",
    "report_idle_after": "60 days",
    "report_idle_max_accesses": 3,
    "execution_retention": "6 months",
    "metrics_retention": "1 year",
    "partition_lock_timeout_ms": 50,
    "partition_drop_attempts": 20,
}
CLEANUP_PERIOD_BOUNDS = ("1 day", "10 years")
CLEANUP_COUNT_BOUNDS = (1, 1_000_000)
# maintenance_run.batch_size (chk_maintenance_run_batch_size): rows per cleanup batch
CLEANUP_MAX_BATCH = 100_000
CLEANUP_DEFAULT_BATCH = 5_000

# daily_ward_trends holds this many days (db/deploy/analytics/ward_dashboards.sql)
TREND_DAYS = 90
# report_slow_queries(p_limit) accepts 1 to this many rows (db/deploy/code/ledger/metrics/reports.sql)
REPORT_MAX_LIMIT = 1000


def _check_values(conn: psycopg.Connection, table: str, constraint: str) -> list[str] | None:
    """The quoted values of an `x in (...)` / `= any (array[...])` check constraint, in order."""
    row = conn.execute(
        "select pg_get_constraintdef(c.oid) from pg_constraint c "
        "where c.conrelid = %s::regclass and c.conname = %s", (table, constraint)).fetchone()
    if row is None:
        return None
    return re.findall(r"'([^']*)'::", row[0])


def _cleanup_mismatches(conn: psycopg.Connection) -> list[str]:
    problems = []
    rows = conn.execute(
        "select name, value_interval::text, value_integer from public.maintenance_setting").fetchall()
    seeded = {name: interval or integer for name, interval, integer in rows}
    if set(seeded) != set(CLEANUP_DEFAULTS):
        problems.append(f"maintenance_setting names {sorted(seeded)} != facts {sorted(CLEANUP_DEFAULTS)}")
    allowed = _check_values(conn, "public.maintenance_setting", "chk_maintenance_setting_known_name")
    if allowed is None or set(allowed) != set(CLEANUP_DEFAULTS):
        problems.append(f"chk_maintenance_setting_known_name allows {allowed}, "
                        f"facts {sorted(CLEANUP_DEFAULTS)}")
    for name, default in CLEANUP_DEFAULTS.items():
        column = "value_integer = %s::integer" if isinstance(default, int) \
            else "value_interval = %s::interval"
        same = conn.execute(f"select {column} from public.maintenance_setting where name = %s",
                            (default, name)).fetchone()
        if not same or not same[0]:
            problems.append(f"maintenance_setting {name}: seeded {seeded.get(name)}, facts say {default}")
    return problems


def _view_mentions(conn: psycopg.Connection, view: str, needle: str) -> bool:
    row = conn.execute("select pg_get_viewdef(%s::regclass)", (view,)).fetchone()
    return row is not None and needle in row[0]


def _function_mentions(conn: psycopg.Connection, function: str, needle: str) -> bool:
    row = conn.execute("select prosrc from pg_proc where oid = %s::regprocedure", (function,)).fetchone()
    return row is not None and needle in row[0]


def _constraint_mentions(conn: psycopg.Connection, table: str, constraint: str, *needles: str) -> bool:
    row = conn.execute(
        "select pg_get_constraintdef(c.oid) from pg_constraint c "
        "where c.conrelid = %s::regclass and c.conname = %s", (table, constraint)).fetchone()
    return row is not None and all(n in row[0] for n in needles)


def check(conn: psycopg.Connection) -> list[str]:
    """Every fact above compared with the deployed catalog: the differences, one line each."""
    problems: list[str] = []
    types = _check_values(conn, "public.election", "chk_election_type")
    if types is None or set(types) != set(ELECTION_TYPES):
        problems.append(f"election.type allows {types}, facts.ELECTION_TYPES is {ELECTION_TYPES}")
    parties = _check_values(conn, "public.post", "chk_post_party")
    if parties is None or set(parties) != set(POST_PARTIES):
        problems.append(f"post.party allows {parties}, facts.POST_PARTIES is {POST_PARTIES}")
    columns = {r[0] for r in conn.execute(
        "select attname from pg_attribute where attrelid = 'public.ward_day_rollup'::regclass "
        "and attnum > 0 and not attisdropped").fetchall()}
    missing = [p for p in DASHBOARD_PARTIES if p.lower() not in columns]
    if missing:
        problems.append(f"ward_day_rollup has no column for {missing} (facts.DASHBOARD_PARTIES)")
    problems += _cleanup_mismatches(conn)
    lo, hi = CLEANUP_PERIOD_BOUNDS
    if not _constraint_mentions(conn, "public.maintenance_setting",
                                "chk_maintenance_setting_period_between_1_day_and_10_years",
                                f"'{lo}'::interval", f"'{hi}'::interval"):
        problems.append(f"maintenance_setting periods are not bounded by {CLEANUP_PERIOD_BOUNDS}")
    lo_n, hi_n = CLEANUP_COUNT_BOUNDS
    if not _constraint_mentions(conn, "public.maintenance_setting",
                                "chk_maintenance_setting_count_between_1_and_1000000",
                                f">= {lo_n}", f"<= {hi_n}"):
        problems.append(f"maintenance_setting counts are not bounded by {CLEANUP_COUNT_BOUNDS}")
    if not _constraint_mentions(conn, "public.maintenance_run", "chk_maintenance_run_batch_size",
                                ">= 1", f"<= {CLEANUP_MAX_BATCH}"):
        problems.append(f"maintenance_run.batch_size is not bounded by 1..{CLEANUP_MAX_BATCH}")
    if not _view_mentions(conn, "public.daily_ward_trends", f"- {TREND_DAYS}"):
        problems.append(f"daily_ward_trends does not hold {TREND_DAYS} days (facts.TREND_DAYS)")
    if not _function_mentions(conn, "public.report_slow_queries(double precision, integer)",
                              f"p_limit not between 1 and {REPORT_MAX_LIMIT}"):
        problems.append(f"report_slow_queries() does not bound p_limit by 1..{REPORT_MAX_LIMIT}")
    return problems
