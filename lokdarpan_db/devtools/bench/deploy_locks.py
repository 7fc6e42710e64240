"""Writers' longest wait while a metadata-only change (`alter table t add column z int`) is
deployed behind a report transaction that read the table and stays open (issue 26).

The same run measures the deploy as it was (`--ddl-lock-timeout 0`: the ALTER queues for its
ACCESS EXCLUSIVE lock behind the report, and every insert queues behind the ALTER) and with lock
waits that give up and retry (the default cap, and a 0.4 s cap). A writer inserts every 20 ms
throughout; the figure is its longest single insert.
"""

from __future__ import annotations

import tempfile
import textwrap
import threading
import time
from pathlib import Path

import psycopg

from ...migrate import plan as plan_mod
from ...migrate.engine import DEFAULT_DDL_LOCK_TIMEOUT, Engine
from ...migrate.registry import Committer
from ..scratch import create_database, drop_database
from .report import Measurement

WHO = Committer("bench", "bench@lokdarpan.in")
TARGET = 0.5


def _project(root: Path) -> Path:
    scripts = {
        "t": ("create table t (id bigserial primary key, v int);", "drop table t;"),
        "z": ("alter table t add column z int;", "alter table t drop column z;"),
    }
    lines = ["%syntax-version=1.0.0", "%project=benchlocks", ""]
    for minute, (name, (deploy, revert)) in enumerate(scripts.items()):
        for kind, sql in (("deploy", deploy), ("revert", revert), ("verify", "select 1;")):
            (root / kind).mkdir(parents=True, exist_ok=True)
            (root / kind / f"{name}.sql").write_text(sql + "\n")
        lines.append(f"{name} 2026-01-01T00:{minute:02d}:00Z bench <bench@lokdarpan.in> # {name}")
    plan = root / "sqitch.plan"
    plan.write_text(textwrap.dedent("\n".join(lines)) + "\n")
    return plan


def _one(admin_url: str, plan_path: Path, reader_seconds: float,
         ddl_lock_timeout: float) -> tuple[float, float, int]:
    """Writers' longest wait (s), the deploy's wall time (s), and its lock-wait retries."""
    url = create_database(admin_url, "bench_locks", operator=True)
    try:
        plan = plan_mod.load(plan_path)
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(conn, plan, WHO).deploy(to="t")
        longest = [0.0]
        stop = threading.Event()

        def write() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                while not stop.is_set():
                    started = time.monotonic()
                    conn.execute("insert into t (v) values (1)")
                    longest[0] = max(longest[0], time.monotonic() - started)
                    time.sleep(0.02)

        notes: list[str] = []
        took = [0.0]
        failed: list[BaseException] = []

        def deploy() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                started = time.monotonic()
                try:
                    Engine(conn, plan, WHO, notify=notes.append, ddl_lock_timeout=ddl_lock_timeout,
                           retry_for=reader_seconds * 6).deploy()
                except BaseException as exc:  # reported after the threads are joined
                    failed.append(exc)
                took[0] = time.monotonic() - started

        writer = threading.Thread(target=write, daemon=True)
        with psycopg.connect(url) as reader:
            reader.execute("select count(*) from t")  # the report: ACCESS SHARE on t until it ends
            writer.start()
            time.sleep(0.3)
            deployer = threading.Thread(target=deploy, daemon=True)
            deployer.start()
            time.sleep(reader_seconds)
            reader.rollback()
        deployer.join()
        time.sleep(0.3)
        stop.set()
        writer.join()
        if failed:
            raise RuntimeError(f"the deploy failed: {failed[0]}")
        return longest[0], took[0], sum(n.startswith("lock wait:") for n in notes)
    finally:
        drop_database(admin_url, url)


def run(admin_url: str, quick: bool = False) -> list[Measurement]:
    reader_seconds = 2.0 if quick else 10.0
    out: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="bench-locks-") as tmp:
        plan_path = _project(Path(tmp))
        for label, cap in (("before: --ddl-lock-timeout 0 (wait forever)", 0.0),
                           (f"after: default --ddl-lock-timeout {DEFAULT_DDL_LOCK_TIMEOUT:g}",
                            DEFAULT_DDL_LOCK_TIMEOUT),
                           ("after: --ddl-lock-timeout 0.4", 0.4)):
            longest, took, retries = _one(admin_url, plan_path, reader_seconds, cap)
            target = cap == 0.4
            out.append(Measurement(
                "locks", f"writers' longest wait, add column behind a {reader_seconds:g} s reader, {label}",
                longest, "s", target=f"<= {TARGET:g} s" if target else None,
                met=(longest <= TARGET) if target else None,
                details={"deploy_s": round(took, 1), "retries": retries}))
    return out
