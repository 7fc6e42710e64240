"""The project's scheduled jobs: installed into pg_cron where the server has it, otherwise shown as
crontab lines for the machine's cron. Later issues append their jobs to JOBS.

pg_cron keeps its jobs in the database named by the server setting cron.database_name; jobs run
in our database through cron.schedule_in_database(). Job names carry the database name
(lokdarpan:<database>:<job>) so two LokDarpan databases on one server keep separate jobs.

Jobs run as lokdarpan_maintenance (the roles change makes it), a role that is member of nothing
and may only execute what the jobs call; never as the superuser who installs them. pg_cron runs
jobs only as roles with LOGIN, so install gives it LOGIN (no password: nobody signs in with it)
and remove takes it back once no job of any database uses it. Install also takes every privilege
in pg_cron's schema from PUBLIC and the project's roles: whoever may use schema cron may
cron.schedule() jobs of their own, and an admin who could write cron.job could wipe the schedule.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from ..errors import BadInputError, LokdarpanError
from ..facts import CLEANUP_DEFAULT_BATCH


@dataclass(frozen=True)
class Job:
    name: str
    schedule: str  # cron syntax, server time zone (pg_cron runs in GMT unless cron.timezone says otherwise)
    sql: str
    cli: str  # the same work as a lokdarpan-db command line, for crontab
    purpose: str


JOBS: tuple[Job, ...] = (
    Job(
        name="refresh_ward_analytics",
        schedule="30 21 * * *",  # 21:30 UTC = 03:00 in Hyderabad
        sql="select * from public.refresh_ward_analytics()",
        cli="refresh analytics",
        purpose="nightly consistency check: rebuild the ward rollups from post and count corrections",
    ),
    Job(
        name="maintain_partitions",
        schedule="0 20 * * *",  # 20:00 UTC = 01:30 in Hyderabad
        sql="select * from public.maintain_partitions()",
        cli="partitions --maintain",
        purpose="pg_partman: monthly partitions of post and ai_model_execution ahead; "
                "rows out of the default partitions",
    ),
    Job(
        name="cleanup_expired_data",
        schedule="30 20 * * *",  # 20:30 UTC = 02:00 in Hyderabad (the seed's 02:00 cleanup)
        # One batch per transaction: a top-level DO block may COMMIT (a procedure with SET
        # search_path may not), so no lock outlives a batch.
        sql=f"do $$declare r bigint := public.ai_cleanup_start(false, {CLEANUP_DEFAULT_BATCH}); "
            "begin commit; while public.ai_cleanup_step(r) loop commit; end loop; end$$",
        cli="cleanup",
        purpose="retention: delete expired and idle embeddings and old metrics, archive reports, "
                "drop execution months past execution_retention",
    ),
)


JOB_ROLE = "lokdarpan_maintenance"


@dataclass
class ScheduledJob:
    name: str
    schedule: str
    command: str
    active: bool
    jobid: int | None = None
    username: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "schedule": self.schedule, "command": self.command,
                "active": self.active, "jobid": self.jobid, "username": self.username}


@dataclass
class ScheduleReport:
    action: str  # install | list | remove
    backend: str  # pg_cron | crontab
    database: str
    jobs: list[ScheduledJob] = field(default_factory=list)
    crontab: list[str] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "backend": self.backend, "database": self.database,
                "jobs": [j.as_dict() for j in self.jobs], "crontab": self.crontab, "note": self.note}


def pg_cron_database(conn: psycopg.Connection) -> str | None:
    """The database pg_cron keeps its jobs in, or None when the server does not preload pg_cron."""
    row = conn.execute("select current_setting('shared_preload_libraries')").fetchone()
    libs = [x.strip() for x in (row[0] if row else "").split(",")]
    if "pg_cron" not in libs:
        return None
    row = conn.execute("select current_setting('cron.database_name', true)").fetchone()
    return (row[0] if row and row[0] else None) or "postgres"


def job_name(database: str, job: Job) -> str:
    return f"lokdarpan:{database}:{job.name}"


def crontab_lines(conninfo: str, database: str) -> list[str]:
    """What to put in the crontab of a machine that can reach the database (password left out: use
    ~/.pgpass or PGPASSWORD)."""
    url = _without_password(conninfo)
    return [f"# lokdarpan-db jobs for database {database}; times are UTC (shift them if this cron runs "
            "in local time)"] + [
        f"{job.schedule} lokdarpan-db --db {shlex.quote(url)} {job.cli}  # {job.purpose}" for job in JOBS
    ]


def schedule(conn: psycopg.Connection, action: str) -> ScheduleReport:
    """install / list / remove the project's jobs in pg_cron; without pg_cron, the crontab lines."""
    if action not in ("install", "list", "remove"):
        raise BadInputError(f"unknown action {action!r}: install, list or remove")
    database = conn.info.dbname
    cron_db = pg_cron_database(conn)
    if cron_db is None:
        return ScheduleReport(
            action, "crontab", database, crontab=crontab_lines(conn.info.dsn, database),
            note="this server does not preload pg_cron: add these lines to a crontab "
                 "(or install postgresql-15-cron and preload it)",
        )
    with _cron_connection(conn, cron_db) as cron:
        if action == "install":
            if not _role_exists(cron):
                raise LokdarpanError(f"role {JOB_ROLE} does not exist: deploy the plan first")
            _unschedule(cron, database)  # jobs of an earlier install, whoever they ran as
            lock_down_cron(cron)
            cron.execute(sql.SQL("alter role {} login").format(sql.Identifier(JOB_ROLE)))
            for job in JOBS:
                cron.execute("select cron.schedule_in_database(%s, %s, %s, %s, %s)",
                             (job_name(database, job), job.schedule, job.sql, database, JOB_ROLE))
        elif action == "remove":
            _unschedule(cron, database)
            in_use = cron.execute("select 1 from cron.job where username = %s", (JOB_ROLE,)).fetchone()
            if in_use is None and _role_exists(cron):
                cron.execute(sql.SQL("alter role {} nologin").format(sql.Identifier(JOB_ROLE)))
        rows = cron.execute(
            "select jobid, jobname, schedule, command, active, username from cron.job "
            "where jobname like %s and database = %s order by jobname",
            (f"lokdarpan:{database}:%", database),
        ).fetchall()
        jobs = [ScheduledJob(name, sched, cmd, active, jobid, user)
                for jobid, name, sched, cmd, active, user in rows]
    return ScheduleReport(action, "pg_cron", database, jobs=jobs)


