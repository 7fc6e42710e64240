-- Deploy lokdarpan:code/electoral/constituencies/merge to pg
-- requires: electoral/constituencies
-- requires: electoral/geography
-- requires: code/electoral/constituencies/staging
-- requires: code/electoral/results_merge/staging
-- requires: code/wards/lookup
-- requires: code/common/helpers
-- requires: code/electoral/constituencies/names
-- constituency_boundaries_merge() and ward_constituency_override_merge(): the two files of
-- `import constituencies`, staged, merged set-based (issue 21, part 4).

create or replace function public.constituency_boundaries_merge(p_state_code text, p_source text)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
set work_mem = '64MB'
as $$
declare
    v_pc record;
    v_ac record;
begin
    perform public.electoral_check_scope('constituency_boundaries_merge', p_state_code);
    if p_source is null or length(p_source) not between 1 and 500 then
        raise exception 'constituency_boundaries_merge: the source must be 1-500 characters, got %',
            public.input_excerpt(p_source)
            using errcode = '22023';
    end if;
    if pg_catalog.to_regclass('pg_temp.constituency_boundary_stage') is null then
        raise exception 'constituency_boundaries_merge: no staged features: call constituency_boundary_stage() and COPY the file into pg_temp.constituency_boundary_stage first'
            using errcode = '55000';
    end if;

    -- One loader at a time; readers go on reading.
    lock table public.constituency in share row exclusive mode;

    -- One geometry per AC: the feature's own, or the union of its pieces.
    drop table if exists pg_temp.cbm_ac;
    create temporary table cbm_ac on commit drop as
    select
        s.ac_no,
        min(s.name) as name,
        min(s.reserved_for) as reserved_for,
        min(s.district) as district,
        min(s.pc_no) as pc_no,
        count(*) as pieces,
        array_agg(s.feature order by s.feature) as features,
        case when count(*) = 1 then (array_agg(public.geojson_geometry(s.geometry)))[1]
            else public.st_multi(public.st_collectionextract(public.st_makevalid(
                public.st_union(public.geojson_geometry(s.geometry))
            ), 3))
        end::public.geometry(multipolygon, 4326) as boundary
    from pg_temp.constituency_boundary_stage as s
    group by s.ac_no;

    -- A PC's boundary is the union of its ACs' (the 2008 delimitation builds PCs from whole ACs).
    with w as (
        insert into public.constituency as c (state_code, kind, number, name, reserved_for, boundary, source)
        select
            p_state_code, 'PC', p.pc_no, p.pc_name, p.pc_reserved,
            (
                select public.st_multi(public.st_collectionextract(public.st_makevalid(public.st_union(a.boundary)), 3))
                from pg_temp.cbm_ac as a where a.pc_no = p.pc_no
            )::public.geometry(multipolygon, 4326),
            p_source || '; boundary: the union of its assembly segments'
        from (select distinct s.pc_no, s.pc_name, s.pc_reserved from pg_temp.constituency_boundary_stage as s) as p
        order by p.pc_no
        on conflict (state_code, kind, number) do update set
            name = excluded.name, reserved_for = excluded.reserved_for,
            boundary = excluded.boundary, source = excluded.source
        where (c.name, c.reserved_for, c.source) is distinct from (excluded.name, excluded.reserved_for, excluded.source)
            or c.boundary is null
            or not public.st_orderingequals(c.boundary, excluded.boundary)
        returning (c.xmax = 0) as inserted
    )

    select
        count(*) filter (where w.inserted) as inserted,
        count(*) filter (where not w.inserted) as updated,
        (select count(distinct s.pc_no) from pg_temp.constituency_boundary_stage as s) as offered
    into v_pc
    from w;

    with w as (
        insert into public.constituency as c (
            state_code, kind, number, name, reserved_for, district, pc_id, boundary, source
        )
        select
            p_state_code, 'AC', a.ac_no, a.name, a.reserved_for, a.district, pc.constituency_id, a.boundary,
            p_source || case when a.pieces > 1
                then '; features ' || array_to_string(a.features, ', ') || ' joined' else '' end
        from pg_temp.cbm_ac as a
        inner join public.constituency as pc
            on pc.state_code = p_state_code and pc.kind = 'PC' and a.pc_no = pc.number
        order by a.ac_no
        on conflict (state_code, kind, number) do update set
            name = excluded.name, reserved_for = excluded.reserved_for, district = excluded.district,
            pc_id = excluded.pc_id, boundary = excluded.boundary, source = excluded.source
        where (c.name, c.reserved_for, c.district, c.pc_id, c.source)
            is distinct from
            (excluded.name, excluded.reserved_for, excluded.district, excluded.pc_id, excluded.source)
            or c.boundary is null
            or not public.st_orderingequals(c.boundary, excluded.boundary)
        returning (c.xmax = 0) as inserted
    )

    select
        count(*) filter (where w.inserted) as inserted,
        count(*) filter (where not w.inserted) as updated,
        (select count(*) from pg_temp.cbm_ac) as offered
    into v_ac
    from w;

    return jsonb_build_object(
        'features', (select count(*) from pg_temp.constituency_boundary_stage),
        'acs', v_ac.offered,
        'ac_inserted', v_ac.inserted,
        'ac_updated', v_ac.updated,
        'ac_unchanged', v_ac.offered - v_ac.inserted - v_ac.updated,
        'pcs', v_pc.offered,
        'pc_inserted', v_pc.inserted,
        'pc_updated', v_pc.updated,
        'pc_unchanged', v_pc.offered - v_pc.inserted - v_pc.updated,
        'multi_part', coalesce((
            select jsonb_agg(
                jsonb_build_object(
                    'ac_no', a.ac_no, 'name', a.name, 'reserved_for', a.reserved_for, 'pieces', a.pieces,
                    'features', to_jsonb(a.features)
                ) order by a.ac_no
            )
            from pg_temp.cbm_ac as a
            where a.pieces > 1
        ), '[]'::jsonb)
    );
