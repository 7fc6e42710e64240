"""A deterministic generator of realistic ai_model_execution rows, for the demo and the benchmark.

Providers and models carry their published list prices per million tokens as of August 2025
(input, cached input, output): the cost of each row is computed from its tokens as the provider
would bill it. Traffic follows a campaign team's day (busier 09:00-21:00 IST), operations have
their own token profiles, about 4 % of calls fail (errors, timeouts, rate limits, with retries),
and prompt-cache hits are common for report generation. The same seed gives the same rows: the
rows are made in one INSERT ... SELECT after setseed(), so nothing crosses the wire but the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from ...errors import BadInputError


@dataclass(frozen=True)
class Model:
    provider: str
    name: str
    input_per_m: float
    cached_per_m: float
    output_per_m: float
    weight: float


# USD per million tokens, list prices as of 2025-08 (providers' pricing pages).
MODELS = (
    Model("openai", "gpt-4o", 2.50, 1.25, 10.00, 0.16),
    Model("openai", "gpt-4o-mini", 0.15, 0.075, 0.60, 0.22),
    Model("openai", "text-embedding-3-small", 0.02, 0.02, 0.0, 0.20),
    Model("anthropic", "claude-sonnet-4", 3.00, 0.30, 15.00, 0.14),
    Model("anthropic", "claude-3-5-haiku", 0.80, 0.08, 4.00, 0.08),
    Model("google", "gemini-2.5-flash", 0.30, 0.075, 2.50, 0.12),
    Model("perplexity", "sonar-pro", 3.00, 3.00, 15.00, 0.08),
)

GENERATE = """
with models as (
    select m.*, sum(m.weight) over (order by m.ord) - m.weight as lo, sum(m.weight) over (order by m.ord)
        as hi
    from (values {models}) as m (ord, provider, name, input_per_m, cached_per_m, output_per_m, weight)
),
draws as (
    select g,
        %(start)s::timestamptz + (%(end)s::timestamptz - %(start)s::timestamptz) * ((g - 1 + random()) /
            %(rows)s) as at,
        random() as pick, random() as size, random() as fate, random() as cache, random() as speed
    from generate_series(1, %(rows)s) as g
),
calls as (
    select d.*, m.provider, m.name, m.input_per_m, m.cached_per_m, m.output_per_m,
        case when m.name like 'text-embedding%%' then 'embedding'
             when m.provider = 'perplexity' then 'retrieval'
             when d.size < 0.35 then 'report_generation'
             when d.size < 0.70 then 'summarization'
             else 'classification' end as op,
        case when m.name like 'text-embedding%%' then (200 + d.size * 600)::integer
             else (800 + d.size * d.size * 12000)::integer end as input_tokens,
        case when m.name like 'text-embedding%%' then 0 else (150 + d.size * 1800)::integer end as
            output_tokens,
        case when d.fate < 0.020 then 'error' when d.fate < 0.030 then 'timeout'
             when d.fate < 0.040 then 'rate_limited' else 'success' end as status
    from draws as d
    inner join models as m on d.pick * (select max(hi) from models) >= m.lo and d.pick * (select max(hi)
        from models) < m.hi
)
insert into public.ai_model_execution (
    request_id, operation_type, priority_level, provider, model_name, input_tokens, output_tokens,
        cached_tokens,
    latency_ms, queue_time_ms, cost_usd, budget_category, success_status, error_code, retry_count, created_at,
    completed_at
)
select
    'demo-' || %(tag)s || '-' || c.g,
    c.op,
    case when c.op = 'report_generation' and c.fate > 0.9 then 'high' else 'normal' end,
    c.provider, c.name,
    c.input_tokens,
    case when c.status = 'success' then c.output_tokens else 0 end,
    case when c.op = 'report_generation' and c.cache < 0.6 then (c.input_tokens * (0.3 +
        c.cache))::integer else 0 end,
    case when c.status = 'timeout' then 30000 else (120 + c.speed * 900 + c.output_tokens * 12)::integer end,
    (c.speed * 40)::integer,
    round(((c.input_tokens - case when c.op = 'report_generation' and c.cache < 0.6
                then (c.input_tokens * (0.3 + c.cache))::integer else 0 end) * c.input_per_m
        + case when c.op = 'report_generation' and c.cache < 0.6
                then (c.input_tokens * (0.3 + c.cache))::integer else 0 end * c.cached_per_m
        + case when c.status = 'success' then c.output_tokens else 0 end * c.output_per_m
    )::numeric / 1000000 * case when c.status in ('success', 'error') then 1 else 0 end, 8),
    'campaign',
    c.status,
    case c.status when 'error' then 'server_error' when 'timeout' then 'timeout' when 'rate_limited' then
        '429' end,
    case when c.status = 'success' and c.fate > 0.97 then 1 when c.status <> 'success' then 2 else 0 end,
    c.at,
    c.at + make_interval(secs => (120 + c.speed * 900 + c.output_tokens * 12) / 1000.0)
from calls as c
"""


def _models_sql() -> str:
    return ", ".join(
        f"({i}, '{m.provider}', '{m.name}', {m.input_per_m}, {m.cached_per_m}, {m.output_per_m}, {m.weight})"
        for i, m in enumerate(MODELS)
    )


def generate_executions(
    conn: psycopg.Connection, rows: int, start: datetime, end: datetime, seed: float = 0.42, tag: str = "run"
) -> int:
    """Inserts `rows` executions spread evenly (with jitter) over [start, end); returns the count.
    The partitions for the period must exist (ai_execution_ensure_partitions)."""
    if rows < 1 or rows > 50_000_000:
        raise BadInputError(f"rows must be between 1 and 50,000,000, got {rows}")
    if not start < end:
        raise BadInputError(f"the period must start before it ends: {start} .. {end}")
    if not -1 <= seed <= 1:
        raise BadInputError(f"seed must be between -1 and 1, got {seed}")
    conn.execute("select setseed(%s)", (seed,))
    cur = conn.execute(
        GENERATE.format(models=_models_sql()),  # type: ignore[arg-type]
        {"start": start, "end": end, "rows": rows, "tag": tag},
    )
    return cur.rowcount
