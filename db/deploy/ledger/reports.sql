-- Deploy lokdarpan:ledger/reports to pg
-- requires: users
-- The seed's ai_geopolitical_report with its lifecycle enforced by the database:
--   queued -> processing -> completed | failed;  failed -> queued (retry);  processing -> queued
--   (a worker gives it back);  queued | completed | failed -> archived.
-- Workers claim with ai_report_claim() (FOR UPDATE SKIP LOCKED: two workers never get the same
-- report) under a lease of 10 seconds to 24 hours and get a secret lease token (only its sha256 is
-- stored); a report whose lease ran out is claimable again, and only the holder of the token may
-- renew, complete, fail or give it back. ai_report_request() returns a fresh completed (or in-flight) report for
-- the same question instead of paying for it again. A trigger refuses every other transition, even
-- from an admin writing the table directly.

create table public.ai_geopolitical_report (
    id bigint generated always as identity
    constraint ai_geopolitical_report_pkey primary key,
    report_uuid uuid not null default gen_random_uuid()
    constraint ai_geopolitical_report_report_uuid_key unique,
    user_id integer not null
    constraint fk_ai_geopolitical_report_user references public."user" (id),
    query_text text not null
    constraint chk_ai_geopolitical_report_query_text check (length(query_text) between 1 and 4000),
    query_hash varchar(64) not null
    constraint chk_ai_geopolitical_report_query_hash check (query_hash ~ '^[0-9a-f]{64}$'),
    ward_context varchar(120),
    region_context varchar(64) not null default 'hyderabad',
    analysis_depth varchar(16) not null default 'standard'
    constraint chk_ai_geopolitical_report_depth check (analysis_depth in ('quick', 'standard', 'deep')),
    strategic_context varchar(16) not null default 'neutral'
    constraint chk_ai_geopolitical_report_strategic check (strategic_context in ('defensive', 'neutral', 'offensive')),
    status varchar(16) not null default 'queued'
    constraint chk_ai_geopolitical_report_status check (
        status in ('queued', 'processing', 'completed', 'failed', 'archived')
    ),
    processing_stage varchar(32),
    priority_level varchar(16) not null default 'normal'
    constraint chk_ai_geopolitical_report_priority check (priority_level in ('low', 'normal', 'high', 'critical')),
    estimated_cost_usd numeric(10, 6)
    constraint chk_ai_geopolitical_report_estimated_cost_usd_finite check (estimated_cost_usd <> 'NaN'),
    report_title varchar(512),
    executive_summary text,
    key_findings jsonb,
    timeline_analysis jsonb,
    strategic_implications jsonb,
    scenario_analysis jsonb,
    recommendations jsonb,
    full_report_markdown text,
    report_metadata jsonb,
    source_urls jsonb,
    citation_count integer not null default 0,
    evidence_quality_score double precision
    constraint chk_ai_geopolitical_report_evidence_quality_score_finite check (evidence_quality_score not in ('NaN', 'Infinity', '-Infinity')),
    fact_check_results jsonb,
    credibility_assessment jsonb,
    models_used jsonb,
    total_cost_usd numeric(10, 6)
    constraint chk_ai_geopolitical_report_total_cost_usd_finite check (total_cost_usd <> 'NaN'),
    cost_breakdown jsonb,
    processing_time_seconds integer,
    total_tokens_used integer,
    confidence_score double precision
    constraint chk_ai_geopolitical_report_confidence check (confidence_score between 0 and 1),
    quality_indicators jsonb,
    validation_checks jsonb,
    automated_flags jsonb,
    human_review_status varchar(16),
    user_feedback jsonb,
    requested_at timestamptz not null default public.lokdarpan_now(),
    started_processing_at timestamptz,
    completed_at timestamptz,
    last_accessed_at timestamptz,
    expires_at timestamptz,
    access_count integer not null default 0,
    download_count integer not null default 0,
    shared_count integer not null default 0,
    is_archived boolean generated always as (status = 'archived') stored,
    archive_reason varchar(64),
    lease_owner varchar(64),
    lease_expires_at timestamptz,
    lease_token_sha256 bytea
    constraint chk_ai_geopolitical_report_lease_token check (
        lease_token_sha256 is null or (status = 'processing' and length(lease_token_sha256) = 32)
    ),
    attempt_count integer not null default 0,
    failure_reason text,
    previous_status varchar(16),
    constraint chk_ai_geopolitical_report_lease check (
        (status = 'processing') = (lease_owner is not null and lease_expires_at is not null)
    ),
    constraint chk_ai_geopolitical_report_completed check ((status = 'completed') <= (completed_at is not null))
);

