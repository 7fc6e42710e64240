"""What tests share beyond fixtures: the project's paths, the test committer, a throwaway project
with its own plan (Project), and helpers (deploy_plan, cli_env, schema_snapshot). Importable from
every test folder: pytest's pythonpath includes tests/ (pyproject.toml)."""

from __future__ import annotations

import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import psycopg

from lokdarpan_db.devtools.scratch import create_database, drop_database
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine
from lokdarpan_db.migrate.registry import Committer
from lokdarpan_db.paths import PLAN, PROJECT

ROOT = PROJECT
TEST_COMMITTER = Committer("LokDarpan Tests", "tests@lokdarpan.in")


@dataclass
class Databases:
    admin_url: str

    def create(self, prefix: str = "t") -> str:
        return create_database(self.admin_url, prefix)

    def drop(self, url: str) -> None:
        drop_database(self.admin_url, url)



def deploy_plan(url: str, plan_path: Path = PLAN) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        Engine(conn, plan_mod.load(plan_path), TEST_COMMITTER).deploy()



def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and k not in ("LOKDARPAN_DATABASE_URL", "LOKDARPAN_PLAN")}
    env.update({"SQITCH_FULLNAME": TEST_COMMITTER.name, "SQITCH_EMAIL": TEST_COMMITTER.email,
                "COLUMNS": "200"})
    env.update(extra or {})
    return env



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
