"""AI ledger benchmark, on a fresh database with the whole plan deployed:

- budget reservations: pgbench runs the reserve / record (ai_budget_record) cycle in 16 clients
  against a sliced budget sized to run out exactly at the end, and against a one-row budget; cycles per second
  (target >= 2,000/s and >= 0.5 x pgbench simple-update, measured before and after in the same run)
  and the overspend against the execution rows (target exactly 0); next to them the machine's floor for
  any two-call cycle, the same pgbench run over two trivial PL/pgSQL functions, and the ceiling of any
  design that writes the cycle's rows in its own transactions, the same pgbench run as two bare SQL
  statements writing them into the same tables (issue 23);
- report claiming: 8 workers drain 10,000 queued reports; none claimed twice; reports per second;
- cost views: `rows` executions (default 5M) over 12 monthly partitions; p95 of the 24-hour
  provider/model cost view (target <= 50 ms) and the partitions its plan reads.
"""

from __future__ import annotations

import re
import resource
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ... import fieldcrypt
from ...devtools.scratch import create_database, drop_database
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ...paths import PROJECT
from ...server.cluster import pg_bindir
from .. import ledger_workload as workload
from ..synthetic import ledger as demo_data
from . import proc_cpu
from .report import Measurement

SECTION = "ledger"
VIEW = "select * from public.ai_cost_by_provider_24h"


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def run(admin_url: str, rows: int = 5_000_000, quick: bool = False) -> list[Measurement]:
    url = create_database(admin_url, "bench", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(
                conn, plan_mod.load(PROJECT / "db" / "sqitch.plan"), Committer("bench", "bench@lokdarpan.in")
            ).deploy()
        return _budgets(url, quick) + _claims(url, quick) + _views(url, 50_000 if quick else rows)
    finally:
        drop_database(admin_url, url)


# One reservation cycle as an application should run it (docs/ai-ledger.md): reserve, make the call,
# then record it and settle its reservation in one call, ai_budget_record() (2 round trips, each its
# own transaction). The pre-issue-23 cycle (insert the execution, then ai_budget_settle(), in one
# transaction: 3 statements and a commit) still works; ai_budget_record() is its one-call form.
CYCLE = """\
select reservation_id as rid from public.ai_budget_reserve(:budget, 0.01, 'openai', 'retrieval') \\gset
select execution_id from public.ai_budget_record(:rid, jsonb_build_object('request_id', 'bench-' || :rid, \
'model_name', 'gpt-4o-mini', 'input_tokens', 1000, 'output_tokens', 100, 'cost_usd', 0.01, \
'success_status', 'success'));
"""
CLIENTS = 16
SLICES = 16
# The floor (issue 23): the same two round trips, each its own transaction, with the same arguments and
# \gset, into two PL/pgSQL functions that do nothing. No design of the cycle can beat it on this machine
# (pgbench's client shares the cores); it says how far 0.5 x simple-update is from what is possible.
FLOOR_FUNCTIONS = """\
create schema bench_floor;
create function bench_floor.reserve(p_budget bigint, p_estimate numeric, p_service text, p_operation text)
returns table (reservation_id bigint) language plpgsql security invoker set search_path = pg_catalog, pg_temp
as $$ begin return query select p_budget; end $$;
create function bench_floor.record(p_reservation bigint, p_execution jsonb)
returns table (execution_id bigint) language plpgsql security invoker set search_path = pg_catalog, pg_temp
as $$ begin return query select p_reservation; end $$;
"""
FLOOR_CYCLE = CYCLE.replace("public.ai_budget_reserve", "bench_floor.reserve").replace(
    "public.ai_budget_record", "bench_floor.record"
)

# The ceiling (issue 23): the cycle's row writes, with every check, index and foreign key of their
# tables, as two bare prepared SQL statements: no function layer, no check of the arguments, no
# budget row, the slice taken by the client's slot directly (each client its own slice, filled ahead
# with more than the run takes), generic plans. No design that writes the reservation, the execution
# row and the settlement into these tables within the cycle's own two transactions can do less than
# this; what the functions add to it is the rest of the cycle's cost. (Its budget's books are not kept:
# it is a measurement, not a use.)
CEILING_CYCLE = f"""\
\\set slot :client_id % {CLIENTS}
with s as (update public.ai_budget_slice as s set allowance_usd = s.allowance_usd - 0.01 \
where s.budget_id = :budget and s.slice_no = :slot and s.allowance_usd >= 0.01 returning s.budget_id) \
insert into public.ai_budget_reservation (budget_id, service, operation_type, estimated_usd, reserved_at, \
expires_at, booked) select s.budget_id, 'openai', 'retrieval', 0.01, clock_timestamp(), \
clock_timestamp() + interval '15 minutes', 'none' from s returning id as rid \\gset
with m as (insert into public.ai_model_execution (request_id, operation_type, provider, model_name, \
input_tokens, output_tokens, cost_usd, success_status, created_at) values ('bench-' || :rid, 'retrieval', \
'openai', 'gpt-4o-mini', 1000, 100, 0.01, 'success', now()) returning id, created_at, cost_usd) \
update public.ai_budget_reservation as x set status = 'settled', actual_usd = m.cost_usd, \
execution_id = m.id, execution_created_at = m.created_at, closed_at = clock_timestamp() \
from m where x.id = :rid and x.closed_at is null returning x.id;
"""


def _pgbench(url: str, *args: str, cpu: list[str] | None = None) -> float:
    """Runs pgbench against `url`; its tps (without the initial connection time). With `cpu`, appends
    the CPU per transaction, server (its processes, when on this machine) + pgbench, in µs: wall time
    is noise on a shared machine, CPU is not."""
    postmaster = proc_cpu.postmaster(url) if cpu is not None else None
    client0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server0 = proc_cpu.server_cpu(postmaster) if postmaster else 0.0
    done = subprocess.run(
        [str(pg_bindir() / "pgbench"), "-n", "-c", str(CLIENTS), "-j", "4", "-M", "prepared", *args, url],
        capture_output=True,
        text=True,
    )
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if done.returncode != 0 or not found:
        said = (done.stderr or done.stdout).strip()[-400:]
        raise RuntimeError(f"pgbench failed ({done.returncode}): {said}")
    processed = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    if cpu is not None and processed and int(processed.group(1)) > 0:
        count = int(processed.group(1))
        client1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        client = (client1.ru_utime + client1.ru_stime - client0.ru_utime - client0.ru_stime) * 1e6 / count
        if postmaster:
            time.sleep(0.5)  # the backends exit after pgbench does: let the postmaster reap them
            server = (proc_cpu.server_cpu(postmaster) - server0) * 1e6 / count
            cpu.append(f"{server:,.0f} + {client:,.0f} µs")
        else:
            cpu.append(f"? + {client:,.0f} µs")
    return float(found.group(1))



def _pgbench_script(url: str, script: str, *args: str, cpu: list[str] | None = None) -> float:
    """_pgbench running `script` (a pgbench script's text) with the further pgbench `args`."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as file:
        file.write(script)
        file.flush()
        return _pgbench(url, *args, "-f", file.name, cpu=cpu)

def _cycles(
    url: str, ident: str, slices: int, per_client: int, cpu: list[str] | None = None
) -> tuple[float, dict[str, float | str]]:
    """pgbench runs the cycle `per_client` times in each of 16 clients against a budget of exactly
    that many reservations of 0.01: cycles/s, and what the books say afterwards (spent, overspend
    against the execution rows, consistency rows, and the refusal of one more reservation)."""
    total = Decimal("0.01") * CLIENTS * per_client
    with psycopg.connect(url, autocommit=True) as conn:
        budget = workload.create_budget(conn, ident, total, slices=slices)
    tps = _pgbench_script(url, CYCLE, "-t", str(per_client), "-D", f"budget={budget}", cpu=cpu)
    with psycopg.connect(url, autocommit=True) as conn:
        spent = conn.execute(
            """select coalesce(sum(e.cost_usd), 0) from public.ai_budget_reservation as r
               inner join public.ai_model_execution as e on e.id = r.execution_id and e.created_at =
                   r.execution_created_at
               where r.budget_id = %s""",
            (budget,),
        ).fetchone()[0]
        inconsistent = conn.execute(
            "select count(*) from public.ai_budget_consistency() where budget_id = %s", (budget,)
        ).fetchone()[0]
        try:
            conn.execute("select public.ai_budget_reserve(%s, 0.01, 'openai', 'retrieval')", (budget,))
            refused = "accepted"
        except psycopg.Error as exc:
            refused = exc.sqlstate or "?"
    return tps, {
        "cycles": CLIENTS * per_client,
        "slices": slices,
        "budget_usd": str(total),
        "spent_usd": f"{spent:f}",
        "overspend_usd": f"{max(spent - total, Decimal(0)):f}",
        "consistency_rows": inconsistent,
        "one_more_reservation": refused,
    }


def _floor(url: str, seconds: str, cpu: list[str] | None = None) -> float:
    """The floor cycle (FLOOR_CYCLE) for `seconds`: cycles/s of two trivial calls."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop schema if exists bench_floor cascade")
        conn.execute(FLOOR_FUNCTIONS)
    try:
        return _pgbench_script(url, FLOOR_CYCLE, "-T", seconds, "-D", "budget=1", cpu=cpu)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop schema bench_floor cascade")


