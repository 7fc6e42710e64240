"""The `online` section of `make bench` (issue 26): writers' longest wait while `post` moves to
monthly partitions, in place (the `maintenance/partitions` change: ACCESS EXCLUSIVE on post for the
whole copy) and with the online pattern (db/deploy/maintenance/online_migration.sql: the new table
beside the old one, a sync trigger, a batched backfill, a short swap under lock_timeout), in one run.

Database A: the plan up to the change before maintenance/partitions (post is one plain table), the
150 wards and the search bench's synthetic posts. B and C are copies of A (CREATE DATABASE …
TEMPLATE). On B the in-place change is deployed; on C the online helpers' scripts are applied by
hand (the plan has them only after maintenance/partitions) and post moves to a partitioned
`post__online` made with pg_partman's create_parent, indexes made on it while it is empty. In both,
writers insert a post every 20 ms throughout; the figure is the longest single insert.

`Writers` and `migrate_online()` are also what tests/maintenance/test_online_migration.py drives.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ...importers.wards import import_wards
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ..scratch import create_database, drop_database
from . import search
from .deploy import ROOT
from .report import Measurement

SECTION = "online"
TARGET = 0.5
CHANGE = "maintenance/partitions"
# The helpers' changes, in plan order: the schema change and every code change of its family.
HELPER_CHANGES = ("maintenance/online_migration", "code/maintenance/online_migration/")


def _helper_scripts() -> list[Path]:
    plan = plan_mod.load(ROOT / "db" / "sqitch.plan")
    names = [c.name for c in plan.changes
             if c.name == HELPER_CHANGES[0] or c.name.startswith(HELPER_CHANGES[1])]
    return [ROOT / "db" / "deploy" / f"{name}.sql" for name in names]


WHO = Committer("bench", "bench@lokdarpan.in")


@dataclass
class Writers:
    """`n` sessions each running `sql` (which returns one id) every `every` seconds until stopped;
    the longest single statement, and every id written."""

    url: str
    sql: str
    n: int = 2
    every: float = 0.02
    longest: float = 0.0
    ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _write(self, k: int) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                i = 0
                while not self._stop.is_set():
                    i += 1
                    started = time.monotonic()
                    row = conn.execute(self.sql, {"k": k, "i": i}).fetchone()
                    took = time.monotonic() - started
                    with self._lock:
                        self.longest = max(self.longest, took)
                        if row is not None:
                            self.ids.append(int(row[0]))
                    time.sleep(self.every)
        except Exception as exc:  # reported: callers assert there were none
            with self._lock:
                self.errors.append(f"writer {k}: {type(exc).__name__}: {exc}")

    def __enter__(self) -> Writers:
        self._threads = [threading.Thread(target=self._write, args=(k,), daemon=True) for k in range(self.n)]
        for t in self._threads:
            t.start()
        time.sleep(0.2)
        return self

    def __exit__(self, *_exc: object) -> None:
        time.sleep(0.2)
        self._stop.set()
        for t in self._threads:
            t.join()


def _retry_locked(conn: psycopg.Connection, sql: str, params: tuple, attempts: int = 50) -> object:
    """Run `sql` waiting at most 200 ms for its locks, retrying with backoff."""
    for attempt in range(1, attempts + 1):
        try:
            with conn.transaction():
                conn.execute("set local lock_timeout = '200ms'")
                row = conn.execute(sql, params).fetchone()
            return row[0] if row else None
        except psycopg.errors.LockNotAvailable:
            if attempt == attempts:
                raise
            time.sleep(min(2.0, 0.05 * attempt))
    return None


def backfill(conn: psycopg.Connection, source: str, batch: int = 5000, pause_ms: int = 0) -> int:
    """online_migration_backfill() until it copies nothing, each batch its own transaction (`conn`
    is in autocommit), `pause_ms` between batches. Returns the rows read."""
    total = 0
    while True:
        n = conn.execute("select public.online_migration_backfill(%s, %s)", (source, batch)).fetchone()[0]
        total += n
        if n == 0:
            return total
        if pause_ms:
            time.sleep(pause_ms / 1000)


def migrate_online(
    url: str,
    source: str,
    target: str,
    batch: int = 5000,
    pause_ms: int = 0,
    on_step: Callable[[str, float], None] = lambda _s, _t: None,
) -> dict[str, float]:
    """Start, backfill (one transaction per batch), swap and finish an online migration of
    `source` onto the prepared, empty `target`. Returns each step's wall time in seconds."""
    times: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for step, run in (
            (
                "start",
                lambda: _retry_locked(conn, "select public.online_migration_start(%s, %s)", (source, target)),
            ),
            ("backfill", lambda: backfill(conn, source, batch, pause_ms)),
            (
                "swap",
                lambda: conn.execute("select public.online_migration_swap(%s, '200 ms', 100)", (source,)),
            ),
            ("finish", lambda: conn.execute("select public.online_migration_finish(%s)", (source,))),
        ):
            started = time.monotonic()
            run()
            times[step] = time.monotonic() - started
            on_step(step, times[step])
        conn.execute(f"analyze {source}")
    return times


