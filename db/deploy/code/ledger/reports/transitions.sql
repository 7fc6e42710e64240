-- Deploy lokdarpan:code/ledger/reports/transitions to pg
-- requires: ledger/reports
-- requires: code/ledger/reports/claims
-- requires: code/common/helpers
-- ai_report_check_transition trigger and ai_report_transition(): legal status transitions only.

create or replace function public.ai_report_check_transition()
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

drop trigger if exists ai_report_check_transition on public.ai_geopolitical_report;
create trigger ai_report_check_transition before update of status on public.ai_geopolitical_report
for each row execute function public.ai_report_check_transition();

create or replace function public.ai_report_transition(
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
            public.input_excerpt(p_to)
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

revoke execute on function public.ai_report_transition(bigint, text, uuid, jsonb) from public;

grant execute on function public.ai_report_transition(bigint, text, uuid, jsonb) to lokdarpan_app, lokdarpan_admin;
