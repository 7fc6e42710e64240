"""The analytics section of `make bench`: the search bench's synthetic posts (same generator, same
150 wards, 90 days), then

- p50/p95 and CPU per call (server backend and client) of one ward's summary row, its 90-day trend,
  and get_ward_competitive_analysis(ward, 30/7), taking turns in slices, with the trend's same-run
  anchor: its definition before ward_day_rollup_folded.authors (ANCHOR_TREND_VIEW);
- freshness: with 4 writers inserting posts continuously, commit -> counted in the ward's summary
  and today's trend row; and the writers' throughput with and without the maintaining triggers
  (alternating slices of the same length, and the writers' server CPU per post beside it);
- the full rebuild (refresh_ward_analytics()) against REFRESH ... CONCURRENTLY of the seed's own
  materialized views on the same data (daily_ward_trends given the unique index it lacks);
- watch: commit -> event printed, p95, under the same writers.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import psycopg

from ...analytics.watch import WardWatcher
from ...importers.wards import import_wards
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ..scratch import create_database, drop_database
from . import proc_cpu, search
from .deploy import ROOT
from .report import Measurement

SECTION = "analytics"
READ_TARGET_MS = 5.0
ANALYSIS_TARGET_MS = 10.0
FRESH_TARGET_MS = 1000.0
WATCH_TARGET_MS = 100.0
MARKER_WARD = "GHMC-150"  # only the probes write here, so its counts are theirs to predict
TRIGGERS = ("post_rollup_insert", "post_rollup_update", "post_rollup_delete", "post_rollup_truncate",
            "post_notify_ward")

SEED_VIEWS = """
create materialized view seed_ward_analytics_summary as
with post_stats as (
    select city as ward_name, count(*) as total_posts, count(distinct author_id) as unique_authors,
        count(distinct party) filter (where party is not null) as active_parties,
        count(*) filter (where created_at >= now() - interval '7 days') as posts_last_7d,
        count(*) filter (where created_at >= now() - interval '30 days') as posts_last_30d,
        max(created_at) as latest_post_date,
        round(avg(case when emotion = 'positive' then 1 else 0 end) * 100, 2) as positive_pct,
        round(avg(case when emotion = 'negative' then 1 else 0 end) * 100, 2) as negative_pct,
        round(avg(case when emotion = 'neutral' then 1 else 0 end) * 100, 2) as neutral_pct,
        mode() within group (order by party) filter (where party is not null) as dominant_party,
        count(*) filter (where party = 'BJP') as bjp_mentions,
        count(*) filter (where party = 'INC') as inc_mentions,
        count(*) filter (where party = 'BRS') as brs_mentions,
        count(*) filter (where party = 'AIMIM') as aimim_mentions
    from post where city is not null group by city
), ward_metadata as (
    select ward_id, electors, votes_cast, turnout_pct, last_winner_party, last_winner_year from ward_profile
)
select p.*, w.electors, w.votes_cast, w.turnout_pct, w.last_winner_party, w.last_winner_year,
    round(p.posts_last_7d::numeric / nullif(p.posts_last_30d, 0) * 100, 2) as activity_trend_pct,
    case when p.posts_last_7d > p.posts_last_30d * 0.5 then 'high_activity'
        when p.posts_last_7d > p.posts_last_30d * 0.2 then 'moderate_activity' else 'low_activity' end
        as activity_level,
    now() as last_updated
from post_stats p left join ward_metadata w on trim(lower(p.ward_name)) = trim(lower(w.ward_id))
where p.total_posts > 5 order by p.total_posts desc;
create unique index ix_seed_ward_summary_ward_name on seed_ward_analytics_summary (ward_name);
create materialized view seed_daily_ward_trends as
select date(created_at) as trend_date, city as ward_name, count(*) as daily_posts,
    count(distinct author_id) as daily_authors,
    sum(case when emotion = 'positive' then 1 else 0 end) as positive_posts,
    sum(case when emotion = 'negative' then 1 else 0 end) as negative_posts,
    sum(case when emotion = 'neutral' then 1 else 0 end) as neutral_posts,
    sum(case when party = 'BJP' then 1 else 0 end) as bjp_mentions,
    sum(case when party = 'INC' then 1 else 0 end) as inc_mentions,
    sum(case when party = 'BRS' then 1 else 0 end) as brs_mentions,
    sum(case when party = 'AIMIM' then 1 else 0 end) as aimim_mentions,
    avg(count(*)) over (partition by city order by date(created_at) rows between 6 preceding and current row)
        as posts_7d_avg,
    max(created_at) as latest_post_time
