"""Electoral bench (issue 9): Form 20 results through the importer, then the ward recompute.

On a scratch database (the whole plan, the 150 GHMC wards, Telangana's constituencies):

1. SYNTHETIC Form 20 files are written (electoral_data.py): by default 100 real assembly segments
   x 250 stations x 4 elections (Lok Sabha 2024, Assembly 2023, Lok Sabha 2019 and 2014) x 19
   candidates + NOTA, that is 1,900,000 result_ps rows (2,000,000 vote cells with NOTA, which
   goes to polling_station_result.nota). The elections have no round, so compute_ward_features()
   finds its Assembly 2023 and Lok Sabha 2024 in them; their source names the SYNTHETIC files.
2. Every file goes through `import_form20_files(conn, paths, …)`, in order, on one connection:
   an election's files that share a candidate list (a Lok Sabha election's) are one import, as
   `import form20 DIR/*.csv` makes them (one transaction, no savepoint per file, the deferred
   votes-add-up check once); an assembly election has a list per AC, so each of its files is an
   import of its own. Each file: parse, trigram matching of the candidates, COPY staging, the
   set-based merges; then the check and the commit. The figure is result_ps rows per
   second of wall time; the time is split into parsing (Python: the Form 20 parser, ECI's lists,
   the station checks) and the database (each SQL statement the loader sends, timed at the client,
   the COPYs, the commit). When the server runs on this machine the CPU seconds of the client and
   of its server backend are read too: on a busy machine they say what the load costs, where the
   wall time also says how long it waited for a core. The database's part is the set-based merges
   of code/electoral/form20_merge/* (form20_merge_stations, form20_merge_results, ...), timed by name.
   Then, in the same run, the limit: the rows the load wrote are COPYed again into an unindexed
   table without constraints or triggers (rows/s and rows per CPU-second, client + server).
3. The stations are placed in wards: a random point inside the ward ∩ AC the generator chose
   (PostGIS st_generatepoints; inside the ward alone for a segment that overlaps no ward), then
   place_polling_stations() sets ward_id by point in polygon, so every election is counted
   (method polling_stations) in every ward with a boundary. Electors are drawn (turnout 45-80 %)
   and the constituency results are the sums of the stations, so every index has its inputs.
   All of it is labelled SYNTHETIC.
4. After VACUUM ANALYZE, `select * from recompute_electoral()` is timed (result_ward_agg,
   ward_profile, ward_features), then each of its three functions alone.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from ...importers.electoral import load_form20
from ...importers.electoral.load_constituencies import import_constituencies
from ...importers.wards import import_wards
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ..scratch import create_database, drop_database
from . import electoral_data
from .deploy import ROOT
from .proc_cpu import backend_cpu
from .report import Measurement

SECTION = "electoral"
TARGET_ROWS_PER_S = 100_000
TARGET_RECOMPUTE_S = 10.0

Say = Callable[[str], None]


# --- timing the importer's path ------------------------------------------------------------------


class TimedConnection(psycopg.Connection):
    """A connection that adds up, per kind of statement, the wall time of every execute()."""

    sql_seconds: defaultdict[str, float]

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        started = time.perf_counter()
        try:
            return super().execute(query, params, **kwargs)
        finally:
            self.sql_seconds[_kind(str(query))] += time.perf_counter() - started


_KINDS: tuple[tuple[str, str], ...] = (  # first match wins
    (r"form20_merge_results", "merge_results"),  # polling_station_result + result_ps, set-based
    (r"form20_merge_stations|form20_repeats", "merge_stations"),
    (r"form20_station_problems", "station_checks"),
    (r"form20_removals", "removals_check"),
    (r"form20_stage\(|^\s*(drop table|create temporary table \w+ \()", "staging_tables"),
    (r"^\s*lock table|set_config\(", "other_sql"),
    (r"set constraints", "deferred_check"),
    (r"stg_f20_similarity|stg_f20_candidate|stg_f20_column", "trigram_matching"),
    (r"public\.party|stg_f20_party", "parties"),
    (r"public\.constituency|public\.election", "constituencies_election"),
)


def _kind(sql: str) -> str:
    for pattern, kind in _KINDS:
        if re.search(pattern, sql):
            return kind
    return "other_sql"


@contextmanager
def _timed_parsing(seconds: defaultdict[str, float]) -> Iterator[None]:
    """Time the Python parts of import_form20 (the names it calls, in its own module)."""
    names = {
        "Form20Reader": "parse",  # the layout passes over the file
        "read_candidates": "parse",
        "read_parties": "parse",
        # the stations stream from the file into COPY: parsing and the COPY interleave
        "_stage": "parse_and_copy_staging",
    }
    originals = {name: getattr(load_form20, name) for name in names}

    def timed(fn: Callable[..., Any], kind: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[kind] += time.perf_counter() - started

        return wrapper

    for name, kind in names.items():
        setattr(load_form20, name, timed(originals[name], kind))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(load_form20, name, fn)


@dataclass
class _LoadTiming:
    seconds: float
    rows: int
    split: dict[str, float]  # wall seconds per kind of work
    client_cpu: float
    server_cpu: float | None  # the backend's CPU seconds; None for a server elsewhere
    load_average: tuple[float, float]  # 1-minute load average before and after


def _load(url: str, data: electoral_data.SyntheticForm20, say: Say) -> _LoadTiming:
    """import_form20_files for each election's files, in order, on one connection: one import (one
    transaction, the votes-add-up check once) per election, as `import form20 DIR/*.csv` does.

    Between two elections the tables are analyzed, untimed, as autovacuum would have done by the
    time the next election is loaded: each election after the first is then new to statistics
    that know the earlier ones, the case where a plan that trusts them goes wrong.
    """
    seconds: defaultdict[str, float] = defaultdict(float)
    rows = 0
    wall = client_cpu = 0.0
    server_cpu: float | None = 0.0
    load_before = os.getloadavg()[0]
    batches: list[list[electoral_data.FormFile]] = []
    for f in data.files:
        if not batches or f.path.parent != batches[-1][0].path.parent:
            batches.append([])
        batches[-1].append(f)
    with TimedConnection.connect(url) as conn, _timed_parsing(seconds):
        conn.sql_seconds = seconds
        for n, batch in enumerate(batches):
            if n:
                with psycopg.connect(url, autocommit=True) as other:
                    other.execute("analyze public.result_ps, public.polling_station_result, "
                                  "public.polling_station")
            say(f"  {batch[0].path.parent.name}: {wall:.0f} s, {rows:,} rows so far")
            cpu_before, cpu_started, started = backend_cpu(conn), time.process_time(), time.perf_counter()
            for group in _same_options(batch):
                first = group[0]
                report = load_form20.import_form20_files(
                    conn, [f.path for f in group], candidates=first.candidates, parties=data.parties,
                    election_type=first.election_type, year=first.year, round=first.round,
                    state_code=electoral_data.STATE,
                    ac_no=first.ac_no if len(group) == 1 else None,
                )
                rows += sum(r.results_inserted for r in report.reports)
            wall += time.perf_counter() - started
            client_cpu += time.process_time() - cpu_started
            cpu_after = backend_cpu(conn)
            if server_cpu is not None and cpu_before is not None and cpu_after is not None:
                server_cpu += cpu_after - cpu_before
            else:
                server_cpu = None
    split = dict(seconds)
    split["commit_and_glue"] = wall - sum(split.values())
    return _LoadTiming(wall, rows, split, client_cpu, server_cpu, (load_before, os.getloadavg()[0]))


def _same_options(files: list[electoral_data.FormFile]) -> list[list[electoral_data.FormFile]]:
    """The files in runs that one import can take: one candidate list (a Lok Sabha election's is
    one file; an assembly election's one per AC, so each of its files is a batch of its own)."""
    runs: list[list[electoral_data.FormFile]] = []
    for f in files:
        if runs and runs[-1][0].candidates == f.candidates:
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs


# --- placing, electors, constituency totals ------------------------------------------------------

_POINTS = """
create temporary table bench_point on commit drop as
with need as (
    select b.ward_id, b.ac_no, array_agg(b.ps_id order by b.ps_id) as ids
    from pg_temp.bench_station_ward as b
    group by b.ward_id, b.ac_no
),
piece as (
    select n.ids, coalesce(
        (select public.st_collectionextract(
                    public.st_intersection(public.geojson_geometry(w.boundary), c.boundary), 3)
         from public.constituency as c
         where c.kind = 'AC' and c.state_code = %(state)s and c.number = n.ac_no
             and exists (select from public.ward_constituency as wc
                         where wc.ward_id = n.ward_id and wc.constituency_id = c.constituency_id
                             and wc.constituency_fraction > 0)),
        public.geojson_geometry(w.boundary)) as geom
    from need as n
    inner join public.ward as w on w.ward_id = n.ward_id
)
-- st_generatepoints may give a multipolygon fewer points than asked (it shares them out by area,
-- rounding): draw twice as many and keep the first ones.
select p.ids[d.path[1]] as ps_id, d.geom as pt
from piece as p
cross join lateral public.st_dump(
    public.st_generatepoints(p.geom, 2 * cardinality(p.ids) + 4, %(seed)s)) as d
where d.path[1] <= cardinality(p.ids)
"""


def _place(conn: psycopg.Connection, data: electoral_data.SyntheticForm20, seed: int) -> tuple[float, tuple]:
    """Random points inside each station's ward (∩ its AC), then place_polling_stations()."""
    with conn.transaction():
        conn.execute("create temporary table bench_station_ward (ps_id text, ward_id text, ac_no integer) "
                     "on commit drop")
        with conn.cursor() as cur, cur.copy("copy bench_station_ward from stdin") as copy:
            for s in data.segments:
                for serial, ward in enumerate(s.wards, start=1):
                    copy.write_row((f"{electoral_data.STATE}-AC{s.ac_no:03d}-{serial}", ward, s.ac_no))
        conn.execute(_POINTS, {"state": electoral_data.STATE, "seed": seed})
        conn.execute(
            """
            update public.polling_station as s
            set lat = round(public.st_y(p.pt)::numeric, 6), lon = round(public.st_x(p.pt)::numeric, 6),
                source_meta = s.source_meta || '{"synthetic": true,
                    "location": "SYNTHETIC: random point in the ward (and its AC) the bench chose"}'::jsonb
            from pg_temp.bench_point as p
            where s.delimitation = 2008 and s.ps_id = p.ps_id
            """
        )
        started = time.perf_counter()
        placed = conn.execute("select * from public.place_polling_stations()").fetchone()
        seconds = time.perf_counter() - started
    assert placed is not None
    return seconds, tuple(placed)


def _electors_and_totals(conn: psycopg.Connection) -> None:
    """SYNTHETIC electors per station (turnout 45-80 %) and constituency results = station sums."""
    with conn.transaction():
        conn.execute("select setseed(0.7)")
        conn.execute("update public.polling_station_result "
                     "set electors = ceil(total_polled / (0.45 + 0.35 * random()))")
        conn.execute(
            """
            insert into public.constituency_result (election_id, constituency_id, candidate, party_id,
                party_as_published, total_votes, source_meta)
            select v.election_id, v.constituency_id, v.candidate, v.party_id, public.party_key(v.party_id),
                v.votes, '{"synthetic": true, "source": "SYNTHETIC: sum of the bench''s Form 20 stations"}'
            from (
                select r.election_id,
                    case when e.type = 'LOKSABHA' then c.pc_id else c.constituency_id end as constituency_id,
                    p.candidate, min(p.party_id) as party_id, sum(p.votes) as votes
                from public.result_ps as p
                inner join public.polling_station_result as r
                    on r.election_id = p.election_id and r.polling_station_id = p.polling_station_id
                inner join public.election as e on e.id = r.election_id
                inner join public.polling_station as s on s.id = p.polling_station_id
                inner join public.constituency as c on c.constituency_id = s.constituency_id
                group by 1, 2, 3
                union all
                select r.election_id,
                    case when e.type = 'LOKSABHA' then c.pc_id else c.constituency_id end,
                    'None of the Above', (select n.party_id from public.party as n where n.kind = 'nota'),
                    sum(r.nota)
                from public.polling_station_result as r
                inner join public.election as e on e.id = r.election_id
                inner join public.polling_station as s on s.id = r.polling_station_id
                inner join public.constituency as c on c.constituency_id = s.constituency_id
                group by 1, 2
            ) as v
            """
        )


# --- the section ---------------------------------------------------------------------------------


def _limit(load: _LoadTiming, bare: _CopyTiming) -> list[Measurement]:
    """The bare COPY beside the load, measured in the same run: how far the load is from the limit."""
    rate = bare.rows / bare.seconds
    load_rate = load.rows / load.seconds
    out = [
        Measurement(
            SECTION, f"the limit: bare COPY of the same {bare.rows:,} rows into an unindexed table",
            round(rate), "rows/s",
            note=(f"{bare.seconds:.2f} s wall, same run; the load reaches "
                  f"{100 * load_rate / rate:.0f} % of it ({load_rate:,.0f} rows/s)"),
            details={"seconds": round(bare.seconds, 2), "rows": float(bare.rows)},
        )
    ]
    if bare.server_cpu is not None and load.server_cpu is not None:
        cpu = bare.client_cpu + bare.server_cpu
        per_cpu = bare.rows / max(cpu, 1e-9)
        load_per_cpu = load.rows / max(load.client_cpu + load.server_cpu, 1e-9)
        out.append(
            Measurement(
                SECTION, "the limit in CPU time: bare COPY rows per CPU-second (client + server backend)",
                round(per_cpu), "rows/s",
                note=(f"client {bare.client_cpu:.2f} s + server backend {bare.server_cpu:.2f} s CPU; "
                      f"the load costs {per_cpu / max(load_per_cpu, 1e-9):.1f}x the CPU a row of it"),
                details={"client_cpu_s": round(bare.client_cpu, 2),
                         "server_cpu_s": round(bare.server_cpu, 2)},
            )
        )
    return out


@dataclass
class _CopyTiming:
    seconds: float
    rows: int
    client_cpu: float
    server_cpu: float | None


def _bare_copy(url: str) -> _CopyTiming:
    """The limit: the rows the load wrote to result_ps, COPYed again into an unindexed table
    without constraints or triggers (read out first, untimed; the same columns the merge writes)."""
    with psycopg.connect(url, autocommit=True) as conn:
        buffer = bytearray()
        with conn.cursor() as cur, cur.copy(
            "copy (select election_id, polling_station_id, candidate, party_id, votes, created_at "
            "from public.result_ps) to stdout"
        ) as copy:
            for chunk in copy:
                buffer += chunk
        conn.execute("create table bench_bare_copy (election_id integer, polling_station_id integer, "
                     "candidate varchar(256), party_id integer, votes integer, created_at timestamptz)")
        cpu_before, cpu_started, started = backend_cpu(conn), time.process_time(), time.perf_counter()
        with conn.transaction(), conn.cursor() as cur, cur.copy("copy bench_bare_copy from stdin") as copy:
            view = memoryview(buffer)
            for at in range(0, len(view), 1 << 20):
                copy.write(view[at:at + (1 << 20)])
        seconds, client = time.perf_counter() - started, time.process_time() - cpu_started
        cpu_after = backend_cpu(conn)
        row = conn.execute("select count(*) from bench_bare_copy").fetchone()
        conn.execute("drop table bench_bare_copy")
    server = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return _CopyTiming(seconds, int(row[0]) if row else 0, client, server)


def _timed_call(conn: psycopg.Connection, sql: str) -> tuple[float, list[tuple]]:
    started = time.perf_counter()
    rows = conn.execute(sql).fetchall()
    return time.perf_counter() - started, rows


def run(
    admin_url: str,
    stations: int = 25_000,
    elections: int = 4,
    candidates: int = 20,
    segment_size: int = 250,
    seed: int = 7,
    say: Say = print,
) -> list[Measurement]:
    url = create_database(admin_url, "bench", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(conn, plan_mod.load(ROOT / "db" / "sqitch.plan"),
                   Committer("bench", "bench@lokdarpan.in")).deploy()
            import_wards(conn)
            import_constituencies(conn)
            segments = electoral_data.plan_segments(conn, stations, segment_size, seed)
        with tempfile.TemporaryDirectory(prefix="lokdarpan-bench-SYNTHETIC-") as tmp:
            data = electoral_data.write_form20(Path(tmp), segments, elections, candidates, seed)
            say(f"  {len(data.files)} SYNTHETIC Form 20 files, {data.stations:,} stations, "
                f"{data.result_rows:,} result_ps rows; loading …")
            load = _load(url, data, say)
        say("  the limit: a bare COPY of the same rows into an unindexed table …")
        bare = _bare_copy(url)
        return _measure_rest(url, data, load, seed, say) + _limit(load, bare)
    finally:
        drop_database(admin_url, url)


def _measure_rest(
    url: str, data: electoral_data.SyntheticForm20, load: _LoadTiming, seed: int, say: Say
) -> list[Measurement]:
    with psycopg.connect(url, autocommit=True) as conn:
        say("  placing stations in wards, electors, constituency totals …")
        place_s, (placed, outside, unlocated) = _place(conn, data, seed)
        _electors_and_totals(conn)
        started = time.perf_counter()
        conn.execute("vacuum analyze")
        analyze_s = time.perf_counter() - started
        say("  recompute_electoral() …")
        recompute_s, steps = _timed_call(conn, "select * from public.recompute_electoral()")
        methods = conn.execute(
            "select method, count(distinct ward_id), count(distinct (ward_id, election_id)), count(*) "
            "from public.result_ward_agg group by 1 order by 1"
        ).fetchall()
        parts = [
            (name, _timed_call(conn, f"select * from public.{name}()")[0])
            for name in ("compute_result_ward_agg", "compute_ward_profiles", "compute_ward_features")
        ]
        again_s, _ = _timed_call(conn, "select * from public.recompute_electoral()")
        load_average = os.getloadavg()[0]

    files = len(data.files)
    n_elections = len({f.path.parent for f in data.files})
    per_station = load.rows // max(1, data.stations * n_elections)
    rate = load.rows / load.seconds
    parse_s = load.split.get("parse", 0.0)
    db_s = load.seconds - parse_s
    busy = f"1-min load average {load.load_average[0]:.1f} before, {load.load_average[1]:.1f} after"
    cpu = [
        Measurement(
            SECTION, "Form 20 load in CPU time: rows per CPU-second (client + server backend)",
            round(load.rows / (load.client_cpu + load.server_cpu)), "rows/s",
            target=f">= {TARGET_ROWS_PER_S:,} rows per CPU-second",
            met=load.rows / (load.client_cpu + load.server_cpu) >= TARGET_ROWS_PER_S,
            note=(f"client (Python) {load.client_cpu:.1f} s + server backend {load.server_cpu:.1f} s CPU: "
                  "what one loader would do on an otherwise idle machine "
                  "(autovacuum, WAL writer not counted)"),
            details={"client_cpu_s": round(load.client_cpu, 1), "server_cpu_s": round(load.server_cpu, 1)},
        )
    ] if load.server_cpu is not None else []
    counted = next((m for m in methods if m[0] == "polling_stations"), None)
    return [
        Measurement(
            SECTION,
            f"Form 20 load through import_form20: {load.rows:,} result_ps rows, {files} files",
            round(rate),
            "rows/s",
            target=f">= {TARGET_ROWS_PER_S:,} rows/s",
            met=rate >= TARGET_ROWS_PER_S,
            note=(f"{load.seconds:.1f} s wall, one connection, an import (one transaction) per election "
                  "and candidate list, ANALYZE between "
                  "elections (untimed); "
                  f"{data.stations:,} stations x {n_elections} elections x {per_station} candidates + NOTA "
                  f"(SYNTHETIC); {busy}"),
            details={"seconds": round(load.seconds, 1), "rows": float(load.rows), "files": float(files)},
        ),
        *cpu,
        Measurement(
            SECTION, "load time in parsing (Python: Form 20 parser, ECI lists, station checks)",
            round(100 * parse_s / load.seconds, 1), "%",
            note=f"{parse_s:.1f} s; {1000 * parse_s / files:.0f} ms per file",
            details={"seconds": round(parse_s, 1)},
        ),
        Measurement(
            SECTION, "load time in the database (SQL, COPY, deferred check, commit)",
            round(100 * db_s / load.seconds, 1), "%",
            note=(f"{db_s:.1f} s, so even with parsing free {load.rows / max(db_s, 1e-9):,.0f} rows/s "
                  "(the loader locks polling_station_result: files load one at a time)"),
            details={f"{k}_s": round(v, 2) for k, v in sorted(load.split.items(), key=lambda kv: -kv[1])},
        ),
        Measurement(
            SECTION, "recompute_electoral(): result_ward_agg + ward_profile + ward_features",
            round(recompute_s, 2), "s",
            target=f"<= {TARGET_RECOMPUTE_S:g} s",
            met=recompute_s <= TARGET_RECOMPUTE_S,
            note=(f"after VACUUM ANALYZE ({analyze_s:.1f} s); second run {again_s:.2f} s; "
                  + ", ".join(f"{step} {rows:,} rows" for step, rows in steps)
                  + f"; 1-min load average {load_average:.1f}"),
            details={
                **{f"{name}_s": round(s, 2) for name, s in parts},
                **{f"{m[0]}_wards": float(m[1]) for m in methods},
                "counted_ward_elections": float(counted[2]) if counted else 0.0,
            },
        ),
        Measurement(
            SECTION, "stations placed in wards by place_polling_stations()",
            float(placed), "stations",
            note=(f"{place_s:.1f} s; points drawn inside ward ∩ AC (ward alone for segments outside GHMC); "
                  f"{outside} outside every ward, {unlocated} without a location"),
        ),
    ]