end
$$;

comment on function public.constituency_boundaries_merge(text, text) is
'Upserts the constituencies of the staged boundary features (pg_temp.constituency_boundary_stage): one AC '
'per ac_no of state p_state_code, its pieces joined into one MultiPolygon, and each PC with the union of its '
'ACs'' boundaries; source is p_source (plus the joined features). A row whose values and boundary are the '
'same is not written. Returns JSON: features, acs, pcs, ac_/pc_inserted, _updated, _unchanged, multi_part '
'([{ac_no, name, reserved_for, pieces, features}]). 22023 for a bad state code or source, 55000 when nothing '
'is staged; the table''s own checks raise as they are (23xxx).';

create or replace function public.ward_constituency_override_merge(
    p_state_code text, p_source text, p_allow_removal boolean default false, p_max_listed integer default 1000
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
as $$
declare
    v_gone record;
    v_counts record;
begin
    perform public.electoral_check_scope('ward_constituency_override_merge', p_state_code);
    if p_source is null or length(p_source) not between 1 and 255 then
        raise exception 'ward_constituency_override_merge: the source must be 1-255 characters, got %',
            public.input_excerpt(p_source)
            using errcode = '22023';
    end if;
    if p_allow_removal is null then
        raise exception 'ward_constituency_override_merge: allow_removal must be true or false, got null'
            using errcode = '22023';
    end if;
    if p_max_listed is null or p_max_listed not between 1 and 100000 then
        raise exception 'ward_constituency_override_merge: max_listed must be in [1, 100000], got %',
            coalesce(p_max_listed::text, 'null')
            using errcode = '22023';
    end if;
    if pg_catalog.to_regclass('pg_temp.ward_constituency_override_stage') is null then
        raise exception 'ward_constituency_override_merge: no staged overrides: call ward_constituency_override_stage() and COPY the file into pg_temp.ward_constituency_override_stage first'
            using errcode = '55000';
    end if;

    lock table public.ward_constituency_override in share row exclusive mode;
    drop table if exists pg_temp.crm_problem;
    create temporary table crm_problem (line integer, message text not null) on commit drop;
    drop table if exists pg_temp.wcom_row;
    create temporary table wcom_row on commit drop as
    select o.*, public.ward_resolve(o.ward) as ward_id, c.constituency_id
    from pg_temp.ward_constituency_override_stage as o
    left join public.constituency as c on c.state_code = p_state_code and c.kind = 'AC' and o.ac_no = c.number;

    insert into pg_temp.crm_problem (line, message)
    select
        r.line,
        case when r.ward_id is null then format('no ward %s in the registry', left(r.ward, 60))
            else format('no assembly constituency %s in state %s', r.ac_no, p_state_code)
        end
    from pg_temp.wcom_row as r
    where r.ward_id is null or r.constituency_id is null;
    perform public.import_refuse_problems('ward_constituency_override_merge', p_max_listed);

    -- Two spellings of one ward (GHMC-095 and 95) with the same AC.
    insert into pg_temp.crm_problem (line, message)
    select min(r.line), format('ward %s and its AC appear %s times', r.ward_id, count(*))
    from pg_temp.wcom_row as r
    group by r.ward_id, r.constituency_id
    having count(*) > 1;
    perform public.import_refuse_problems('ward_constituency_override_merge', p_max_listed);

    -- The file is the whole reviewed set: overrides it no longer has go, only when allowed.
    select
        count(*) as removed,
        coalesce(to_jsonb(array_agg(distinct v.ward_id order by v.ward_id)), '[]'::jsonb) as wards
    into v_gone
    from public.ward_constituency_override as v
    where not exists (
        select from pg_temp.wcom_row as o
        where o.ward_id = v.ward_id and o.constituency_id = v.constituency_id
    );
    if v_gone.removed > 0 and not p_allow_removal then
        raise exception 'ward_constituency_override_merge: the file would remove % overrides of % wards that earlier imports loaded',
            v_gone.removed, jsonb_array_length(v_gone.wards)
            using errcode = 'LDI02',
            detail = jsonb_build_object('removed', v_gone.removed, 'wards', v_gone.wards)::text;
    end if;
    delete from public.ward_constituency_override as v
    where not exists (
        select from pg_temp.wcom_row as o
        where o.ward_id = v.ward_id and o.constituency_id = v.constituency_id
    );

    with w as (
        insert into public.ward_constituency_override as v (ward_id, constituency_id, ward_fraction, reason, source)
        select o.ward_id, o.constituency_id, o.ward_fraction, o.reason, p_source || ' line ' || o.line
        from pg_temp.wcom_row as o
        on conflict (ward_id, constituency_id) do update set
            ward_fraction = excluded.ward_fraction, reason = excluded.reason, source = excluded.source
        where (v.ward_fraction, v.reason, v.source) is distinct from (excluded.ward_fraction, excluded.reason, excluded.source)
        returning (v.xmax = 0) as inserted
    )

    select
        count(*) filter (where w.inserted) as inserted,
        count(*) filter (where not w.inserted) as updated,
        (select count(*) from pg_temp.wcom_row) as offered
    into v_counts
    from w;

    return jsonb_build_object(
        'read', v_counts.offered,
        'inserted', v_counts.inserted,
        'updated', v_counts.updated,
        'unchanged', v_counts.offered - v_counts.inserted - v_counts.updated,
        'removed', v_gone.removed,
        'removed_wards', v_gone.wards
    );
end
$$;

comment on function public.ward_constituency_override_merge(text, text, boolean, integer) is
'Makes ward_constituency_override equal to the staged reviewed overrides (pg_temp.ward_constituency_'
'override_stage): each row''s ward is ward_resolve() of the file''s text and its AC the ac_no of state '
'p_state_code; source is p_source || '' line '' || line. Returns JSON: read, inserted, updated, unchanged, '
'removed, removed_wards. Refused, nothing written: an unknown ward or AC, two spellings of one ward with one '
'AC (LDI01, problems as JSON [{line, message}] in DETAIL, at most p_max_listed); overrides the file no '
'longer has are deleted only with p_allow_removal (else LDI02, {removed, wards} in DETAIL). 22023 for a bad '
'argument, 55000 when nothing is staged.';

revoke execute on function public.constituency_boundaries_merge(text, text) from public;
revoke execute on function public.ward_constituency_override_merge(text, text, boolean, integer) from public;
grant execute on function public.constituency_boundaries_merge(text, text) to lokdarpan_admin;
grant execute on function public.ward_constituency_override_merge(text, text, boolean, integer) to lokdarpan_admin;