def _role_exists(cron: psycopg.Connection) -> bool:
    return cron.execute("select 1 from pg_roles where rolname = %s", (JOB_ROLE,)).fetchone() is not None


def _unschedule(cron: psycopg.Connection, database: str) -> None:
    for jobid, in cron.execute(
        "select jobid from cron.job where jobname like %s and database = %s",
        (f"lokdarpan:{database}:%", database),
    ).fetchall():
        cron.execute("select cron.unschedule(%s)", (jobid,))


def lock_down_cron(cron: psycopg.Connection) -> None:
    """No privilege in schema cron for any lokdarpan_% role (roles are cluster-wide, and pg_cron's
    database may be ours: the deploying role's default privileges once reached it), no USAGE on it
    for PUBLIC, and no write privilege for PUBLIC on its tables (pg_cron grants DELETE on
    job_run_details). pg_cron's other grants to PUBLIC (SELECT of one's own jobs, EXECUTE of
    cron.schedule) stay: without USAGE on the schema they are out of reach; a DBA who grants a
    role USAGE lets that role schedule jobs as itself."""
    roles = [sql.Identifier(r) for r, in cron.execute(
        "select rolname from pg_roles where rolname like 'lokdarpan\\_%' order by rolname").fetchall()]
    cron.execute("revoke all on schema cron from public")
    cron.execute("revoke insert, update, delete, truncate, references, trigger on all tables in schema cron "
                 "from public")
    if roles:
        who = sql.SQL(", ").join(roles)
        for what in ("schema cron", "all tables in schema cron", "all sequences in schema cron",
                     "all functions in schema cron"):
            cron.execute(sql.SQL("revoke all on {} from {}").format(sql.SQL(what), who))


class _cron_connection:
    """A connection to pg_cron's database with the extension created (same server and login)."""

    def __init__(self, conn: psycopg.Connection, cron_db: str):
        params = pg_conninfo.conninfo_to_dict(conn.info.dsn)
        params["dbname"] = cron_db
        pw = conn.info.password
        if pw:
            params["password"] = pw
        self.conninfo = pg_conninfo.make_conninfo(**params)  # type: ignore[arg-type]
        self.conn: psycopg.Connection | None = None

    def __enter__(self) -> psycopg.Connection:
        try:
            self.conn = psycopg.connect(self.conninfo, autocommit=True)
            self.conn.execute("create extension if not exists pg_cron")
        except psycopg.Error as exc:
            raise LokdarpanError(f"pg_cron in database {self.conninfo and _dbname(self.conninfo)}: "
                                 f"{' '.join(str(exc).split())}") from exc
        return self.conn

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()


def _dbname(conninfo: str) -> str:
    return pg_conninfo.conninfo_to_dict(conninfo).get("dbname", "?")  # type: ignore[return-value]


def _without_password(conninfo: str) -> str:
    if "://" in conninfo:
        parts = urlsplit(conninfo)
        netloc = re.sub(r":[^@]*@", "@", parts.netloc)
        return urlunsplit(parts._replace(netloc=netloc))
    params = {k: v for k, v in pg_conninfo.conninfo_to_dict(conninfo).items() if k != "password"}
    return pg_conninfo.make_conninfo(**params)  # type: ignore[arg-type]

