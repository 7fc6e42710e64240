-- Deploy lokdarpan:code/electoral/constituencies/load to pg
-- requires: code/electoral/constituencies/merge
-- requires: code/electoral/constituencies/overlaps
-- constituency_merge(): `import constituencies` in one call (boundaries, overrides, the ward overlaps
-- recomputed), and ward_constituency_recompute_report(): what the recompute changed.

create or replace function public.ward_constituency_recompute_report(p_sliver numeric default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
as $$
begin
    if p_sliver = 'NaN'::numeric or p_sliver < 0 or p_sliver >= 0.5 then
        raise exception 'ward_constituency_recompute_report: sliver threshold must be in [0, 0.5), got %', p_sliver
            using errcode = '22023';
    end if;
    -- The threshold is shared by everybody who recomputes: giving one changes the setting, which only
    -- admins may (an analyst gets permission denied, issue 18).
    if p_sliver is not null then
        update public.electoral_setting set sliver_threshold = p_sliver;
    end if;
    drop table if exists pg_temp.wcr_before;
    create temporary table wcr_before on commit drop as
    select wc.ward_id, wc.constituency_id, wc.ward_fraction, wc.method from public.ward_constituency as wc;
    drop table if exists pg_temp.wcr_result;
    create temporary table wcr_result on commit drop as
    select r.ward_id, r.constituencies, r.dropped_slivers, r.method
    from public.compute_ward_constituency() as r;

    return jsonb_build_object(
        'sliver', (select s.sliver_threshold from public.electoral_setting as s),
        'wards_assigned', (select count(*) from pg_temp.wcr_result),
        'wards_split', coalesce((
            select jsonb_object_agg(r.ward_id, (
                select jsonb_agg(c.number order by wc.ward_fraction desc, c.number)
                from public.ward_constituency as wc
                inner join public.constituency as c on wc.constituency_id = c.constituency_id
                where wc.ward_id = r.ward_id
            ))
            from pg_temp.wcr_result as r
            where r.constituencies > 1
        ), '{}'::jsonb),
        'slivers_dropped', (select coalesce(sum(r.dropped_slivers), 0) from pg_temp.wcr_result as r),
        'wards_with_slivers', coalesce((
            select jsonb_object_agg(r.ward_id, r.dropped_slivers) from pg_temp.wcr_result as r where r.dropped_slivers > 0
        ), '{}'::jsonb),
        'overrides_applied', coalesce((
            select jsonb_agg(r.ward_id order by r.ward_id) from pg_temp.wcr_result as r where r.method = 'override'
        ), '[]'::jsonb),
        'wards_without_constituency', coalesce((
            select jsonb_agg(w.ward_id || ' ' || w.name || case when w.boundary is null then ' (no boundary)' else '' end
                order by w.ward_id)
            from public.ward as w
            where not exists (select from public.ward_constituency as wc where wc.ward_id = w.ward_id)
        ), '[]'::jsonb),
        'assignments_changed', (
            select count(distinct coalesce(a.ward_id, b.ward_id))
            from public.ward_constituency as a
            full join pg_temp.wcr_before as b on a.ward_id = b.ward_id and a.constituency_id = b.constituency_id
            where a.ward_id is null or b.ward_id is null
                or (a.ward_fraction, a.method) is distinct from (b.ward_fraction, b.method)
        )
    );
end
$$;

comment on function public.ward_constituency_recompute_report(numeric) is
'Recomputes ward_constituency (compute_ward_constituency()), first setting the shared sliver threshold to '
'p_sliver when given (admins only: 42501 otherwise), and returns JSON: sliver, wards_assigned, wards_split '
'({ward_id: [AC numbers, largest share first]}), slivers_dropped, wards_with_slivers ({ward_id: n}), '
'overrides_applied, wards_without_constituency ("id name", "(no boundary)" when it has none), '
'assignments_changed (wards whose rows changed). 22023 for a threshold outside [0, 0.5) or NaN.';

create or replace function public.constituency_merge(
    p_state_code text,
    p_boundaries_source text,
    p_overrides_source text default null,
    p_allow_removal boolean default false,
    p_sliver numeric default null,
    p_require_wards boolean default true,
    p_max_listed integer default 1000
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v_wards bigint;
    v_boundaries jsonb;
    v_overrides jsonb;
    v_recompute jsonb;
begin
    if p_require_wards is null then
        raise exception 'constituency_merge: require_wards must be true or false, got null'
            using errcode = '22023';
    end if;
    if p_sliver = 'NaN'::numeric or p_sliver < 0 or p_sliver >= 0.5 then
        raise exception 'constituency_merge: sliver threshold must be in [0, 0.5), got %', p_sliver
            using errcode = '22023';
    end if;
    select count(*) into v_wards from public.ward;
    if v_wards = 0 and p_require_wards then
        raise exception 'the ward registry is empty: load the wards first (`lokdarpan-db import wards`), then import constituencies'
            using errcode = '55000';
    end if;
    v_boundaries := public.constituency_boundaries_merge(p_state_code, p_boundaries_source);
    if v_wards > 0 then
        if p_overrides_source is not null then
            v_overrides := public.ward_constituency_override_merge(
                p_state_code, p_overrides_source, p_allow_removal, p_max_listed
            );
        end if;
        v_recompute := public.ward_constituency_recompute_report(p_sliver);
    end if;
    return jsonb_build_object(
        'wards', v_wards, 'boundaries', v_boundaries, 'overrides', v_overrides, 'recompute', v_recompute
    );
end
$$;

comment on function public.constituency_merge(text, text, text, boolean, numeric, boolean, integer) is
'`import constituencies` in one call, after the importer staged its files: constituency_boundaries_merge() '
'of the staged features (source p_boundaries_source), then, when the ward registry has wards, '
'ward_constituency_override_merge() of the staged overrides (only when p_overrides_source is given) and '
'ward_constituency_recompute_report(p_sliver). Returns JSON {wards, boundaries, overrides, recompute} (null '
'for a step not run). 55000 when the ward registry is empty and p_require_wards; 22023 for a sliver outside '
'[0, 0.5) or NaN; every step''s refusals as '
'they are (LDI01, LDI02, 22023). Idempotent: a second call with the same files reports everything unchanged.';

revoke execute on function public.ward_constituency_recompute_report(numeric) from public;
revoke execute on function public.constituency_merge(text, text, text, boolean, numeric, boolean, integer) from public;
grant execute on function public.ward_constituency_recompute_report(numeric) to lokdarpan_admin;
grant execute on function public.constituency_merge(text, text, text, boolean, numeric, boolean, integer) to lokdarpan_admin;
