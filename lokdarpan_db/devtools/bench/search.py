"""Search benchmark: search_posts() as the archive grows (1M, 3M and, on request, 10M posts).

The database must have the whole plan deployed, the wards imported and no posts. The benchmark
loads synthetic posts spread over 90 days in stages (1M, then 2M more to 3M, then up to `posts`
when that is larger; `posts` alone below 1M, as in --quick), each stage by parallel COPY through the
real triggers and indexes, so the load time is the real write path. After each stage it runs VACUUM
ANALYZE and times search_posts() from a client, as the application calls it, for every term class:

- a common term (each of synthetic_news.COMMON_TERMS is in 15-20 % of posts), all wards;
- a rare term (RARE_TERMS, each in well under 0.5 % of posts), all wards;
- a term found only in old posts (OLD_TERM, added to posts of the oldest days);
- a phrase and a multi-word AND (PHRASES, AND_TERMS);
- a common term within one ward, and a rare term within one ward;
- the anchor: the seed's own query (GIN, ts_rank over every match) for a common term.

The targets are p95 <= 10 ms up to 3M posts and <= 25 ms at 10M. The "scaling" rows give each
class's p50 and p95 at every stage and the growth of p95 from the first stage; a class whose p95
grows faster than the data fails. It also checks that search_posts() returns exactly what ranking
every match returns, for every class, at every stage.
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import psycopg

from ...errors import BadInputError
from ...maintenance.partitions import prepare_backfill
from ..synthetic import news as synthetic_news
from .report import Measurement

SECTION = "search"
DAYS = 90
SCALE_STAGES = (1_000_000, 3_000_000)  # always measured when posts >= 1M; `posts` is the last stage
# A word no synthetic post uses, added to OLD_SHARE of the posts in the OLDEST_DAYS oldest days.
OLD_TERM = "cholera"
OLD_SHARE = 0.0005
OLDEST_DAYS = 10
PHRASES = ('"power supply"', '"street lights"', '"property tax"', '"water supply"')
AND_TERMS = ("metro commuters", "garbage residents", "drainage monsoon", "potholes accidents")
CALLS = 200
WARMUP = 30
BASELINE_CALLS = 10
# The database sets statement_timeout = 30s (roles); a 1M-post COPY takes longer.
NO_TIMEOUT = "-c statement_timeout=0"

SEED_QUERY = """
select id, text, city, party, emotion, created_at,
    ts_rank(search_vector, plainto_tsquery('english', %(term)s)) as relevance
from post
where search_vector @@ plainto_tsquery('english', %(term)s)
order by relevance desc, created_at desc
limit 50
"""

# The same order as search_posts(), computed by ranking every match: the reference for exactness.
REFERENCE_QUERY = """
select array_agg(id order by ord) from (
    select p.id, row_number() over (
        order by case
            when p.search_vector @@ tsquery_restrict_weights(q, 'A') then 1.0
            when p.search_vector @@ tsquery_restrict_weights(q, 'AB') then 0.4
            else 0.2
        end desc, p.created_at desc, p.id desc
    ) as ord
    from post as p, websearch_to_tsquery('english', %(term)s) as q
    where p.search_vector @@ q and (%(ward)s::text is null or p.ward_id = ward_resolve(%(ward)s))
    order by ord
    limit 50
) as r
"""


def stages(posts: int) -> tuple[int, ...]:
    """The archive sizes measured, in load order: 1M and 3M, and `posts` when larger (or alone, below 1M)."""
    if posts < SCALE_STAGES[0]:
        return (posts,)
    return tuple(sorted({*SCALE_STAGES, posts}))


def target_ms(posts: int) -> float:
    """Issue 27: p95 <= 10 ms up to 3M posts, <= 25 ms beyond (10M)."""
    return 10.0 if posts <= 3_000_000 else 25.0


def cases(wards: Sequence[str], seed: int) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every term class, CALLS calls each: (class name, [(term, ward or None)])."""
    rnd = random.Random(seed)
    common, rare = synthetic_news.COMMON_TERMS, synthetic_news.RARE_TERMS

    def cycle(terms: Sequence[str]) -> list[tuple[str, str | None]]:
        return [(terms[i % len(terms)], None) for i in range(CALLS)]

    return [
        ("common term, all wards", cycle(common)),
        ("rare term, all wards", cycle(rare)),
        ("term only in old posts", cycle((OLD_TERM,))),
        ("phrase", cycle(PHRASES)),
        ("multi-word AND", cycle(AND_TERMS)),
        ("common term, one ward", [(common[i % len(common)], rnd.choice(wards)) for i in range(CALLS)]),
        ("rare term, one ward", [(rare[i % len(rare)], rnd.choice(wards)) for i in range(CALLS)]),
    ]