comment on table public.ai_geopolitical_report is
'AI intelligence reports users request (the seed''s ai_geopolitical_report). Status moves only '
'queued -> processing -> completed | failed (failed -> queued to retry, -> archived at the end), through '
'ai_report_request/claim/transition; a trigger refuses anything else.';
comment on column public.ai_geopolitical_report.id is 'Report id.';
comment on column public.ai_geopolitical_report.report_uuid is 'Public identifier of the report.';
comment on column public.ai_geopolitical_report.user_id is 'Who asked.';
comment on column public.ai_geopolitical_report.query_text is 'The question (1-4000 characters).';
comment on column public.ai_geopolitical_report.query_hash is 'sha256 of the normalised question, ward, region, depth and context: the same question has the same hash.';
comment on column public.ai_geopolitical_report.ward_context is 'The ward the question is about.';
comment on column public.ai_geopolitical_report.region_context is 'The region (default hyderabad).';
comment on column public.ai_geopolitical_report.analysis_depth is 'quick, standard or deep.';
comment on column public.ai_geopolitical_report.strategic_context is 'defensive, neutral or offensive.';
comment on column public.ai_geopolitical_report.status is 'queued, processing, completed, failed or archived (transitions enforced).';
comment on column public.ai_geopolitical_report.processing_stage is 'The worker''s current stage (free text).';
comment on column public.ai_geopolitical_report.priority_level is 'low, normal, high or critical: claimed highest first.';
comment on column public.ai_geopolitical_report.estimated_cost_usd is 'The estimate made when it was queued.';
comment on column public.ai_geopolitical_report.report_title is 'Generated title.';
comment on column public.ai_geopolitical_report.executive_summary is 'Generated summary.';
comment on column public.ai_geopolitical_report.key_findings is 'Generated findings.';
comment on column public.ai_geopolitical_report.timeline_analysis is 'Generated timeline.';
comment on column public.ai_geopolitical_report.strategic_implications is 'Generated implications.';
comment on column public.ai_geopolitical_report.scenario_analysis is 'Generated scenarios.';
comment on column public.ai_geopolitical_report.recommendations is 'Generated recommendations.';
comment on column public.ai_geopolitical_report.full_report_markdown is 'The whole report, Markdown.';
comment on column public.ai_geopolitical_report.report_metadata is 'Worker-supplied metadata.';
comment on column public.ai_geopolitical_report.source_urls is 'Sources cited.';
comment on column public.ai_geopolitical_report.citation_count is 'Number of citations.';
comment on column public.ai_geopolitical_report.evidence_quality_score is 'Evidence quality, worker-computed.';
comment on column public.ai_geopolitical_report.fact_check_results is 'Fact-check results.';
comment on column public.ai_geopolitical_report.credibility_assessment is 'Credibility assessment.';
comment on column public.ai_geopolitical_report.models_used is 'Models used.';
comment on column public.ai_geopolitical_report.total_cost_usd is 'What generating it cost.';
comment on column public.ai_geopolitical_report.cost_breakdown is 'Cost by step.';
comment on column public.ai_geopolitical_report.processing_time_seconds is 'Seconds from the last claim to completion (set by the database).';
comment on column public.ai_geopolitical_report.total_tokens_used is 'Tokens used.';
comment on column public.ai_geopolitical_report.confidence_score is 'Confidence, 0-1.';
comment on column public.ai_geopolitical_report.quality_indicators is 'Quality indicators.';
comment on column public.ai_geopolitical_report.validation_checks is 'Validation results.';
comment on column public.ai_geopolitical_report.automated_flags is 'Automated flags.';
comment on column public.ai_geopolitical_report.human_review_status is 'Human review state.';
comment on column public.ai_geopolitical_report.user_feedback is 'The user''s feedback.';
comment on column public.ai_geopolitical_report.requested_at is 'When it was requested.';
comment on column public.ai_geopolitical_report.started_processing_at is 'When a worker last claimed it (set by the database).';
comment on column public.ai_geopolitical_report.completed_at is 'When it completed or failed (set by the database).';
comment on column public.ai_geopolitical_report.last_accessed_at is 'When it was last returned to a requester.';
comment on column public.ai_geopolitical_report.expires_at is 'After this it is no longer served as fresh.';
comment on column public.ai_geopolitical_report.access_count is 'Times it was returned to a requester.';
comment on column public.ai_geopolitical_report.download_count is 'Downloads.';
comment on column public.ai_geopolitical_report.shared_count is 'Shares.';
comment on column public.ai_geopolitical_report.is_archived is 'status = archived (generated, the seed''s flag).';
comment on column public.ai_geopolitical_report.archive_reason is 'Why it was archived.';
comment on column public.ai_geopolitical_report.lease_owner is 'The worker processing it (set exactly while processing).';
comment on column public.ai_geopolitical_report.lease_expires_at is 'When the worker''s lease ends; after it another worker may claim the report.';
comment on column public.ai_geopolitical_report.lease_token_sha256 is
'sha256 of the secret lease token ai_report_claim() returned to the worker (never the token itself: every '
'project role may read this table). Completing, failing, renewing or giving back the report needs the token.';
comment on column public.ai_geopolitical_report.attempt_count is 'How many times it was claimed.';
comment on column public.ai_geopolitical_report.failure_reason is 'Why it failed, last time.';
comment on column public.ai_geopolitical_report.previous_status is 'The status before the last transition.';