POST_TARGET = """
create table public.post__online (
    like public.post including defaults including constraints including identity including comments
    including storage
) partition by range (created_at);
alter table public.post__online add primary key (id, created_at);
"""

WRITE_POST = (
    "insert into public.post (text, city, party, emotion) values "
    "('writer ' || %(k)s || ' post ' || %(i)s, 'Kapra', 'INC', 'neutral') returning id"
)


def _prepare_online(url: str) -> None:
    """The helpers (applied by hand) and the new layout beside post, its indexes made while empty."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema if not exists partman")
        conn.execute("create extension if not exists pg_partman with schema partman")
        for script in _helper_scripts():
            conn.execute(script.read_text())
        conn.execute(POST_TARGET)
        first = conn.execute(
            "select to_char(date_trunc('month', min(created_at) at time zone 'UTC'), 'YYYY-MM-DD') from post"
        ).fetchone()[0] or time.strftime("%Y-%m-01")
        conn.execute("set timezone = 'UTC'")
        conn.execute(
            "select partman.create_parent(p_parent_table := 'public.post__online', "
            "p_control := 'created_at', p_type := 'native', p_interval := 'monthly', p_premake := 2, "
            "p_start_partition := %s)",
            (f"{first} 00:00:00+00",),
        )
        conn.execute(
            "update partman.part_config set infinite_time_partitions = true "
            "where parent_table = 'public.post__online'"
        )
        for (definition,) in conn.execute(
            """select replace(replace(pg_get_indexdef(i.indexrelid),
                                      ' ON public.post ', ' ON public.post__online '),
                              'INDEX ' || c.relname || ' ', 'INDEX ' || c.relname || '__online ')
               from pg_index as i join pg_class as c on c.oid = i.indexrelid
               where i.indrelid = 'public.post'::regclass and not i.indisprimary"""
        ).fetchall():
            conn.execute(definition)
        conn.execute("reset search_path")


def _in_place(url: str, plan: plan_mod.Plan) -> tuple[float, float]:
    with Writers(url, WRITE_POST) as w, psycopg.connect(url, autocommit=True) as conn:
        started = time.monotonic()
        Engine(conn, plan, WHO).deploy(to=CHANGE)
        took = time.monotonic() - started
    if w.errors:
        raise RuntimeError(w.errors[0])
    return w.longest, took


def _online(url: str, batch: int) -> tuple[float, dict[str, float], int]:
    _prepare_online(url)
    with Writers(url, WRITE_POST) as w:
        times = migrate_online(url, "public.post", "public.post__online", batch=batch)
    if w.errors:
        raise RuntimeError(w.errors[0])
    with psycopg.connect(url) as conn:
        kind = conn.execute(
            "select relkind::text from pg_class where oid = 'public.post'::regclass"
        ).fetchone()[0]
        missing = conn.execute(
            "select count(*) from unnest(%s::int[]) as i where not exists "
            "(select from public.post as p where p.id = i)",
            (w.ids,),
        ).fetchone()[0]
    if kind != "p" or missing:
        raise RuntimeError(f"online migration: post is {kind!r}, {missing} writer rows missing")
    return w.longest, times, len(w.ids)


def run(admin_url: str, posts: int, quick: bool = False) -> list[Measurement]:
    plan = plan_mod.load(ROOT / "db" / "sqitch.plan")
    change = plan.find(CHANGE)
    assert change is not None and change.index > 0, f"{CHANGE} is not in the plan"
    before = plan.changes[change.index - 1].name
    url_a = create_database(admin_url, "bench_online", operator=True)
    copies: list[str] = []
    try:
        with psycopg.connect(url_a, autocommit=True) as conn:
            Engine(conn, plan, WHO).deploy(to=before)
            import_wards(conn)
            search._load(url_a, conn, posts, 7)
            conn.execute("vacuum analyze")
            conn.execute("checkpoint")
        url_b = create_database(admin_url, "bench_online", operator=True, template=url_a)
        copies.append(url_b)
        url_c = create_database(admin_url, "bench_online", operator=True, template=url_a)
        copies.append(url_c)
        in_place_wait, in_place_s = _in_place(url_b, plan)
        online_wait, times, written = _online(url_c, batch=1000 if quick else 5000)
        return [
            Measurement(
                SECTION,
                f"writers' longest wait, {posts:,} posts to monthly partitions in place "
                "(maintenance/partitions)",
                round(in_place_wait, 3),
                "s",
                note=f"the change took {in_place_s:.1f} s, ACCESS EXCLUSIVE on post throughout",
                details={"migration_s": round(in_place_s, 1)},
            ),
            Measurement(
                SECTION,
                f"writers' longest wait, {posts:,} posts to monthly partitions online (online_migration_*)",
                round(online_wait, 3),
                "s",
                target=f"<= {TARGET:g} s",
                met=online_wait <= TARGET,
                note=(
                    f"start {times['start']:.2f} s, backfill {times['backfill']:.1f} s, swap "
                    f"{times['swap']:.2f} s, finish {times['finish']:.2f} s; {written} writer rows, none lost"
                ),
                details={k + "_s": round(v, 2) for k, v in times.items()},
            ),
        ]
    finally:
        for url in copies:
            drop_database(admin_url, url)
        drop_database(admin_url, url_a)
