"""Test harness: one throwaway PostgreSQL per session, a fresh database per module or test.

Server, first match wins: $LOKDARPAN_TEST_DSN (an admin conninfo on a server with pgvector and
pgTAP installed), a testcontainers PostgreSQL where a Docker daemon answers
($LOKDARPAN_TEST_IMAGE, default pgvector/pgvector:0.8.0-pg15), else a private cluster made with
initdb in a temporary directory (durability off: it is thrown away).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support import ROOT, Databases, Project, cli_env, deploy_plan

from lokdarpan_db.server.cluster import throwaway

# A runner that starts the suite in the background of a non-interactive shell (`nohup make test &`)
# hands it SIGINT ignored, and an ignored signal stays ignored across exec: the tests that press
# Ctrl-C on a CLI child (watch, backup create, restore) would then find the child deaf to it. The
# child of a process with a handler gets the default disposition, so install Python's own.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# The modules that take minutes on one xdist worker (measured with --durations on 2 cores: the quick
# bench 254 s, the streaming importers 155 s, the plan round trip 97 s, Sqitch's conformance cases
# 115 s of setup). First in the collection, and with xdist keeping that order (the Makefile's
# --no-loadscope-reorder: its default puts the files with the most tests first, and so ran the
# one-test quick bench last, after everything else), they overlap the rest of the suite: longest
# first is what a 2-worker schedule wants.
LONG_MODULES = (
    "tests/devtools/test_bench_smoke.py",
    "tests/importers/test_streaming_memory.py",
    "tests/migrate/test_sqitch_conformance.py",
    "tests/migrate/test_roundtrip.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Runs the long modules first, in LONG_MODULES' order, each module's tests in their own order."""
    rank = {module: i for i, module in enumerate(LONG_MODULES)}

    def key(item: pytest.Item) -> int:
        path = Path(str(item.path)).resolve()
        try:
            relative = path.relative_to(ROOT).as_posix()
        except ValueError:
            return len(LONG_MODULES)
        return rank.get(relative, len(LONG_MODULES))

    items.sort(key=key)  # stable: everything else keeps its collected order


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



@pytest.fixture(scope="session")
def databases(pg_admin_url: str) -> Databases:
    return Databases(pg_admin_url)



@contextmanager
def _cron_cluster(prefix: str) -> Iterator[str]:
    import psycopg

    from lokdarpan_db.server.cluster import _has_library

    if not _has_library("pg_cron"):  # pragma: no cover - postgresql-15-cron is in `make deps`
        pytest.skip("pg_cron is not installed")
    with throwaway(prefix=prefix, settings={"cron.database_name": "'lokdarpan'"}) as cluster:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("create database lokdarpan")
        url = cluster.url("lokdarpan")
        deploy_plan(url)
        yield url


@pytest.fixture(scope="session")
def cron_db_url() -> Iterator[str]:
    """The embedded cluster's layout for pg_cron: a server of our own whose pg_cron keeps its jobs in
    the project's database itself (cron.database_name = 'lokdarpan', as `cluster init` sets it), with
    the plan deployed there. Made only for the tests that ask for it (issue 18: the deployer's
    default privileges once reached schema cron there)."""
    with _cron_cluster("lokdarpan-cron-") as url:
        yield url


@pytest.fixture(scope="module")
def disposable_cron_db_url() -> Iterator[str]:
    """The same layout on a server of the module's own, for tests that replace pg_cron's database
    (a restore over it): pg_cron's scheduler keeps reading the database it started with until the
    server restarts, so the session's shared server would stop running jobs for later tests."""
    with _cron_cluster("lokdarpan-cron-own-") as url:
        yield url



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



@pytest.fixture()
def project(tmp_path: Path) -> Project:
    for kind in ("deploy", "revert", "verify"):
        (tmp_path / "db" / kind).mkdir(parents=True)
    (tmp_path / "sqitch.conf").write_text(
        "[core]\n\tengine = pg\n\ttop_dir = db\n\tplan_file = db/sqitch.plan\n"
    )
    return Project(tmp_path)
