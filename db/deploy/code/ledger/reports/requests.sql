-- Deploy lokdarpan:code/ledger/reports/requests to pg
-- requires: ledger/reports
-- requires: code/common/helpers
-- ai_report_query_hash() and ai_report_request(): deduplicated report requests.

create or replace function public.ai_report_query_hash(
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

create or replace function public.ai_report_request(
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
            public.input_excerpt(p_depth)
            using errcode = 'invalid_parameter_value';
    end if;
    if p_strategic is null or length(p_strategic) > 20 or p_strategic not in ('defensive', 'neutral', 'offensive') then
        raise exception 'strategic context must be defensive, neutral or offensive, got %',
            public.input_excerpt(p_strategic)
            using errcode = 'invalid_parameter_value';
    end if;
    if p_priority is null or length(p_priority) > 20 or p_priority not in ('low', 'normal', 'high', 'critical') then
        raise exception 'priority must be low, normal, high or critical, got %',
            public.input_excerpt(p_priority)
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

revoke execute on function public.ai_report_request(integer, text, text, text, text, text, interval, numeric) from public;

grant execute on function public.ai_report_request(integer, text, text, text, text, text, interval, numeric)
to lokdarpan_app, lokdarpan_admin;