create index ix_report_active_by_user on public.ai_geopolitical_report (user_id, status, requested_at)
where status in ('completed', 'processing');
comment on index public.ix_report_active_by_user is 'A user''s live reports (the seed''s; archived is a status now).';
create index ix_report_ward_analysis on public.ai_geopolitical_report (ward_context, completed_at, confidence_score)
where ward_context is not null and status = 'completed';
comment on index public.ix_report_ward_analysis is 'Completed reports of a ward (the seed''s).';
create index ix_report_cleanup_candidates on public.ai_geopolitical_report (expires_at, last_accessed_at)
where status <> 'archived';
comment on index public.ix_report_cleanup_candidates is
'Unarchived reports by expiry and last access. The seed''s predicate compared with NOW(), which an index '
'may not (its functions must be immutable): the time condition belongs in the query.';
create index ix_report_queue on public.ai_geopolitical_report (
    (case priority_level when 'critical' then 0 when 'high' then 1 when 'normal' then 2 else 3 end), requested_at, id
) where status = 'queued';
comment on index public.ix_report_queue is 'The queue in claiming order: priority, then age.';
create index ix_report_leases on public.ai_geopolitical_report (lease_expires_at) where status = 'processing';
comment on index public.ix_report_leases is 'Reports being processed by lease end, to reclaim expired leases.';
create unique index ux_report_in_flight on public.ai_geopolitical_report (query_hash)
where status in ('queued', 'processing');
comment on index public.ux_report_in_flight is 'One report in flight per question: a second request joins it.';
create index ix_report_fresh on public.ai_geopolitical_report (query_hash, completed_at) where status = 'completed';
comment on index public.ix_report_fresh is 'The latest completed report of a question.';

create function public.ai_report_check_transition()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if new.status is distinct from old.status and not (
        (old.status, new.status) in (
            ('queued', 'processing'), ('processing', 'completed'), ('processing', 'failed'),
            ('processing', 'queued'), ('failed', 'queued'),
            ('queued', 'archived'), ('completed', 'archived'), ('failed', 'archived')
        )
    ) then
        raise exception 'report %: illegal transition % -> %', old.id, old.status, new.status
            using errcode = 'object_not_in_prerequisite_state',
            hint = 'allowed: queued -> processing -> completed | failed; failed -> queued; processing -> queued; '
            'queued | completed | failed -> archived';
    end if;
    if new.status is distinct from old.status then
        new.previous_status := old.status;
    end if;
    if new.status is distinct from 'processing' then
        new.lease_token_sha256 := null;  -- a lease token dies with the lease
    end if;
    return new;
end
$$;
comment on function public.ai_report_check_transition() is
'Trigger on ai_geopolitical_report: refuses a status change the lifecycle does not allow (55000), '
'records the previous status and forgets the lease token when the report leaves processing.';