from post where created_at >= now() - interval '90 days' and city is not null
group by date(created_at), city order by trend_date desc, ward_name;
create index ix_seed_daily_trends_date_ward on seed_daily_ward_trends (trend_date desc, ward_name);
-- Not in the seed: without it REFRESH ... CONCURRENTLY refuses this view.
create unique index ux_seed_daily_trends on seed_daily_ward_trends (ward_name, trend_date);
"""

# The anchor of the 90-day trend, measured in the same run on the same data: daily_ward_trends as it
# stood before the fold kept ward_day_rollup_folded.authors (each day's authors counted from
# ward_day_author_folded by one index-only count per day, corrected by that day's pending rows).
ANCHOR_TREND_VIEW = """
create temporary view anchor_daily_ward_trends as
with today as (
    select public.ward_post_day(public.lokdarpan_now()) as day
),

dense as (
    select
        w.ward_id,
        w.name as ward_name,
        d.day::date as trend_date,
        coalesce(r.posts, 0) as daily_posts,
        coalesce(r.positive, 0) as positive_posts,
        coalesce(r.negative, 0) as negative_posts,
        coalesce(r.neutral, 0) as neutral_posts,
        coalesce(r.bjp, 0) as bjp_mentions,
        coalesce(r.inc, 0) as inc_mentions,
        coalesce(r.brs, 0) as brs_mentions,
        coalesce(r.aimim, 0) as aimim_mentions,
        r.posts is not null as has_posts
    from public.ward as w
    cross join today
    cross join lateral generate_series(today.day - 95, today.day, interval '1 day') as d (day)
    left join public.ward_day_rollup as r on w.ward_id = r.ward_id and d.day::date = r.day
),

windowed as (
    select
        dense.*,
        round(avg(dense.daily_posts) over (
            partition by dense.ward_id order by dense.trend_date rows between 6 preceding and current row
        ), 2) as posts_7d_avg
    from dense
)

select
    x.trend_date,
    x.ward_id,
    x.ward_name,
    x.daily_posts,
    -- ward_day_author (folded + pending), counted the cheap way: the folded authors by an
    -- index-only count, then the authors the day's pending rows (usually none) add or remove.
    case when x.has_posts then (
            select count(*) from public.ward_day_author_folded as a
            where a.ward_id = x.ward_id and a.day = x.trend_date
        ) + (
            select
                count(*) filter (where coalesce(f.posts, 0) <= 0 and coalesce(f.posts, 0) + d.net > 0)
                - count(*) filter (where f.posts > 0 and f.posts + d.net <= 0)
            from (
                select
                    q.author_id,
                    sum(q.posts) as net
                from public.ward_post_pending as q
                where q.ward_id = x.ward_id and q.day = x.trend_date and q.author_id is not null
                group by q.author_id
            ) as d
            left join public.ward_day_author_folded as f
                on f.ward_id = x.ward_id and f.day = x.trend_date and d.author_id = f.author_id
        ) else 0
    end as daily_authors,
    x.positive_posts,
    x.negative_posts,
    x.neutral_posts,
    x.bjp_mentions,
    x.inc_mentions,
    x.brs_mentions,
    x.aimim_mentions,
    x.posts_7d_avg,
    case when x.has_posts then (
            select max(p.created_at) from public.post as p
            where
                p.ward_id = x.ward_id
                and p.created_at >= (x.trend_date::timestamp at time zone 'Asia/Kolkata')
                and p.created_at < ((x.trend_date + 1)::timestamp at time zone 'Asia/Kolkata')
        )
    end as latest_post_time