def run(conninfo: str, posts: int = 1_000_000, seed: int = 7) -> list[Measurement]:
    """Load synthetic posts in stages into the empty post table of `conninfo`; time search_posts() at each."""
    with psycopg.connect(conninfo, autocommit=True, options=NO_TIMEOUT) as conn:
        wards = _wards(conn)
        measurements: list[Measurement] = []
        classes = cases(wards, seed)
        seen: dict[str, list[tuple[int, dict[str, float]]]] = {name: [] for name, _ in classes}
        loaded = 0
        for stage, size in enumerate(stages(posts)):
            # each stage adds posts over the same 90 days (another seed), so the archive gets denser
            measurements.append(_load(conninfo, conn, size - loaded, seed + stage, total=size))
            _add_old_posts(conn, size - loaded, seed + stage)
            loaded = size
            conn.execute("vacuum analyze post")
            conn.execute("checkpoint")  # the load's dirty pages written now, not during the timings
            settings = _settings(conn)
            frequencies = _frequencies(conn, [t for _, calls in classes for t, _ in calls])
            for name, calls in classes:
                m = _measure(conn, f"search_posts at {size:,} posts, {name}", calls, target_ms(size),
                             settings, frequencies)
                measurements.append(m)
                seen[name].append((size, {k: float(v) for k, v in m.details.items() if k.endswith("_ms")}))
            measurements.append(_baseline(conn, synthetic_news.COMMON_TERMS, settings, size))
            checks = [(calls[0][0], calls[0][1]) for _, calls in classes]
            checks += [(t, None) for t in (*PHRASES, *AND_TERMS)] + [(synthetic_news.RARE_TERMS[1], wards[0])]
            measurements.append(_exactness(conn, checks, size))
        measurements += _scaling(seen)
    return measurements


def _scaling(seen: dict[str, list[tuple[int, dict[str, float]]]]) -> list[Measurement]:
    """The scaling table: per class, p50 and p95 at every stage and p95's growth from the first stage.

    A class meets its target when its p95 is within target_ms() at every stage and grows no faster
    than the data."""
    out = []
    for name, points in seen.items():
        if len(points) < 2:
            continue
        (first, base), (last, top) = points[0], points[-1]
        growth = top["p95_ms"] / max(base["p95_ms"], 0.001)
        data = last / first
        within = all(d["p95_ms"] <= target_ms(size) for size, d in points)
        out.append(Measurement(
            SECTION,
            f"scaling: {name}, p95 growth {first / 1e6:g}M -> {last / 1e6:g}M posts",
            round(growth, 2),
            "x",
            f"<= {data:g}x, p95 <= target",
            growth <= data and within,
            note="; ".join(f"{n / 1e6:g}M p50 {d['p50_ms']:g} p95 {d['p95_ms']:g} ms" for n, d in points),
            details={f"p95_ms_{size}": d["p95_ms"] for size, d in points}
            | {f"p50_ms_{size}": d["p50_ms"] for size, d in points},
        ))
    return out


