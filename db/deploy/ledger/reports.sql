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