def _ceiling(url: str, seconds: str, cpu: list[str] | None = None) -> float:
    """The ceiling cycle (CEILING_CYCLE) for `seconds`, on a budget of its own whose slices are filled
    directly: cycles/s of the bare row writes."""
    with psycopg.connect(url, autocommit=True) as conn:
        budget = workload.create_budget(conn, "bench-ceiling", Decimal("1000000"), slices=CLIENTS)
        conn.execute(
            """insert into public.ai_budget_slice (budget_id, slice_no, allowance_usd)
               select %s, g, 100000 from generate_series(0, %s) as g""",
            (budget, CLIENTS - 1),
        )
    # Generic plans, as the functions use them: the foreign key check against the partitioned
    # ai_model_execution is otherwise planned again for every settled reservation.
    options = f"{conninfo_to_dict(url).get('options') or ''} -c plan_cache_mode=force_generic_plan".strip()
    generic = make_conninfo(url, options=options)
    return _pgbench_script(generic, CEILING_CYCLE, "-T", seconds, "-D", f"budget={budget}", cpu=cpu)


def _budgets(url: str, quick: bool) -> list[Measurement]:
    """The cycle on a sliced budget, the same cycle on a one-row budget, and pgbench's simple-update
    before and after them against the same server (the anchor of the issue 23 target)."""
    seconds = "3" if quick else "10"
    subprocess.run(
        [str(pg_bindir() / "pgbench"), "-i", "-q", "-s", "1", url], capture_output=True, text=True, check=True
    )
    # CPU per transaction (server + pgbench): simple-update before, the floor, the cycle, the ceiling,
    # simple-update after.
    cpu: list[str] = []
    anchor = [_pgbench(url, "-b", "simple-update", "-T", seconds, cpu=cpu)]
    floor = _floor(url, seconds, cpu=cpu)
    sliced, details = _cycles(url, "bench-sliced", SLICES, 60 if quick else 600, cpu=cpu)
    ceiling = _ceiling(url, seconds, cpu=cpu)
    anchor.append(_pgbench(url, "-b", "simple-update", "-T", seconds, cpu=cpu))
    per_txn = (
        f"; CPU per transaction or cycle, server + pgbench: simple-update {cpu[0]} / {cpu[4]}, "
        f"floor {cpu[1]}, cycle {cpu[2]}, ceiling {cpu[3]}"
        if len(cpu) == 5
        else ""
    )
    one_row, row_details = _cycles(url, "bench-one-row", 0, 10 if quick else 40)
    simple = statistics.mean(anchor)
    ratio = sliced / simple
    ok = (
        Decimal(str(details["overspend_usd"])) == 0
        and Decimal(str(details["spent_usd"])) == Decimal(str(details["budget_usd"]))
        and details["consistency_rows"] == 0
        and details["one_more_reservation"] in workload.REFUSED
    )
    return [
        Measurement(
            SECTION,
            f"reserve+record cycles (ai_budget_record), 16 clients, {SLICES} slices",
            sliced,
            "/s",
            ">= 2,000/s and >= 0.5 x simple-update",
            sliced >= 2000 and ratio >= 0.5,
            f"pgbench simple-update {anchor[0]:,.0f} / {anchor[1]:,.0f} tps in the same run "
            f"(ratio {ratio:.2f}); one-row budget {one_row:,.0f}/s{per_txn}",
            {**details, "simple_update_tps": f"{anchor[0]:.0f}/{anchor[1]:.0f}", "ratio": round(ratio, 3),
             "one_row_cycles_per_s": round(one_row, 1)},
        ),
        Measurement(
            SECTION,
            "the floor: the same 2-call cycle into 2 trivial PL/pgSQL functions, 16 clients",
            floor,
            "/s",
            None,
            None,
            f"{floor / simple:.2f} x simple-update in the same run; the cycle above reaches "
            f"{sliced / floor:.2f} of it (no two-call design can pass it on this machine)",
            {"floor_ratio": round(floor / simple, 3), "cycle_share_of_floor": round(sliced / floor, 3)},
        ),
        Measurement(
            SECTION,
            "the ceiling: the cycle's row writes as 2 bare SQL statements on the same tables, 16 clients",
            ceiling,
            "/s",
            None,
            None,
            f"{ceiling / simple:.2f} x simple-update in the same run; the cycle above reaches "
            f"{sliced / ceiling:.2f} of it (no design that writes these rows into these tables within "
            "the cycle's two transactions can pass it)",
            {
                "ceiling_ratio": round(ceiling / simple, 3),
                "cycle_share_of_ceiling": round(sliced / ceiling, 3),
            },
        ),
        Measurement(
            SECTION,
            "overspend vs execution rows",
            float(Decimal(str(details["overspend_usd"]))),
            "USD",
            "exactly 0",
            ok and Decimal(str(row_details["overspend_usd"])) == 0 and row_details["consistency_rows"] == 0,
            "budget spent exactly, books consistent, one more reservation refused",
            {"one_row_spent_usd": row_details["spent_usd"], "one_row_budget_usd": row_details["budget_usd"]},
        ),
    ]


