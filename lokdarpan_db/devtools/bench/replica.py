"""The `replica` section of `make bench` (issue 24): the read paths on a hot standby next to its
primary, and the replication lag while the primary loads the electoral bench's data, in one run.

A throwaway primary (the bench's settings) gets the whole plan, the 150 wards, Telangana's
constituencies and the search bench's synthetic posts; `make_standby()` makes a loopback hot
standby of it with `pg_basebackup -R -C -S` (also what tests/replica/conftest.py uses). Then:

1. search_posts() and the ward dashboard reads, each call made on the primary and on the standby
   in turn (the partitions section's side-by-side runner), p95 standby / primary: target <= 1.10.
2. SYNTHETIC Form 20 files (the electoral bench's generator) are imported on the primary while a
   sampler reads the standby's lag every 0.2 s (bytes received but not replayed, seconds since
   the last replayed commit when behind) and the primary's view of it (pg_stat_replication:
   bytes not yet replayed, replay_lag). Reported: the peak and the p95 of the samples.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from ...connect import OPERATOR_OPTIONS
from ...errors import ClusterError
from ...importers.electoral.load_constituencies import import_constituencies
from ...importers.wards import import_wards
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ...server.cluster import LocalCluster, free_port, throwaway
from . import electoral, electoral_data, partitions, search
from .deploy import ROOT
from .report import Measurement

SECTION = "replica"
MAX_SLOWDOWN = 1.10
DB = "lokdarpan"
SLOT = "lokdarpan_bench_standby"
SETTINGS = {
    "shared_buffers": "'512MB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'256MB'",
    "max_wal_size": "'4GB'",
    "effective_cache_size": "'4GB'",
    "random_page_cost": "1.1",
}


def make_standby(primary: LocalCluster, root: Path, slot: str) -> LocalCluster:
    """A hot standby of `primary` in `root`/pg, started; `slot` is created on the primary.
    Replication authenticates as every connection of the embedded cluster does: scram-sha-256 as
    `postgres`, the password read from the primary's pgpass file, which `primary_conninfo` names
    with `passfile=` (pg_basebackup -R copies the connection's parameters into it)."""
    os.chmod(root, 0o755)  # the postgres OS user must reach the socket directory
    standby = LocalCluster(root / "pg", database="postgres")
    standby.root.mkdir()
    standby.sockdir.mkdir()
    for p in (standby.root, standby.sockdir):
        standby._chown(p)
        os.chmod(p, 0o700)
    # Same catalog, same password: the standby's own URLs read it from its own copies.
    shutil.copy(primary.password_file, standby.password_file)
    os.chmod(standby.password_file, 0o600)
    standby._write_private(standby.pgpass_file, primary.pgpass_file.read_text(), server_owned=True)
    conninfo = (
        f"host={primary.sockdir} port={primary.port} user=postgres "
        f"passfile={primary.pgpass_file} application_name={slot}"
    )
    res = standby._run_as_owner(
        [
            "pg_basebackup",
            "-D",
            str(standby.datadir),
            "-d",
            conninfo,
            "-R",
            "-C",
            "-S",
            slot,
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ]
    )
    if res.returncode != 0:
        raise ClusterError(f"pg_basebackup failed: {res.stderr.strip()}")
    conf = standby.datadir / "postgresql.auto.conf"
    keep = [
        ln
        for ln in conf.read_text().splitlines()
        if not ln.startswith(("port = ", "unix_socket_directories = "))
    ]
    conf.write_text(
        "\n".join(
            [
                *keep,
                f"port = {free_port()}",
                f"unix_socket_directories = '{standby.sockdir}'",
                "hot_standby_feedback = on",
            ]
        )
        + "\n"
    )
    standby._write_private(standby.logfile, "", server_owned=True)
    standby.start()
    return standby


def wait_caught_up(primary_url: str, standby_url: str, timeout: float = 120.0) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    with psycopg.connect(primary_url, autocommit=True) as p:
        target = p.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(standby_url, autocommit=True) as s:
        while time.monotonic() < deadline:
            if s.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]:
                return
            time.sleep(0.1)
    raise ClusterError(f"the standby did not replay up to {target} within {timeout}s")


