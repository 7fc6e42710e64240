"""Issue 18: the scheduled jobs run as lokdarpan_maintenance, never as the superuser who installs
them, and no project role can reach pg_cron. On a server laid out as the embedded cluster is:
pg_cron's jobs live in the project's own database (cron_db_url)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from lokdarpan_db.maintenance.schedule import JOB_ROLE, JOBS, schedule

PASSWORD = "cron-test-" + uuid.uuid4().hex
DENIED = "permission denied for schema cron"
GROUPS = ("lokdarpan_readonly", "lokdarpan_analyst", "lokdarpan_admin")


@pytest.fixture(scope="module")
def installed(cron_db_url: str) -> Iterator[str]:
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        schedule(conn, "install")
    yield cron_db_url
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        schedule(conn, "remove")


@pytest.fixture(scope="module")
def logins(installed: str) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    urls = {}
    with psycopg.connect(installed, autocommit=True) as conn:
        for group in GROUPS:
            role = f"cron_{group.split('_')[1]}_{suffix}"
            conn.execute(sql.SQL("create role {} login password {} in role {}").format(
                sql.Identifier(role), sql.Literal(PASSWORD), sql.Identifier(group)))
            urls[group] = make_conninfo(installed, user=role, password=PASSWORD)
    yield urls
    with psycopg.connect(installed, autocommit=True) as conn:
        for url in urls.values():
            role = sql.Identifier(psycopg.conninfo.conninfo_to_dict(url)["user"])
            conn.execute(sql.SQL("drop owned by {}").format(role))
            conn.execute(sql.SQL("drop role {}").format(role))


def test_install_schedules_every_job_as_the_maintenance_role(installed: str):
    with psycopg.connect(installed) as conn:
        users = conn.execute("select jobname, username from cron.job order by jobname").fetchall()
        role = conn.execute(
            "select rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolpassword is null "
            "from pg_authid where rolname = %s", (JOB_ROLE,)).fetchone()
    assert len(users) == len(JOBS) and {u for _, u in users} == {JOB_ROLE}
    assert role == (True, False, False, False, False, True), "LOGIN (pg_cron needs it), no password"


@pytest.mark.parametrize("group", GROUPS)
def test_project_roles_cannot_schedule_jobs(logins: dict[str, str], group: str):
    with psycopg.connect(logins[group], autocommit=True) as conn:
        for call in ("select cron.schedule('* * * * *', 'select 1')",
                     "select cron.schedule('mine', '* * * * *', 'select 1')",
                     "select cron.schedule_in_database('mine', '* * * * *', 'select 1', current_database())",
                     "select cron.unschedule(1)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED):
                conn.execute(call)


def test_an_admin_cannot_wipe_the_schedule(installed: str, logins: dict[str, str]):
    with psycopg.connect(logins["lokdarpan_admin"], autocommit=True) as conn:
        for stmt in ("truncate cron.job", "delete from cron.job", "delete from cron.job_run_details",
                     "update cron.job set active = false"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED):
                conn.execute(stmt)
    with psycopg.connect(installed) as conn:
        assert conn.execute("select count(*) from cron.job where active").fetchone() == (len(JOBS),)


def test_the_jobs_run_as_the_maintenance_role_and_succeed(installed: str):
    """pg_cron 1.4 (Debian's) knows no seconds schedules: every job is set to every minute, and the
    test waits for one run of each (usually about a minute; up to four on a loaded machine)."""
    with psycopg.connect(installed, autocommit=True) as conn:
        jobs = dict(conn.execute("select jobid, jobname from cron.job").fetchall())
        started = conn.execute("select now()").fetchone()[0]  # type: ignore[index]
        for jobid in jobs:
            conn.execute("select cron.alter_job(%s, schedule := '* * * * *')", (jobid,))
        try:
            deadline = time.monotonic() + 240
            runs: dict[int, tuple[str, str, str]] = {}
            while time.monotonic() < deadline and len(runs) < len(jobs):
                time.sleep(3)
                for jobid, status, user, message in conn.execute(
                    "select jobid, status, username, return_message from cron.job_run_details "
                    "where start_time >= %s and status in ('succeeded', 'failed') order by start_time",
                    (started,),
                ).fetchall():
                    runs.setdefault(jobid, (status, user, message))
            assert {jobs[j]: r for j, r in runs.items()} == {
                name: ("succeeded", JOB_ROLE, runs[j][2]) for j, name in jobs.items() if j in runs
            }, runs
            assert len(runs) == len(jobs), f"not every job ran within 240 s: {runs}"
            # The cleanup records its login: the job's session was lokdarpan_maintenance's.
            assert conn.execute(
                "select run_by from maintenance_run where started_at >= %s order by id limit 1", (started,)
            ).fetchone() == (JOB_ROLE,)
        finally:
            for jobid, name in jobs.items():
                job = next(j for j in JOBS if name.endswith(":" + j.name))
                conn.execute("select cron.alter_job(%s, schedule := %s)", (jobid, job.schedule))


def test_remove_takes_login_back(cron_db_url: str):
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        schedule(conn, "remove")
        login = conn.execute("select rolcanlogin from pg_roles where rolname = %s", (JOB_ROLE,)).fetchone()
        assert login == (False,)
        schedule(conn, "install")  # as the module's other tests expect