def _add_old_posts(conn: psycopg.Connection, posts: int, seed: int) -> None:
    """OLD_TERM in OLD_SHARE of `posts` extra posts, all in the OLDEST_DAYS oldest days of the archive."""
    n = max(3, round(posts * OLD_SHARE))
    conn.execute(
        """
        insert into post (text, city, emotion, created_at)
        select format('Cholera cases reported in %%s after contaminated water, %%s patients in hospital',
                      w.name, 2 + (i * 7919 + %(seed)s) %% 40),
            w.name, 'negative',
            lokdarpan_now() - make_interval(days => %(days)s)
                + make_interval(secs => ((i * 104729 + %(seed)s) %% (%(oldest)s * 86400))::double precision)
        from generate_series(1, %(n)s) as i
        join ward as w on w.ward_no = 1 + (i * 31 + %(seed)s) %% 150
        """,
        {"n": n, "seed": seed, "days": DAYS, "oldest": OLDEST_DAYS},
    )


def _wards(conn: psycopg.Connection) -> list[str]:
    names = [r[0] for r in conn.execute("select ward_id from ward order by ward_no").fetchall()]
    if len(names) != 150:
        raise BadInputError(
            f"the search benchmark needs the 150 GHMC wards, found {len(names)}: "
            "run `lokdarpan-db import wards` first"
        )
    row = conn.execute("select exists (select from post)").fetchone()
    if row and row[0]:
        raise BadInputError(
            "the search benchmark loads its own posts: point it at a database whose post table is empty"
        )
    return names


def _load(
    conninfo: str, conn: psycopg.Connection, posts: int, seed: int, total: int | None = None
) -> Measurement:
    """COPY the posts through every trigger and index, one slice per connection, in parallel."""
    now = conn.execute("select lokdarpan_now()").fetchone()[0]  # type: ignore[index]
    names = synthetic_news.ward_names(conn)
    start = time.perf_counter()
    prepare_backfill(conn, now - timedelta(days=DAYS + 1))  # the months first, as a real back-fill
    with conn.transaction():  # authors and e-papers first, committed, so loaders never wait on them
        synthetic_news.load_posts(conn, 0, DAYS, seed, now=now, names=names)
    workers = max(1, min(4, os.cpu_count() or 2))
    chunks = -(-posts // synthetic_news.CHUNK)
    per = -(-chunks // workers) * synthetic_news.CHUNK
    bounds = [(i * per, min(posts, (i + 1) * per)) for i in range(workers) if i * per < posts]
    errors: list[BaseException] = []

    def load(part: tuple[int, int]) -> None:
        try:
            with psycopg.connect(conninfo, options=NO_TIMEOUT) as c:
                synthetic_news.load_posts(c, posts, DAYS, seed, now=now, names=names, part=part)
        except BaseException as exc:  # reported below, on the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(b,)) for b in bounds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    seconds = time.perf_counter() - start
    loaded = conn.execute("select count(*) from post").fetchone()[0]  # type: ignore[index]
    onto = f" onto {loaded - posts:,}" if total and total != posts else ""
    return Measurement(
        SECTION,
        f"load {posts:,} synthetic posts{onto} (COPY through triggers and indexes)",
        round(seconds, 1),
        "s",
        note=f"{workers} parallel connections",
        details={"rows": float(loaded), "rows_per_s": round(posts / seconds), "days": float(DAYS)},
    )


def _settings(conn: psycopg.Connection) -> dict[str, str]:
    names = ("shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather")
    out: dict[str, str] = {}
    for name in names:
        row = conn.execute("select current_setting(%s)", (name,)).fetchone()
        out[name] = row[0] if row else "?"
    out["server"] = conn.execute("show server_version").fetchone()[0]  # type: ignore[index]
    out["post_size"] = conn.execute(
        "select pg_size_pretty(sum(pg_table_size(relid))) || ' + indexes ' "
        "|| pg_size_pretty(sum(pg_indexes_size(relid))) from pg_partition_tree('post')"
    ).fetchone()[0]  # type: ignore[index]
    return out


def _frequencies(conn: psycopg.Connection, terms: Sequence[str]) -> dict[str, float]:
    """Share of posts each benchmark term matches, in per cent."""
    posts = conn.execute("select count(*) from post").fetchone()[0]  # type: ignore[index]
    out = {}
    for term in dict.fromkeys(terms):
        row = conn.execute(
            "select count(*) from post where search_vector @@ websearch_to_tsquery('english', %s)", (term,)
        ).fetchone()
        out[term] = round(100.0 * row[0] / max(posts, 1), 3)  # type: ignore[index]
    return out


def _timed(
    conn: psycopg.Connection,
    calls: Sequence[tuple[str, str | None]],
    sql: str,
    cpu: list[float] | None = None,
) -> list[float]:
    """Wall time of each call in ms; with `cpu`, also the server process's CPU time of each call
    (when the server runs on this machine), which a busy shared machine disturbs far less."""
    times = []
    stat = Path(f"/proc/{conn.info.backend_pid}/schedstat")
    on_cpu = _on_cpu(stat) if cpu is not None else None
    with conn.cursor() as cur:
        for term, ward in calls:
            start = time.perf_counter()
            cur.execute(sql, {"term": term, "ward": ward})
            cur.fetchall()
            times.append((time.perf_counter() - start) * 1000.0)
            if cpu is not None and on_cpu is not None:
                now = _on_cpu(stat)
                if now is not None:
                    cpu.append(now - on_cpu)
                    on_cpu = now
    return times


def _on_cpu(stat: Path) -> float | None:
    """ms the process has run on a CPU (/proc/PID/schedstat, ns), or None when it cannot be read."""
    try:
        return int(stat.read_text().split()[0]) / 1e6
    except (OSError, ValueError, IndexError):
        return None


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(p / 100.0 * (len(ordered) - 1)))], 2)

    return {
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": round(ordered[-1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "calls": float(len(ordered)),
    }


