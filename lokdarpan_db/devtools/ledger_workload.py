"""Concurrent workloads against the ledger, shared by the concurrency tests and `make bench`:
N clients reserving and settling against one budget until it runs out, and N workers draining the
report queue. Each client is a thread with its own connection (psycopg releases the GIL while it
waits on the server)."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
from psycopg.types.json import Jsonb

# SQLSTATEs of the refusals ai_budget_reserve() raises when the money is not there.
REFUSED = {"LDB01", "LDB02", "LDB03", "LDB04", "LDB06"}


@dataclass
class BudgetRun:
    reserved: int = 0
    refused: int = 0
    seconds: float = 0.0
    budget_usd: Decimal = Decimal(0)
    spent_usd: Decimal = Decimal(0)  # sum of cost_usd of the execution rows settled to the budget
    errors: list[str] = field(default_factory=list)

    @property
    def overspend_usd(self) -> Decimal:
        return max(self.spent_usd - self.budget_usd, Decimal(0))

    @property
    def per_second(self) -> float:
        return self.reserved / self.seconds if self.seconds else 0.0


def create_budget(conn: psycopg.Connection, identifier: str, total_usd: Decimal, slices: int = 0) -> int:
    """An open monthly-style budget whose breaker trips only when it is fully committed, so the
    run ends on 'cannot cover' refusals at the edge, where a race would overspend. `slices` > 0
    makes it a sliced budget (ai_budget_tracker.slice_count)."""
    row = conn.execute(
        """insert into public.ai_budget_tracker (period_type, period_identifier, period_start, period_end,
               total_budget_usd, alert_thresholds, slice_count)
           values ('campaign', %s, public.lokdarpan_now() - interval '1 day', public.lokdarpan_now() +
               interval '30 days',
               %s, '{"warning": 0.9, "critical": 1.0}', %s)
           returning id""",
        (identifier, total_usd, slices),
    ).fetchone()
    assert row is not None
    return int(row[0])


def reserve_and_settle(
    url: str,
    budget_id: int,
    clients: int = 16,
    estimate_usd: Decimal = Decimal("0.01"),
    reserve_function: str = "public.ai_budget_reserve",
    tag: str = "run",
    record: bool = False,
) -> BudgetRun:
    """Each client loops: reserve `estimate_usd`, record the call (cost = the estimate: the worst
    case an honest estimate allows), settle; until the budget refuses it. Returns what was reserved
    and what the execution rows say was spent. `record`: the call is recorded and settled in one
    call, ai_budget_record(), instead of an insert and ai_budget_settle() in one transaction."""
    if not re.fullmatch(r"[a-z_]+\.[a-z_]+", reserve_function):
        raise ValueError(f"not a schema-qualified function name: {reserve_function!r}")
    result = BudgetRun()
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(n: int) -> None:
        reserved = refused = 0
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                barrier.wait()
                i = 0
                while True:
                    i += 1
                    try:
                        rid = conn.execute(
                            f"select reservation_id from {reserve_function}(%s, %s, 'openai', 'retrieval')",
                            (budget_id, estimate_usd),
                        ).fetchone()[0]
                    except psycopg.Error as exc:
                        if exc.sqlstate in REFUSED:
                            refused += 1
                            break
                        raise
                    reserved += 1
                    if record:
                        conn.execute(
                            """select execution_id from public.ai_budget_record(%s, jsonb_build_object(
                                   'request_id', %s::text, 'model_name', 'gpt-4o-mini',
                                   'input_tokens', 1000, 'output_tokens', 100, 'cost_usd', %s::numeric,
                                   'success_status', 'success'))""",
                            (rid, f"{tag}-{budget_id}-{n}-{i}", estimate_usd),
                        )
                        continue
                    with conn.transaction():
                        eid = conn.execute(
                            """insert into public.ai_model_execution (
                                   request_id, operation_type, provider, model_name,
                                   input_tokens, output_tokens, cost_usd, success_status)
                               values (%s, 'retrieval', 'openai', 'gpt-4o-mini', 1000, 100, %s, 'success')
                               returning id""",
                            (f"{tag}-{budget_id}-{n}-{i}", estimate_usd),
                        ).fetchone()[0]
                        conn.execute("select 1 from public.ai_budget_settle(%s, %s)", (rid, eid))
        except Exception as exc:  # reported, not swallowed: the caller asserts there were none
            with lock:
                result.errors.append(f"client {n}: {type(exc).__name__}: {exc}")
        with lock:
            result.reserved += reserved
            result.refused += refused

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        result.budget_usd = conn.execute(
            "select total_budget_usd from public.ai_budget_tracker where id = %s", (budget_id,)
        ).fetchone()[0]
        result.spent_usd = conn.execute(
            """select coalesce(sum(e.cost_usd), 0) from public.ai_budget_reservation as r
               inner join public.ai_model_execution as e on e.id = r.execution_id and e.created_at =
                   r.execution_created_at
               where r.budget_id = %s""",
            (budget_id,),
        ).fetchone()[0]
    return result


@dataclass
class ClaimRun:
    claimed: int = 0
    claimed_twice: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.claimed / self.seconds if self.seconds else 0.0


def queue_reports(conn: psycopg.Connection, count: int, user_id: int) -> None:
    conn.execute(
        """insert into public.ai_geopolitical_report (user_id, query_text, query_hash, priority_level)
           select %s, 'question ' || g, public.ai_report_query_hash('question ' || g, null, null, null, null),
               (array['low', 'normal', 'high', 'critical'])[1 + g %% 4]
           from generate_series(1, %s) as g""",
        (user_id, count),
    )


def drain_reports(url: str, workers: int = 8, batch: int = 10) -> ClaimRun:
    """Workers claim batches and complete them until the queue is empty; counts reports claimed by
    more than one worker (must be 0)."""
    result = ClaimRun()
    seen: dict[int, str] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(workers)

    def worker(n: int) -> None:
        name = f"worker-{n}"
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                barrier.wait()
                while True:
                    with conn.transaction():
                        leases = conn.execute(
                            "select id, lease_token from public.ai_report_claim(%s, %s)", (name, batch)
                        ).fetchall()
                    if not leases:
                        return
                    with lock:
                        for i, _ in leases:
                            if i in seen:
                                result.claimed_twice += 1
                            seen[i] = name
                        result.claimed += len(leases)
                    for i, token in leases:
                        conn.execute(
                            "select 1 from public.ai_report_transition(%s, 'completed', %s, %s)",
                            (i, token, Jsonb({"report_title": "done"})),
                        )
        except Exception as exc:
            with lock:
                result.errors.append(f"{name}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    return result
