"""Time to deploy the whole plan into an empty database: lokdarpan-db versus Sqitch.

Both run as real command-line processes against the same server, each into its own fresh
database, alternately, several rounds; the figure is the median wall time and the ratio of the
two medians, measured in one run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

import psycopg
from psycopg.conninfo import conninfo_to_dict

from ...paths import PROJECT
from ..pgtap import libpq_env
from ..scratch import create_database, drop_database
from .report import Measurement

ROOT = PROJECT


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({"SQITCH_FULLNAME": "bench", "SQITCH_EMAIL": "bench@lokdarpan.in"})
    env.update(extra)
    return env


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {res.stderr.strip()[-500:]}")
    return elapsed


def _library_deploy(url: str) -> float:
    """The same deploy through the library in this (already started) process: what CI jobs and
    applications embedding lokdarpan_db pay, without interpreter start-up and imports."""
    from ...migrate import plan as plan_mod
    from ...migrate.engine import Engine
    from ...migrate.registry import Committer

    plan = plan_mod.load(ROOT / "db" / "sqitch.plan")
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        Engine(conn, plan, Committer("bench", "bench@lokdarpan.in")).deploy()
        return time.perf_counter() - started


def run(admin_url: str, rounds: int = 5) -> list[Measurement]:
    if not shutil.which("sqitch"):
        raise RuntimeError("sqitch is not installed; run `make deps`")
    ours: list[float] = []
    theirs: list[float] = []
    library: list[float] = []
    for _ in range(rounds):
        for who in ("ours", "sqitch", "library"):
            url = create_database(admin_url, "bench", operator=True)
            try:
                if who == "library":
                    library.append(_library_deploy(url))
                elif who == "ours":
                    ours.append(_timed(
                        [sys.executable, "-m", "lokdarpan_db.cli", "--db", url, "deploy"], _env({})))
                else:
                    db = conninfo_to_dict(url)["dbname"]
                    theirs.append(_timed(["sqitch", "deploy", f"db:pg:{db}"], _env(libpq_env(url))))
            finally:
                drop_database(admin_url, url)
    ours_med, theirs_med = statistics.median(ours), statistics.median(theirs)
    lib_med = statistics.median(library)
    ratio = theirs_med / ours_med
    return [
        Measurement("deploy", "lokdarpan-db deploy, whole plan, empty database", ours_med * 1000, "ms",
                    details={"runs": rounds, "min_ms": round(min(ours) * 1000, 1)}),
        Measurement("deploy", "sqitch deploy, same plan, empty database", theirs_med * 1000, "ms",
                    details={"runs": rounds, "min_ms": round(min(theirs) * 1000, 1)}),
        Measurement("deploy", "speed-up (sqitch time / lokdarpan-db time)", ratio, "x",
                    target=">= 5x", met=ratio >= 5,
                    note="median of alternating runs; both as CLI processes on the same server"),
        Measurement("deploy", "lokdarpan_db library Engine.deploy(), same plan, in process",
                    lib_med * 1000, "ms", details={"runs": rounds}),
        Measurement("deploy", "speed-up (sqitch time / library time)", theirs_med / lib_med, "x",
                    target=">= 5x", met=theirs_med / lib_med >= 5,
                    note="no interpreter start-up: what a CI job or app embedding the library pays"),
    ]