from windowed as x
where x.trend_date > (select today.day - 90 from today);
"""


def run(admin_url: str, posts: int, quick: bool = False) -> list[Measurement]:
    url = create_database(admin_url, "bench", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(conn, plan_mod.load(ROOT / "db" / "sqitch.plan"),
                   Committer("bench", "bench@lokdarpan.in")).deploy()
            import_wards(conn)
            out = [search._load(url, conn, posts, 7)]
            conn.execute("vacuum analyze")
            wards = [r[0] for r in conn.execute("select ward_id from ward order by ward_no").fetchall()]
            # Readers add what writers appended and no fold has taken yet: say how much that was.
            pending = conn.execute("select count(*) from ward_post_pending").fetchone()[0]  # type: ignore[index]
            out += _reads(conn, wards, calls=60 if quick else 400, pending=pending)
            out += _rebuilds(conn, posts)
        out += _writers(url, wards, seconds=3.0 if quick else 15.0, rounds=1 if quick else 3)
        return out
    finally:
        drop_database(admin_url, url)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100.0 * (len(ordered) - 1)))], 2)


def _timed(conn: psycopg.Connection, sql: str, args: list[tuple]) -> tuple[list[float], float | None, float]:
    """Wall milliseconds per call, and the CPU seconds the server backend (None where /proc is
    unreadable) and this process used for all the calls."""
    times = []
    pid = conn.execute("select pg_backend_pid()").fetchone()[0]  # type: ignore[index]
    with conn.cursor() as cur:
        cur.execute(sql, args[0])  # plan once before timing, as an application's pool would have
        cur.fetchall()
        server0, client0 = proc_cpu.process_cpu(pid), time.process_time()
        for a in args:
            start = time.perf_counter()
            cur.execute(sql, a)
            cur.fetchall()
            times.append((time.perf_counter() - start) * 1000.0)
        server1, client1 = proc_cpu.process_cpu(pid), time.process_time()
    server = server1 - server0 if server0 is not None and server1 is not None else None
    return times, server, client1 - client0


def _reads(conn: psycopg.Connection, wards: list[str], calls: int, pending: int = 0,
           slices: int = 4) -> list[Measurement]:
    """p50/p95 and CPU milliseconds per call (server backend + this client) of each read, the
    cases taking turns in `slices` slices, so that a neighbour's burst on a shared machine hits
    each of them, the same-run anchor of the trend included."""
    rnd = random.Random(7)
    picks = [(rnd.choice(wards),) for _ in range(calls)]
    conn.execute(ANCHOR_TREND_VIEW)
    cases = [
        ("one ward's summary row", "select * from ward_analytics_summary where ward_id = %s", READ_TARGET_MS),
        ("one ward's 90-day trend", "select * from daily_ward_trends where ward_id = %s order by trend_date",
         READ_TARGET_MS),
        ("anchor, same run: the 90-day trend before ward_day_rollup_folded.authors (a count per day)",
         "select * from pg_temp.anchor_daily_ward_trends where ward_id = %s order by trend_date", None),
        ("get_ward_competitive_analysis(ward, 30)", "select * from get_ward_competitive_analysis(%s, 30)",
         ANALYSIS_TARGET_MS),
        ("get_ward_competitive_analysis(ward, 7)", "select * from get_ward_competitive_analysis(%s, 7)",
         ANALYSIS_TARGET_MS),
    ]
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    server: dict[str, float | None] = {name: 0.0 for name, _, _ in cases}
    client: dict[str, float] = {name: 0.0 for name, _, _ in cases}
    for k in range(slices):
        for name, sql, _ in cases:
            t, srv, cli = _timed(conn, sql, picks[k::slices])
            times[name] += t
            prev = server[name]
            server[name] = None if srv is None or prev is None else prev + srv
            client[name] += cli
    conn.execute("drop view pg_temp.anchor_daily_ward_trends")
    out = []
    for name, _, target in cases:
        p95 = _pct(times[name], 95)
        n = len(times[name])
        details: dict[str, float | str] = {"p50_ms": _pct(times[name], 50), "calls": float(n),
                                           "pending_rows": float(pending),
                                           "client_cpu_ms_per_call": round(client[name] * 1000.0 / n, 3)}
        srv_total = server[name]
        if srv_total is not None:
            details["server_cpu_ms_per_call"] = round(srv_total * 1000.0 / n, 3)
        out.append(Measurement(SECTION, f"{name}, p95", p95, "ms", f"<= {target:g} ms" if target else None,
                               None if target is None else p95 <= target, details=details))
    return out


def _rebuilds(conn: psycopg.Connection, posts: int) -> list[Measurement]:
    start = time.perf_counter()
    corrected = sum(r[0] for r in conn.execute("select corrected from refresh_ward_analytics()").fetchall())
    ours = time.perf_counter() - start
    conn.execute(SEED_VIEWS)
    start = time.perf_counter()
    conn.execute("refresh materialized view concurrently seed_ward_analytics_summary")
    conn.execute("refresh materialized view concurrently seed_daily_ward_trends")
    seed = time.perf_counter() - start
    conn.execute("drop materialized view seed_daily_ward_trends, seed_ward_analytics_summary")
    return [
        Measurement(SECTION, f"full rebuild refresh_ward_analytics(), {posts:,} posts", round(ours, 2), "s",
                    details={"corrected_rows": float(corrected)}),
        Measurement(SECTION, "REFRESH ... CONCURRENTLY of the seed's two views, same data",
                    round(seed, 2), "s",
                    note="daily_ward_trends given a unique index it lacks in the seed",
                    details={"rebuild_to_seed_ratio": round(ours / seed, 2)}),
    ]


def _set_triggers(url: str, enabled: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for t in TRIGGERS:
            conn.execute(f"alter table post {'enable' if enabled else 'disable'} trigger {t}")


def _write_load(url: str, wards: list[str], seconds: float, batch: int,
                probe: Callable[[], None] | None = None,
                cpu: list[float] | None = None) -> float:
    """4 writers inserting `batch` posts per transaction for `seconds`; posts committed per second.
    `probe` runs on this thread meanwhile, repeatedly. When `cpu` is given, the writers' backends'
    CPU seconds and their posts are appended to it (two numbers; nothing when /proc is unreadable)."""
    stop = threading.Event()
    counts = [0] * 4
    used = [0.0] * 4
    readable = [True] * 4
    others = [w for w in wards if w != MARKER_WARD]

    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            write(i)
        except BaseException as exc:  # re-raised on the caller's thread
            errors.append(exc)
            stop.set()

    def write(i: int) -> None:
        rnd = random.Random(i)
        with psycopg.connect(url) as c:
            pid = c.execute("select pg_backend_pid()").fetchone()[0]  # type: ignore[index]
            c.commit()
            first = proc_cpu.process_cpu(pid)
            while not stop.is_set():
                ward = rnd.choice(others)
                with c.cursor() as cur:
                    cur.execute(
                        "insert into post (text, ward_id, city, emotion, party, author_id) "
                        "select 'bench write ' || g, %s, null, "
                        "(array['positive','negative','neutral'])[1 + mod(g, 3)], "
                        "(array['BJP','INC','BRS',null])[1 + mod(g, 4)], (select min(id) from author) "
                        "from generate_series(1, %s) as g", (ward, batch))
                c.commit()
                counts[i] += batch
            last = proc_cpu.process_cpu(pid)
            if first is None or last is None:
                readable[i] = False
            else:
                used[i] = last - first

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    deadline = start + seconds
    while time.perf_counter() < deadline and not stop.is_set():
        if probe:
            probe()
        else:
            time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    if cpu is not None and all(readable):
        cpu += [sum(used), float(sum(counts))]
    return sum(counts) / (time.perf_counter() - start)


def _writers(url: str, wards: list[str], seconds: float, rounds: int = 3) -> list[Measurement]:
    out = []
    fresh: list[float] = []
    watch_lat: list[float] = []
    commits: dict[int, float] = {}
    with psycopg.connect(url, autocommit=True) as reader, psycopg.connect(url) as marker:
        def probe_fresh() -> None:
            before = reader.execute("select total_posts from ward_analytics_summary where ward_id = %s",
                                    (MARKER_WARD,)).fetchone()[0]
            marker.execute("insert into post (text, ward_id) values ('freshness probe', %s)", (MARKER_WARD,))
            t0 = time.perf_counter()
            marker.commit()
            while True:
                total = reader.execute("select total_posts from ward_analytics_summary where ward_id = %s",
                                       (MARKER_WARD,)).fetchone()[0]
                today = reader.execute("select daily_posts from daily_ward_trends where ward_id = %s "
                                       "order by trend_date desc limit 1", (MARKER_WARD,)).fetchone()[0]
                if total == before + 1 and today >= 1:
                    fresh.append((time.perf_counter() - t0) * 1000.0)
                    break
            time.sleep(0.05)

        _write_load(url, wards, seconds, 1, probe_fresh)
    out.append(Measurement(SECTION, "freshness under 4 writers: commit -> in summary and today's trend, p95",
                           _pct(fresh, 95), "ms", f"<= {FRESH_TARGET_MS:g} ms",
                           _pct(fresh, 95) <= FRESH_TARGET_MS,
                           note="kept in the writing transaction: visible at commit, no refresh",
                           details={"p50_ms": _pct(fresh, 50), "samples": float(len(fresh))}))

    # Throughput with and without the triggers, single-post and 50-post transactions: the same
    # `seconds` each, in `rounds` alternating slices (on a shared machine a neighbour's burst then
    # hits both sides), and the writers' server CPU per post, which other load barely moves.
    for batch in (1, 50):
        on: list[float] = []
        off: list[float] = []
        cpu_on: list[float] = []
        cpu_off: list[float] = []
        for _ in range(rounds):
            on.append(_write_load(url, wards, seconds / rounds, batch, cpu=cpu_on))
            _set_triggers(url, False)
            try:
                off.append(_write_load(url, wards, seconds / rounds, batch, cpu=cpu_off))
            finally:
                _set_triggers(url, True)
        cost = 1 - sum(on) / sum(off)
        details: dict[str, float | str] = {
            "posts_per_s_with": round(sum(on) / rounds), "posts_per_s_without": round(sum(off) / rounds),
            "writers": 4.0, "rounds": float(rounds),
            "round_costs_pct": " / ".join(f"{100 * (1 - a / b):.0f}" for a, b in zip(on, off, strict=True))}
        if cpu_on and cpu_off:
            with_us = sum(cpu_on[0::2]) / sum(cpu_on[1::2]) * 1e6
            without_us = sum(cpu_off[0::2]) / sum(cpu_off[1::2]) * 1e6
            details |= {"server_cpu_us_per_post_with": round(with_us),
                        "server_cpu_us_per_post_without": round(without_us)}
        out.append(Measurement(
            SECTION, f"writer throughput cost of the rollups + notify, {batch}-post transactions",
            round(cost * 100, 1), "%", "<= 25 %", cost <= 0.25, details=details))

    # watch: commit -> event yielded (what the CLI prints), under the same writers.
    watcher = WardWatcher(url, [MARKER_WARD], wake_every=0.2)
    watcher.open()
    got: dict[int, float] = {}
    thread = threading.Thread(target=lambda: [got.__setitem__(e.id, time.perf_counter())
                                              for e in watcher.events()], daemon=True)
    thread.start()
    with psycopg.connect(url) as marker:
        def probe_watch() -> None:
            pid = marker.execute("insert into post (text, ward_id) values ('watch probe', %s) returning id",
                                 (MARKER_WARD,)).fetchone()[0]
            commits[pid] = time.perf_counter()
            marker.commit()
            deadline = time.perf_counter() + 2
            while pid not in got and time.perf_counter() < deadline:
                time.sleep(0.001)
            time.sleep(0.05)

        _write_load(url, wards, seconds, 1, probe_watch)
    watcher.stop()
    thread.join(timeout=5)
    watcher.close()
    watch_lat = [(got[i] - t) * 1000.0 for i, t in commits.items() if i in got]
    missed = len(commits) - len(watch_lat)
    p95 = _pct(watch_lat, 95) if watch_lat else float("inf")
    out.append(Measurement(SECTION, "watch: commit -> event printed, p95, under 4 writers", p95, "ms",
                           f"<= {WATCH_TARGET_MS:g} ms", p95 <= WATCH_TARGET_MS and missed == 0,
                           details={"p50_ms": _pct(watch_lat, 50) if watch_lat else 0.0,
                                    "samples": float(len(commits)), "missed": float(missed)}))
    return out
