"""Run the pgTAP suites in db/tests/ against a database that has the plan deployed.

Installs the pgtap extension and the helper functions in db/tests/helpers/ (in file-name order),
then runs `pg_prove` over every db/tests/**/*.sql but the helpers.
Returns pg_prove's exit code and output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ..connect import libpq_env
from ..errors import BadInputError
from ..migrate import scripts


@dataclass(frozen=True)
class ProveResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def install_helpers(conn: psycopg.Connection, tests_dir: Path) -> None:
    conn.execute("create extension if not exists pgtap")
    for helper in sorted((tests_dir / "helpers").glob("*.sql")):
        with conn.transaction():
            scripts.run(conn, helper)


def suites(tests_dir: Path) -> list[Path]:
    """Every pgTAP suite under tests_dir, in every domain folder (db/tests/electoral/…), except the
    helpers, in path order."""
    helpers = tests_dir / "helpers"
    return sorted(p for p in tests_dir.rglob("*.sql") if helpers not in p.parents)


def prove(conninfo: str, tests_dir: Path, files: list[Path] | None = None) -> ProveResult:
    pg_prove = shutil.which("pg_prove")
    if not pg_prove:
        raise BadInputError("pg_prove not found; run `make deps`")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        install_helpers(conn, tests_dir)
    targets = [str(f) for f in (files or suites(tests_dir))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(libpq_env(conninfo))
    res = subprocess.run(
        [pg_prove, "--verbose", "--failures", *targets], capture_output=True, text=True, env=env,
        check=False,
    )
    return ProveResult(res.returncode, res.stdout + res.stderr)