create trigger ai_report_check_transition before update of status on public.ai_geopolitical_report
for each row execute function public.ai_report_check_transition();

create function public.ai_report_query_hash(
    p_query text, p_ward text, p_region text, p_depth text, p_strategic text
)
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select encode(sha256(convert_to(concat_ws(
        e'\x1f', lower(regexp_replace(btrim(p_query), '\s+', ' ', 'g')), lower(btrim(coalesce(p_ward, ''))),
        lower(btrim(coalesce(p_region, 'hyderabad'))), coalesce(p_depth, 'standard'), coalesce(p_strategic, 'neutral')
    ), 'UTF8')), 'hex')
$$;
comment on function public.ai_report_query_hash(text, text, text, text, text) is
'The query_hash of a question: sha256 of its text (trimmed, spaces collapsed, lower case), ward, region, '
'depth and strategic context. Anyone.';

create function public.ai_report_request(
    p_user_id integer,
    p_query text,
    p_ward text default null,
    p_depth text default 'standard',
    p_strategic text default 'neutral',
    p_priority text default 'normal',
    p_fresh_for interval default interval '24 hours',
    p_estimated_cost_usd numeric default null
)
returns table (report_id bigint, report_uuid uuid, status text, reused boolean)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    h text;
    t timestamptz := public.lokdarpan_clock_now();
    rep record;
begin
    if p_query is null or length(p_query) not between 1 and 4000 then
        raise exception 'query must have 1 to 4000 characters, got %', coalesce(length(p_query), 0)
            using errcode = 'invalid_parameter_value';
    end if;
    if p_ward is not null and length(p_ward) > 120 then
        raise exception 'ward context has % characters; at most 120', length(p_ward) using errcode = 'invalid_parameter_value';
    end if;
    if p_depth is null or length(p_depth) > 20 or p_depth not in ('quick', 'standard', 'deep') then
        raise exception 'analysis depth must be quick, standard or deep, got %',
            case when length(p_depth) > 20 then quote_literal(left(p_depth, 20)) || '... (' || length(p_depth) || ' characters)'
            else quote_nullable(p_depth) end
            using errcode = 'invalid_parameter_value';
    end if;
    if p_strategic is null or length(p_strategic) > 20 or p_strategic not in ('defensive', 'neutral', 'offensive') then
        raise exception 'strategic context must be defensive, neutral or offensive, got %',
            case when length(p_strategic) > 20 then quote_literal(left(p_strategic, 20)) || '... (' || length(p_strategic) || ' characters)'
            else quote_nullable(p_strategic) end
            using errcode = 'invalid_parameter_value';
    end if;
    if p_priority is null or length(p_priority) > 20 or p_priority not in ('low', 'normal', 'high', 'critical') then
        raise exception 'priority must be low, normal, high or critical, got %',
            case when length(p_priority) > 20 then quote_literal(left(p_priority, 20)) || '... (' || length(p_priority) || ' characters)'
            else quote_nullable(p_priority) end
            using errcode = 'invalid_parameter_value';
    end if;
    if p_fresh_for is null or p_fresh_for < interval '0' or p_fresh_for > interval '365 days' then
        raise exception 'freshness must be between 0 and 365 days, got %', p_fresh_for
            using errcode = 'invalid_parameter_value';
    end if;
    if p_estimated_cost_usd < 0 or p_estimated_cost_usd > 9999 then
        raise exception 'estimated cost must be between 0 and 9999 USD, got %', p_estimated_cost_usd
            using errcode = 'invalid_parameter_value';
    end if;
    h := public.ai_report_query_hash(p_query, p_ward, 'hyderabad', p_depth, p_strategic);

    -- A fresh completed report answers the question again, for nothing.
    update public.ai_geopolitical_report as r set
        access_count = r.access_count + 1, last_accessed_at = t
    where r.id = (
        select x.id from public.ai_geopolitical_report as x
        where x.query_hash = h and x.status = 'completed' and x.completed_at > t - p_fresh_for
            and (x.expires_at is null or x.expires_at > t)
        order by x.completed_at desc
        limit 1
    )
    returning r.id, r.report_uuid, r.status into rep;
    if found then
        return query select rep.id, rep.report_uuid, rep.status::text, true;
        return;
    end if;

    -- Otherwise join the one in flight, or queue it (the unique index settles a race between two requests).
    loop
        select x.id, x.report_uuid, x.status into rep from public.ai_geopolitical_report as x
        where x.query_hash = h and x.status in ('queued', 'processing');
        if found then
            return query select rep.id, rep.report_uuid, rep.status::text, true;
            return;
        end if;
        insert into public.ai_geopolitical_report as r (
            user_id, query_text, query_hash, ward_context, analysis_depth, strategic_context, priority_level,
            estimated_cost_usd, requested_at
        ) values (p_user_id, p_query, h, p_ward, p_depth, p_strategic, p_priority, p_estimated_cost_usd, t)
        on conflict (query_hash) where status in ('queued', 'processing') do nothing
        returning r.id, r.report_uuid, r.status into rep;
        if found then
            return query select rep.id, rep.report_uuid, rep.status::text, false;
            return;
        end if;
    end loop;