class LagSampler:
    """Samples the standby's and the primary's view of the lag every `every` seconds."""

    def __init__(self, primary_url: str, standby_url: str, every: float = 0.2):
        self.primary_url, self.standby_url, self.every = primary_url, standby_url, every
        self.bytes: list[int] = []
        self.seconds: list[float] = []
        self.primary_bytes: list[int] = []
        self.primary_seconds: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with (
            psycopg.connect(self.standby_url, autocommit=True) as s,
            psycopg.connect(self.primary_url, autocommit=True) as p,
        ):
            while not self._stop.is_set():
                b, sec = s.execute(
                    """select pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint,
                              case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
                                   else extract(epoch from clock_timestamp()
                                                           - pg_last_xact_replay_timestamp())
                              end::float8"""
                ).fetchone()
                self.bytes.append(int(b or 0))
                self.seconds.append(float(sec or 0.0))
                row = p.execute(
                    """select pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
                              coalesce(extract(epoch from replay_lag), 0)::float8
                       from pg_stat_replication where application_name = %s""",
                    (SLOT,),
                ).fetchone()
                if row:
                    self.primary_bytes.append(int(row[0] or 0))
                    self.primary_seconds.append(float(row[1] or 0.0))
                time.sleep(self.every)

    def __enter__(self) -> LagSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _p95(xs: list[float]) -> float:
    if not xs:
        return 0.0
    ys = sorted(xs)
    return ys[min(len(ys) - 1, round(0.95 * (len(ys) - 1)))]


def run(posts: int, quick: bool = False, calls: int = 200, say=print) -> list[Measurement]:
    stations, elections, candidates, segment = (500, 1, 8, 250) if quick else (25_000, 4, 20, 250)
    out: list[Measurement] = []
    with throwaway(prefix="lokdarpan-bench-primary-", settings=SETTINGS) as primary:
        with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
            conn.execute(f"create database {DB}")
        url = make_conninfo(primary.url(DB), options=OPERATOR_OPTIONS)  # no statement timeout
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(
                conn, plan_mod.load(ROOT / "db" / "sqitch.plan"), Committer("bench", "bench@lokdarpan.in")
            ).deploy()
            import_wards(conn)
            import_constituencies(conn)
            search._load(url, conn, posts, 7)
            conn.execute("vacuum analyze")
            conn.execute("checkpoint")
            wards = [r[0] for r in conn.execute("select ward_id from ward order by ward_no").fetchall()]
        root = Path(tempfile.mkdtemp(prefix="lokdarpan-bench-standby-"))
        standby: LocalCluster | None = None
        try:
            standby = make_standby(primary, root, SLOT)
            standby_url = make_conninfo(standby.url(DB), options=OPERATOR_OPTIONS)
            wait_caught_up(url, standby_url)
            say(f"  standby up; {calls} calls per read, primary and standby in turn …")
            cases = partitions._cases(wards, calls)
            with (
                psycopg.connect(url, autocommit=True) as a,
                psycopg.connect(standby_url, autocommit=True) as b,
            ):
                results = partitions._side_by_side(a, b, cases)
            for name, _sql, args in cases:
                sp, ss = results[name]
                ratio = ss["p95_ms"] / sp["p95_ms"] if sp["p95_ms"] else float("inf")
                out.append(
                    Measurement(
                        SECTION,
                        f"{name}: p95 standby / primary",
                        round(ratio, 2),
                        "x",
                        f"<= {MAX_SLOWDOWN:.2f}",
                        ratio <= MAX_SLOWDOWN,
                        note=f"p95 {sp['p95_ms']} ms primary, {ss['p95_ms']} ms standby; "
                        f"p50 {sp['p50_ms']} -> {ss['p50_ms']} ms",
                        details={"calls": float(len(args))},
                    )
                )
            with psycopg.connect(url, autocommit=True) as conn:
                segments = electoral_data.plan_segments(conn, stations, segment, 7)
            with tempfile.TemporaryDirectory(prefix="lokdarpan-bench-SYNTHETIC-") as tmp:
                data = electoral_data.write_form20(Path(tmp), segments, elections, candidates, 7)
                say(
                    f"  loading {data.result_rows:,} SYNTHETIC result_ps rows on the primary, "
                    "sampling the lag …"
                )
                with LagSampler(url, standby_url) as lag:
                    load = electoral._load(url, data, lambda _m: None)
                    wait_caught_up(url, standby_url)
            note = (
                f"{load.rows:,} result_ps rows in {load.seconds:.0f} s; {len(lag.bytes)} samples every 0.2 s"
            )
            out += [
                Measurement(
                    SECTION,
                    "replication lag during the electoral load, standby's view: peak bytes",
                    float(max(lag.bytes, default=0)),
                    "B",
                    note=note,
                    details={"p95_bytes": _p95([float(x) for x in lag.bytes])},
                ),
                Measurement(
                    SECTION,
                    "replication lag during the electoral load, standby's view: peak seconds",
                    round(max(lag.seconds, default=0.0), 2),
                    "s",
                    details={"p95_s": round(_p95(lag.seconds), 2)},
                ),
                Measurement(
                    SECTION,
                    "replication lag during the electoral load, primary's view: peak replay_lag",
                    round(max(lag.primary_seconds, default=0.0), 2),
                    "s",
                    details={
                        "p95_s": round(_p95(lag.primary_seconds), 2),
                        "peak_bytes": float(max(lag.primary_bytes, default=0)),
                    },
                ),
            ]
        finally:
            if standby is not None:
                standby.destroy()
            shutil.rmtree(root, ignore_errors=True)
    return out