def _measure(
    conn: psycopg.Connection,
    name: str,
    calls: list[tuple[str, str | None]],
    target: float,
    settings: dict[str, str],
    frequencies: dict[str, float],
) -> Measurement:
    sql = "select * from search_posts(%(term)s, %(ward)s, 50)"
    _timed(conn, calls[:WARMUP], sql)
    cpu: list[float] = []
    summary = _summary(_timed(conn, calls, sql, cpu))
    terms = sorted({t for t, _ in calls})
    details: dict[str, float | str] = {**summary, **settings}
    details["terms"] = ", ".join(f"{t} ({frequencies.get(t, 0):g} %)" for t in terms)
    server = ""
    if len(cpu) == len(calls):
        used = _summary(cpu)
        details["server_cpu_p50"], details["server_cpu_p95"] = used["p50_ms"], used["p95_ms"]
        server = f"; server CPU p50 {used['p50_ms']} p95 {used['p95_ms']} ms"
    return Measurement(
        SECTION,
        f"{name}, p95",
        summary["p95_ms"],
        "ms",
        f"<= {target:g} ms",
        summary["p95_ms"] <= target,
        note=f"p50 {summary['p50_ms']} ms over {len(calls)} calls{server}",
        details=details,
    )


def _baseline(
    conn: psycopg.Connection, common: Sequence[str], settings: dict[str, str], size: int
) -> Measurement:
    calls = [(common[i % len(common)], None) for i in range(BASELINE_CALLS)]
    _timed(conn, calls[:2], SEED_QUERY)
    summary = _summary(_timed(conn, calls, SEED_QUERY))
    return Measurement(
        SECTION,
        f"anchor at {size:,} posts: the seed's query (GIN, ts_rank of every match), common term, p95",
        summary["p95_ms"],
        "ms",
        note="for comparison",
        details={**summary, **settings},
    )


def _exactness(conn: psycopg.Connection, cases: Sequence[tuple[str, str | None]], size: int) -> Measurement:
    wrong = []
    for term, ward in cases:
        got = [r[0] for r in conn.execute("select id from search_posts(%s, %s, 50)", (term, ward)).fetchall()]
        want = conn.execute(REFERENCE_QUERY, {"term": term, "ward": ward}).fetchone()[0] or []  # type: ignore[index]
        if got != want:
            wrong.append(f"{term}/{ward or 'all'}")
    return Measurement(
        SECTION,
        f"search_posts results differing from ranking every match, at {size:,} posts",
        float(len(wrong)),
        "cases",
        "= 0",
        not wrong,
        note=", ".join(wrong) or f"{len(cases)} cases checked",
    )