end
$$;
comment on function public.ai_report_request(integer, text, text, text, text, text, interval, numeric) is
'Asks for a report. Returns a completed report of the same question (query_hash) finished within p_fresh_for '
'(default 24 hours) and not expired, or the one already queued or processing (reused = true); else queues a '
'new one (reused = false). lokdarpan_app and admins.';

create function public.ai_report_lease(p_lease interval)
returns interval
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    secs numeric := extract(epoch from p_lease);
begin
    -- Months count as 30 days here, and the lease is applied as the exact number of seconds, so
    -- '1 mon -30 days' cannot turn into a negative lease in a short month.
    if secs is null or secs < 10 or secs > 86400 then
        raise exception 'lease must be between 10 seconds and 24 hours, got %', coalesce(p_lease::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    return make_interval(secs => secs);
end
$$;
comment on function public.ai_report_lease(interval) is
'A report lease checked and normalised: between 10 seconds and 24 hours (22023 naming the value otherwise, '
'null included), returned as that many seconds. Anyone.';

create function public.ai_report_claim(
    p_worker text,
    p_limit integer default 1,
    p_lease interval default interval '5 minutes'
)
returns table (
    id bigint,
    report_uuid uuid,
    user_id integer,
    query_text text,
    ward_context text,
    region_context text,
    analysis_depth text,
    strategic_context text,
    priority_level text,
    estimated_cost_usd numeric,
    attempt_count integer,
    lease_owner text,
    lease_expires_at timestamptz,
    lease_token uuid
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
    t timestamptz := public.lokdarpan_clock_now();
    lease interval;
begin
    if p_worker is null or length(p_worker) > 64 or p_worker !~ '^[A-Za-z0-9._:@-]{1,64}$' then
        raise exception 'worker must be 1-64 letters, digits or ._:@-, got %',
            case when length(p_worker) > 64 then length(p_worker) || ' characters' else quote_nullable(p_worker) end
            using errcode = 'invalid_parameter_value';
    end if;
    if p_limit is null or p_limit not between 1 and 1000 then
        raise exception 'limit must be between 1 and 1000, got %', p_limit using errcode = 'invalid_parameter_value';
    end if;
    lease := public.ai_report_lease(p_lease);
    -- Expired leases first go back to the queue (their worker is presumed dead) …
    update public.ai_geopolitical_report as r set
        status = 'queued', lease_owner = null, lease_expires_at = null, lease_token_sha256 = null,
        failure_reason = 'lease of ' || r.lease_owner || ' expired at ' || r.lease_expires_at
    where r.id in (
        select x.id from public.ai_geopolitical_report as x
        where x.status = 'processing' and x.lease_expires_at <= t
        for update skip locked
    );
    -- … then the queue is claimed in priority order; rows another worker holds are skipped. Each
    -- claimed report gets a fresh random token; the table keeps only its sha256.
    return query
    with picked as materialized (
        select x.id, pg_catalog.gen_random_uuid() as token
        from public.ai_geopolitical_report as x
        where x.status = 'queued'
        order by case x.priority_level when 'critical' then 0 when 'high' then 1 when 'normal' then 2 else 3 end,
            x.requested_at, x.id
        limit p_limit
        for update skip locked
    )

    update public.ai_geopolitical_report as r set
        status = 'processing', lease_owner = p_worker, lease_expires_at = t + lease,
        lease_token_sha256 = pg_catalog.sha256(pg_catalog.uuid_send(p.token)),
        started_processing_at = t, attempt_count = r.attempt_count + 1
    from picked as p
    where r.id = p.id
    returning r.id, r.report_uuid, r.user_id, r.query_text, r.ward_context::text, r.region_context::text,
        r.analysis_depth::text, r.strategic_context::text, r.priority_level::text, r.estimated_cost_usd::numeric,
        r.attempt_count, r.lease_owner::text, r.lease_expires_at, p.token;
end
$$;
comment on function public.ai_report_claim(text, integer, interval) is
'A worker takes up to p_limit queued reports (highest priority, then oldest) under a lease (default 5 '
'minutes, 10 seconds to 24 hours): FOR UPDATE SKIP LOCKED, so concurrent workers never get the same report. '
'Returns what the worker needs to do the work and lease_token, a secret uuid it must pass to '
'ai_report_transition() to renew, complete, fail or give back the report (only its sha256 is stored). Reports '
'whose lease expired are queued again first. lokdarpan_app and admins.';

create function public.ai_report_transition(
    p_report_id bigint,
    p_to text,
    p_lease_token uuid default null,
    p_detail jsonb default '{}'
)
returns public.ai_geopolitical_report
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    r public.ai_geopolitical_report;
    c public.ai_geopolitical_report;
    t timestamptz := public.lokdarpan_clock_now();
    lease_text text;
    lease interval := interval '5 minutes';
begin
    if p_to is null or length(p_to) > 16 or p_to not in ('processing', 'completed', 'failed', 'queued', 'archived') then
        raise exception 'status must be processing, completed, failed, queued or archived, got %',
            case when length(p_to) > 16 then quote_literal(left(p_to, 16)) || '... (' || length(p_to) || ' characters)'
            else quote_nullable(p_to) end
            using errcode = 'invalid_parameter_value';
    end if;
    if p_detail is null or jsonb_typeof(p_detail) <> 'object' or pg_column_size(p_detail) > 4000000 then
        raise exception 'detail must be a JSON object of at most 4 MB' using errcode = 'invalid_parameter_value';
    end if;
    if p_detail ? 'lease' then
        lease_text := p_detail ->> 'lease';
        if lease_text is null or length(lease_text) > 40 then
            raise exception 'detail.lease must be an interval of 10 seconds to 24 hours, got %',
                case when lease_text is null then 'null' else length(lease_text) || ' characters' end
                using errcode = 'invalid_parameter_value';
        end if;
        begin
            lease := lease_text::interval;
        exception when data_exception then
            raise exception 'detail.lease must be an interval of 10 seconds to 24 hours, got %', quote_literal(lease_text)
                using errcode = 'invalid_parameter_value';
        end;
    end if;
    lease := public.ai_report_lease(lease);
    select * into r from public.ai_geopolitical_report as x where x.id = p_report_id for update;
    if not found then
        raise exception 'unknown report: %', p_report_id using errcode = 'no_data_found';
    end if;
    -- Whoever holds the lease token, and only they, renew, finish or give back a report being
    -- processed. The worker's name is public (lease_owner); the token is not.
    if r.status = 'processing' and p_to in ('processing', 'completed', 'failed', 'queued') and (
        p_lease_token is null or r.lease_token_sha256 is null
        or r.lease_token_sha256 <> pg_catalog.sha256(pg_catalog.uuid_send(p_lease_token))
    ) then
        raise exception 'report % is leased to %; %', r.id, r.lease_owner,
            case when p_lease_token is null then 'no lease token given'
            else 'the lease token given is not the one ai_report_claim() returned' end
            using errcode = 'object_not_in_prerequisite_state',
            hint = 'pass the lease_token that ai_report_claim() returned with the report';
    end if;
    if r.status = p_to and p_to <> 'processing' then
        raise exception 'report %: illegal transition % -> %', r.id, r.status, p_to
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    if r.status = 'processing' and r.lease_expires_at <= t and p_to <> 'queued' then
        raise exception 'report %: the lease of % expired at %; it may have been given to another worker',
            r.id, r.lease_owner, r.lease_expires_at using errcode = 'object_not_in_prerequisite_state';
    end if;
    if p_to = 'processing' then
        if r.status = 'queued' then
            raise exception 'report % is queued: claim it with ai_report_claim(), which returns its lease token', r.id
                using errcode = 'object_not_in_prerequisite_state';
        end if;
        -- Renewal by the token holder (any other status: the trigger names the illegal transition).
        update public.ai_geopolitical_report as x set
            status = 'processing', lease_expires_at = t + lease,
            processing_stage = coalesce(left(p_detail ->> 'stage', 32), x.processing_stage)
        where x.id = r.id returning x.* into r;
    elsif p_to = 'completed' then
        c := jsonb_populate_record(null::public.ai_geopolitical_report, p_detail);
        update public.ai_geopolitical_report as x set
            status = 'completed', lease_owner = null, lease_expires_at = null, lease_token_sha256 = null,
            completed_at = t,
            processing_time_seconds = extract(epoch from t - x.started_processing_at)::integer,
            processing_stage = null, failure_reason = null,
            report_title = c.report_title, executive_summary = c.executive_summary, key_findings = c.key_findings,
            timeline_analysis = c.timeline_analysis, strategic_implications = c.strategic_implications,
            scenario_analysis = c.scenario_analysis, recommendations = c.recommendations,
            full_report_markdown = c.full_report_markdown, report_metadata = c.report_metadata,
            source_urls = c.source_urls, citation_count = coalesce(c.citation_count, 0),
            evidence_quality_score = c.evidence_quality_score, fact_check_results = c.fact_check_results,
            credibility_assessment = c.credibility_assessment, models_used = c.models_used,
            total_cost_usd = c.total_cost_usd, cost_breakdown = c.cost_breakdown,
            total_tokens_used = c.total_tokens_used, confidence_score = c.confidence_score,
            quality_indicators = c.quality_indicators, validation_checks = c.validation_checks,
            automated_flags = c.automated_flags, expires_at = c.expires_at
        where x.id = r.id returning x.* into r;
    elsif p_to = 'failed' then
        update public.ai_geopolitical_report as x set
            status = 'failed', lease_owner = null, lease_expires_at = null, lease_token_sha256 = null,
            completed_at = t, failure_reason = left(coalesce(p_detail ->> 'reason', 'unspecified'), 2000)
        where x.id = r.id returning x.* into r;
    elsif p_to = 'queued' then
        update public.ai_geopolitical_report as x set
            status = 'queued', lease_owner = null, lease_expires_at = null, lease_token_sha256 = null,
            completed_at = null, failure_reason = coalesce(left(p_detail ->> 'reason', 2000), x.failure_reason)
        where x.id = r.id returning x.* into r;
    else
        update public.ai_geopolitical_report as x set
            status = 'archived', archive_reason = left(coalesce(p_detail ->> 'reason', 'archived'), 64)
        where x.id = r.id returning x.* into r;
    end if;
    return r;
end
$$;
comment on function public.ai_report_transition(bigint, text, uuid, jsonb) is
'Moves a report along its lifecycle and sets its timestamps. A report being processed is renewed '
'(processing: p_detail.lease, 10 seconds to 24 hours, default 5 minutes, and p_detail.stage), completed '
'(p_detail holds the content columns by name; before the lease ends), failed (p_detail.reason) or given back '
'(queued) only with the secret p_lease_token that ai_report_claim() returned, not by naming the worker. Also '
'queued (retry a failed report) and archived (p_detail.reason). Queued reports are claimed with '
'ai_report_claim(). An illegal transition raises 55000 naming it. lokdarpan_app and admins.';

revoke execute on function public.ai_report_request(integer, text, text, text, text, text, interval, numeric) from public;
revoke execute on function public.ai_report_claim(text, integer, interval) from public;
revoke execute on function public.ai_report_transition(bigint, text, uuid, jsonb) from public;
grant execute on function public.ai_report_request(integer, text, text, text, text, text, interval, numeric)
to lokdarpan_app, lokdarpan_admin;
grant execute on function public.ai_report_claim(text, integer, interval) to lokdarpan_app, lokdarpan_admin;
grant execute on function public.ai_report_transition(bigint, text, uuid, jsonb) to lokdarpan_app, lokdarpan_admin;