def _claims(url: str, quick: bool) -> list[Measurement]:
    count = 1000 if quick else 10_000
    with psycopg.connect(url, autocommit=True) as conn:
        uid = conn.execute(
            """insert into "user" (username, email, email_index, password_hash)
               values ('bench', %s, %s,
                   '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')
               returning id""",
            fieldcrypt.ephemeral().row_values("bench@example.org"),
        ).fetchone()[0]
        workload.queue_reports(conn, count, uid)
        conn.execute("vacuum analyze public.ai_geopolitical_report")
    res = workload.drain_reports(url, workers=8, batch=10)
    if res.errors:
        raise RuntimeError(res.errors[0])
    return [
        Measurement(
            SECTION,
            f"claim+complete {count:,} reports, 8 workers",
            res.per_second,
            "reports/s",
            None,
            None,
            "batches of 10 claimed with FOR UPDATE SKIP LOCKED, each completed",
        ),
        Measurement(
            SECTION,
            "reports claimed twice",
            res.claimed_twice,
            "",
            "0",
            res.claimed_twice == 0 and res.claimed == count,
            details={"claimed": res.claimed},
        ),
    ]


def _views(url: str, rows: int) -> list[Measurement]:
    with psycopg.connect(url, autocommit=True) as conn:
        now = conn.execute("select public.lokdarpan_now()").fetchone()[0]
        start = now - timedelta(days=365) + timedelta(days=31)  # 12 monthly partitions, this one included
        t = time.perf_counter()
        made = conn.execute(
            "select count(*) filter (where created) from public.ai_execution_ensure_partitions(1, %s)",
            (start,),
        ).fetchone()[0]
        part_s = time.perf_counter() - t
        t = time.perf_counter()
        demo_data.generate_executions(conn, rows, start, now, tag="bench")
        load_s = time.perf_counter() - t
        conn.execute("vacuum analyze public.ai_model_execution")
        months = (
            conn.execute("select count(distinct tableoid) from public.ai_model_execution").fetchone()[0]
            if rows <= 200_000
            else 12
        )
        plan = "\n".join(
            r[0] for r in conn.execute(f"explain (analyze, costs off, timing off) {VIEW}").fetchall()
        )
        scanned = sorted(set(re.findall(r"ai_model_execution_p\d{4}_\d{2}", plan)))
        removed = re.search(r"Subplans Removed: (\d+)", plan)
        for _ in range(20):
            conn.execute(VIEW).fetchall()
        samples = []
        for _ in range(200):
            t = time.perf_counter()
            conn.execute(VIEW).fetchall()
            samples.append((time.perf_counter() - t) * 1000)
        fn = []
        for _ in range(50):
            t = time.perf_counter()
            conn.execute("select * from public.ai_cost_by_provider()").fetchall()
            fn.append((time.perf_counter() - t) * 1000)
    p95 = _p95(samples)
    return [
        Measurement(
            SECTION,
            f"load {rows:,} executions over 12 months",
            rows / load_s,
            "rows/s",
            None,
            None,
            f"{made} partitions made in {part_s * 1000:.0f} ms",
            {"months_with_rows": months},
        ),
        Measurement(
            SECTION,
            "24-hour cost by provider/model (view), p95",
            p95,
            "ms",
            "<= 50 ms",
            p95 <= 50,
            f"median {statistics.median(samples):.1f} ms; function p95 {_p95(fn):.1f} ms",
            {
                "partitions_scanned": ",".join(scanned) or "?",
                "subplans_removed": removed.group(1) if removed else "0",
            },
        ),
    ]
