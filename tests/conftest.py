"""Test harness: one throwaway PostgreSQL per session, a fresh database per module or test.

Server, first match wins: $LOKDARPAN_TEST_DSN (an admin conninfo on a server with pgvector and
pgTAP installed), a testcontainers PostgreSQL where a Docker daemon answers
($LOKDARPAN_TEST_IMAGE, default pgvector/pgvector:0.8.0-pg15), else a private cluster made with
initdb in a temporary directory (durability off: it is thrown away).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.devtools.scratch import create_database, drop_database
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine
from lokdarpan_db.migrate.registry import Committer
from lokdarpan_db.server.cluster import throwaway

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "db" / "sqitch.plan"
TEST_COMMITTER = Committer("LokDarpan Tests", "tests@lokdarpan.in")


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    dsn = os.environ.get("LOKDARPAN_TEST_DSN")
    if dsn:
        yield dsn
        return
    if _docker_answers():  # pragma: no cover - no Docker daemon on the CI machine
        from testcontainers.postgres import PostgresContainer

        image = os.environ.get("LOKDARPAN_TEST_IMAGE", "pgvector/pgvector:0.8.0-pg15")
        with PostgresContainer(image, driver=None) as pg:
            yield pg.get_connection_url()
        return
    with throwaway(prefix="lokdarpan-test-") as cluster:
        yield cluster.url("postgres")


@dataclass
class Databases:
    admin_url: str

    def create(self, prefix: str = "t") -> str:
        return create_database(self.admin_url, prefix)

    def drop(self, url: str) -> None:
        drop_database(self.admin_url, url)


@pytest.fixture(scope="session")
def databases(pg_admin_url: str) -> Databases:
    return Databases(pg_admin_url)


def deploy_plan(url: str, plan_path: Path = PLAN) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        Engine(conn, plan_mod.load(plan_path), TEST_COMMITTER).deploy()


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    """A fresh database with the whole real plan deployed, shared by the tests of one module."""
    url = databases.create("m")
    deploy_plan(url)
    yield url
    databases.drop(url)


@pytest.fixture()
def empty_db(databases: Databases) -> Iterator[str]:
    """A fresh, empty database for one test."""
    url = databases.create("e")
    yield url
    databases.drop(url)


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and k not in ("LOKDARPAN_DATABASE_URL", "LOKDARPAN_PLAN")}
    env.update({"SQITCH_FULLNAME": TEST_COMMITTER.name, "SQITCH_EMAIL": TEST_COMMITTER.email,
                "COLUMNS": "200"})
    env.update(extra or {})
    return env


@pytest.fixture()
def run_cli() -> Callable[..., subprocess.CompletedProcess]:
    """Run `lokdarpan-db ARGS` as a real process; cwd defaults to the repository."""

    def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
            timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "lokdarpan_db.cli", *args], cwd=cwd, env=cli_env(env),
            capture_output=True, text=True, timeout=timeout, input=input, check=False,
        )

    return run


@dataclass
class Project:
    """A throwaway project directory with its own plan and scripts, for engine behaviour tests."""

    root: Path

    @property
    def plan(self) -> Path:
        return self.root / "db" / "sqitch.plan"

    def write_plan(self, body: str) -> None:
        header = "%syntax-version=1.0.0\n%project=testproj\n%uri=https://example.org/testproj/\n\n"
        self.plan.write_text(header + textwrap.dedent(body).lstrip())

    def add(self, name: str, deploy: str, revert: str, verify: str = "select 1;",
            deps: str = "", minute: int = 0) -> None:
        for kind, sql in (("deploy", deploy), ("revert", revert), ("verify", verify)):
            path = self.root / "db" / kind / f"{name}.sql"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(sql).lstrip())
        dep = f" [{deps}]" if deps else ""
        self.append(f"{name}{dep} 2026-01-01T00:{minute:02d}:00Z Test Planner <planner@example.org> # {name}")

    def append(self, line: str) -> None:
        if not self.plan.exists():
            self.write_plan("")
        with self.plan.open("a") as fh:
            fh.write(line + "\n")

    def tag(self, name: str, minute: int = 0) -> None:
        self.append(f"@{name} 2026-01-01T00:{minute:02d}:00Z Test Planner <planner@example.org> # {name}")

    def rework(self, name: str, after_tag: str, deploy: str, revert: str, verify: str = "select 1;",
               minute: int = 0) -> None:
        """What `sqitch rework NAME` does after tag `after_tag`: the current scripts become
        NAME@TAG.sql, new ones take their place, and the plan gains NAME [NAME@TAG]."""
        *dirs, base = name.split("/")
        for kind in ("deploy", "revert", "verify"):
            here = self.root.joinpath("db", kind, *dirs)
            (here / f"{base}@{after_tag}.sql").write_bytes((here / f"{base}.sql").read_bytes())
        self.add(name, deploy, revert, verify, deps=f"{name}@{after_tag}", minute=minute)


@pytest.fixture()
def project(tmp_path: Path) -> Project:
    for kind in ("deploy", "revert", "verify"):
        (tmp_path / "db" / kind).mkdir(parents=True)
    (tmp_path / "sqitch.conf").write_text(
        "[core]\n\tengine = pg\n\ttop_dir = db\n\tplan_file = db/sqitch.plan\n"
    )
    return Project(tmp_path)


def schema_snapshot(url: str) -> str:
    """pg_dump's schema of everything but the Sqitch registry: the catalog as a DBA reads it."""
    from lokdarpan_db.devtools.pgtap import libpq_env
    from lokdarpan_db.server.cluster import pg_bindir

    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(libpq_env(url))
    res = subprocess.run(
        [str(pg_bindir() / "pg_dump"), "--schema-only", "--exclude-schema=sqitch"],
        capture_output=True, text=True, env=env, check=True,
    )
    # pg_dump 15.14+ wraps its output in \restrict/\unrestrict lines with a random key.
    return "\n".join(ln for ln in res.stdout.splitlines()
                     if not ln.startswith(("\\restrict ", "\\unrestrict ")))
