-- Deploy lokdarpan:ledger/executions to pg
-- requires: users
-- The seed's ai_model_execution: one row per AI call (tokens, latency, cost), range-partitioned
-- by month on created_at (the seed's "Horizontal Scaling"). Monthly partitions are made ahead by
-- ai_execution_ensure_partitions() (our own maintenance function, not pg_partman: see
-- docs/ai-ledger.md); a default partition catches a row no partition covers, and
-- ai_ledger_checks() reports it when it is not empty. Derived columns are generated, so they
-- cannot disagree with the columns they derive from.

create table public.ai_model_execution (
    id bigint generated always as identity,
    request_id varchar(64) not null
    constraint chk_ai_model_execution_request_id check (request_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    parent_request_id varchar(64)
    constraint chk_ai_model_execution_parent_request_id check (parent_request_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    user_id integer,
    session_id varchar(64),
    operation_type varchar(32) not null
    constraint chk_ai_model_execution_operation_type check (operation_type ~ '^[a-z][a-z0-9_]{0,31}$'),
    operation_subtype varchar(32),
    priority_level varchar(16) not null default 'normal'
    constraint chk_ai_model_execution_priority check (priority_level in ('low', 'normal', 'high', 'critical')),
    provider varchar(32) not null
    constraint chk_ai_model_execution_provider check (provider ~ '^[a-z][a-z0-9_-]{0,31}$'),
    model_name varchar(64) not null
    constraint chk_ai_model_execution_model_name check (model_name = btrim(model_name) and model_name <> ''),
    model_version varchar(32),
    deployment_region varchar(32),
    input_tokens integer not null default 0
    constraint chk_ai_model_execution_input_tokens check (input_tokens >= 0),
    output_tokens integer not null default 0
    constraint chk_ai_model_execution_output_tokens check (output_tokens >= 0),
    total_tokens integer generated always as (input_tokens + output_tokens) stored,
    cached_tokens integer not null default 0,
    cache_hit_ratio double precision generated always as (
        case when input_tokens > 0 then cached_tokens::double precision / input_tokens end
    ) stored,
    latency_ms integer
    constraint chk_ai_model_execution_latency check (latency_ms >= 0),
    queue_time_ms integer
    constraint chk_ai_model_execution_queue_time check (queue_time_ms >= 0),
    processing_time_ms integer
    constraint chk_ai_model_execution_processing_time check (processing_time_ms >= 0),
    ttfb_ms integer
    constraint chk_ai_model_execution_ttfb check (ttfb_ms >= 0),
    cost_usd numeric(12, 8) not null default 0
    constraint chk_ai_model_execution_cost check (cost_usd >= 0)
    constraint chk_ai_model_execution_cost_usd_finite check (cost_usd <> 'NaN'),
    cost_breakdown jsonb,
    budget_category varchar(32),
    cost_per_token numeric(20, 10) generated always as (
        case when input_tokens + output_tokens > 0 then round(cost_usd / (input_tokens + output_tokens), 10) end
    ) stored,
    success_status varchar(16) not null
    constraint chk_ai_model_execution_success_status check (
        success_status in ('success', 'error', 'timeout', 'rate_limited')
    ),
    error_code varchar(32),
    error_message text,
    retry_count integer not null default 0
    constraint chk_ai_model_execution_retry_count check (retry_count between 0 and 100),
    quality_score double precision
    constraint chk_ai_model_execution_quality check (quality_score between 0 and 1),
    user_feedback_score double precision
    constraint chk_ai_model_execution_feedback check (user_feedback_score between 0 and 1),
    request_metadata jsonb,
    response_metadata jsonb,
    created_at timestamptz not null default public.lokdarpan_now(),
    completed_at timestamptz,
    constraint ai_model_execution_pkey primary key (id, created_at),
    constraint ai_model_execution_request_id_created_at_key unique (request_id, created_at),
    constraint fk_ai_model_execution_user foreign key (user_id) references public."user" (id) on delete set null,
    constraint chk_ai_model_execution_cached_tokens check (cached_tokens between 0 and input_tokens),
    constraint chk_ai_model_execution_completed check (completed_at >= created_at),
    constraint chk_ai_model_execution_error check ((success_status = 'success') = (error_code is null))
) partition by range (created_at);

comment on table public.ai_model_execution is
'Every AI model call: who asked, which provider and model, tokens, latency, cost and outcome (the seed''s '
'ai_model_execution). Partitioned by month on created_at; ai_execution_ensure_partitions() makes partitions ahead.';
comment on column public.ai_model_execution.id is 'Row id (unique with created_at, the partition key).';
comment on column public.ai_model_execution.request_id is 'The caller''s request id (a UUID for tracing); unique per created_at, as partitioning allows.';
comment on column public.ai_model_execution.parent_request_id is 'The request this call was made for (a chain of calls).';
comment on column public.ai_model_execution.user_id is 'The LokDarpan user the call was made for, if any.';
comment on column public.ai_model_execution.session_id is 'The application''s session id.';
comment on column public.ai_model_execution.operation_type is 'What the call was for: report_generation, embedding, retrieval, … (lower-case identifier).';
comment on column public.ai_model_execution.operation_subtype is 'A finer classification the application chooses.';
comment on column public.ai_model_execution.priority_level is 'low, normal, high or critical.';
comment on column public.ai_model_execution.provider is 'openai, anthropic, perplexity, google, … (lower-case).';
comment on column public.ai_model_execution.model_name is 'The provider''s model name.';
comment on column public.ai_model_execution.model_version is 'The model version or snapshot, when the provider gives one.';
comment on column public.ai_model_execution.deployment_region is 'The provider region that served the call.';
comment on column public.ai_model_execution.input_tokens is 'Prompt tokens billed (cached ones included).';
comment on column public.ai_model_execution.output_tokens is 'Completion tokens billed.';
comment on column public.ai_model_execution.total_tokens is 'input_tokens + output_tokens (generated: cannot disagree).';
comment on column public.ai_model_execution.cached_tokens is 'Prompt tokens served from the provider''s prompt cache (at most input_tokens).';
comment on column public.ai_model_execution.cache_hit_ratio is 'cached_tokens / input_tokens (generated; null without input tokens).';
comment on column public.ai_model_execution.latency_ms is 'Wall time of the call, milliseconds.';
comment on column public.ai_model_execution.queue_time_ms is 'Time queued before the call was sent, milliseconds.';
comment on column public.ai_model_execution.processing_time_ms is 'Provider processing time, milliseconds.';
comment on column public.ai_model_execution.ttfb_ms is 'Time to first byte, milliseconds.';
comment on column public.ai_model_execution.cost_usd is 'What the call cost, USD (8 decimals for micro-costs).';
comment on column public.ai_model_execution.cost_breakdown is 'Cost by component (input, cached input, output), as the application computed it.';
comment on column public.ai_model_execution.budget_category is 'The budget line the call is charged to (the application''s label).';
comment on column public.ai_model_execution.cost_per_token is 'cost_usd / total_tokens (generated; null without tokens).';
comment on column public.ai_model_execution.success_status is 'success, error, timeout or rate_limited; anything but success carries an error_code.';
comment on column public.ai_model_execution.error_code is 'The provider''s or the application''s error code; null exactly when the call succeeded.';
comment on column public.ai_model_execution.error_message is 'The error''s text.';
comment on column public.ai_model_execution.retry_count is 'How many times the call was retried before this outcome (0-100).';
comment on column public.ai_model_execution.quality_score is 'Automatic quality score, 0-1.';
comment on column public.ai_model_execution.user_feedback_score is 'The user''s rating, 0-1.';
comment on column public.ai_model_execution.request_metadata is 'Request parameters worth keeping (never secrets).';
comment on column public.ai_model_execution.response_metadata is 'Response metadata (finish reason, provider ids).';
comment on column public.ai_model_execution.created_at is 'When the call was made (the partition key; lokdarpan_now()).';
comment on column public.ai_model_execution.completed_at is 'When the call finished.';

create table public.ai_model_execution_default partition of public.ai_model_execution default;
comment on table public.ai_model_execution_default is
'Rows no monthly partition covers. Should stay empty: ai_ledger_checks() reports it when it is not, '
'and ai_execution_ensure_partitions() cannot make a month whose rows sit here.';

-- The seed's indexes (on the partitioned table, so on every partition).
create index ix_ai_exec_cost_analysis on public.ai_model_execution (created_at, provider, model_name) include (
    cost_usd, total_tokens, latency_ms, success_status
);
comment on index public.ix_ai_exec_cost_analysis is
'Cost by provider and model over a period: a time range first (the seed put provider first, which '
'cannot serve "the last 24 hours"), covering the columns the cost views read.';
create index ix_ai_exec_performance on public.ai_model_execution (operation_type, success_status, latency_ms);
comment on index public.ix_ai_exec_performance is 'Latency and outcomes by operation (the seed''s).';
create index ix_ai_exec_user_usage on public.ai_model_execution (user_id, created_at, total_tokens)
where user_id is not null;
comment on index public.ix_ai_exec_user_usage is 'A user''s usage over time (the seed''s).';
-- No index on id alone (issue 23): the primary key (id, created_at) finds an execution by id as well
-- (its leading column), and every insert paid an entry in a second index for nothing.

grant insert (
    request_id, parent_request_id, user_id, session_id, operation_type, operation_subtype, priority_level,
    provider, model_name, model_version, deployment_region, input_tokens, output_tokens, cached_tokens,
    latency_ms, queue_time_ms, processing_time_ms, ttfb_ms, cost_usd, cost_breakdown, budget_category,
    success_status, error_code, error_message, retry_count, quality_score, user_feedback_score,
    request_metadata, response_metadata, completed_at
) on public.ai_model_execution to lokdarpan_app;
grant update (quality_score, user_feedback_score) on public.ai_model_execution to lokdarpan_app;

-- Kept in this schema change: it makes ai_model_execution's first months below.
-- Monthly partitions ahead. SECURITY DEFINER so an admin (or a scheduler's login in
-- lokdarpan_admin) can run it without owning the table.
create function public.ai_execution_ensure_partitions(
    p_months_ahead integer default 3,
    p_from timestamptz default null
)
returns table (partition_name text, range_from timestamptz, range_to timestamptz, created boolean)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    first_month timestamptz;
    last_month timestamptz;
    m timestamptz;
    part text;
begin
    if p_months_ahead is null or p_months_ahead not between 0 and 36 then
        raise exception 'months ahead must be between 0 and 36, got %', p_months_ahead
            using errcode = 'invalid_parameter_value';
    end if;
    if p_from is not null and p_from < timestamptz '2000-01-01 00:00 UTC' then
        raise exception 'p_from % is before 2000', p_from using errcode = 'invalid_parameter_value';
    end if;
    -- Months are UTC months: a partition boundary does not move with the session's time zone.
    first_month := date_trunc('month', least(coalesce(p_from, public.lokdarpan_now()), public.lokdarpan_now()), 'UTC');
    last_month := date_trunc('month', public.lokdarpan_now(), 'UTC') + make_interval(months => p_months_ahead);
    if last_month - first_month > interval '10 years' then
        raise exception 'p_from % asks for more than 10 years of partitions', p_from
            using errcode = 'invalid_parameter_value';
    end if;
    m := first_month;
    while m <= last_month loop
        part := 'ai_model_execution_p' || to_char(m at time zone 'UTC', 'YYYY_MM');
        partition_name := part;
        range_from := m;
        range_to := m + interval '1 month';
        created := to_regclass('public.' || part) is null;
        if created then
            execute format(
                'create table public.%I partition of public.ai_model_execution for values from (%L) to (%L)',
                part, range_from, range_to
            );
            execute format(
                'comment on table public.%I is %L', part,
                'ai_model_execution for the UTC month from ' || range_from || ' (made by ai_execution_ensure_partitions()).'
            );
        end if;
        return next;
        m := m + interval '1 month';
    end loop;
end
$$;

comment on function public.ai_execution_ensure_partitions(integer, timestamptz) is
'Makes the monthly (UTC) partitions of ai_model_execution from the month of p_from (default: this month) '
'to p_months_ahead months ahead (0-36, default 3); returns every month with created = true for the new '
'ones. Idempotent. Admins and the deployer; run it daily from a scheduler.';
revoke execute on function public.ai_execution_ensure_partitions(integer, timestamptz) from public;
grant execute on function public.ai_execution_ensure_partitions(integer, timestamptz) to lokdarpan_admin;

select count(*) from public.ai_execution_ensure_partitions(3);
