-- Deploy lokdarpan:code/electoral/demographics_merge/merge to pg
-- requires: electoral/ward_analytics
-- requires: code/electoral/results_merge/staging
-- requires: code/wards/lookup
-- requires: code/common/helpers
-- The demographics import, set-based in the database (issue 21, part 4): the importer parses a
-- demographics file and COPYs its rows into the session's staging table
-- (ward_demographics_stage()); ward_demographics_merge() resolves the wards, checks them and upserts
-- ward_demographics, reporting the rows inserted, updated and unchanged. A file's bad content is
-- refused with SQLSTATE LDI01 and its problems as JSON in DETAIL, as constituency_result_merge() does.

create or replace function public.ward_demographics_stage()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
as $$
begin
    drop table if exists pg_temp.ward_demographics_stage;
    create temporary table ward_demographics_stage (
        line integer not null,
        ward text not null,
        literacy_idx numeric,
        muslim_idx numeric,
        scst_idx numeric,
        secc_deprivation_idx numeric,
        note text not null default '',
        name text not null default ''
    ) on commit drop;
end
$$;

comment on function public.ward_demographics_stage() is
'(Re)creates the session''s staging table pg_temp.ward_demographics_stage (line, ward as the file names '
'it, literacy_idx, muslim_idx, scst_idx, secc_deprivation_idx as fractions, note, name: the ward name the '
'file gives beside a number or id, to check), dropped at commit; the importer COPYs a demographics file '
'into it, then calls ward_demographics_merge().';

create or replace function public.ward_demographics_stage_duplicates(p_max_listed integer default 1000)
returns table (line integer, message text, total bigint)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_max_listed is null or p_max_listed not between 1 and 100000 then
        raise exception 'ward_demographics_stage_duplicates: max_listed must be in [1, 100000], got %',
            coalesce(p_max_listed::text, 'null')
            using errcode = '22023';
    end if;
    if pg_catalog.to_regclass('pg_temp.ward_demographics_stage') is null then
        raise exception 'ward_demographics_stage_duplicates: nothing staged: call ward_demographics_stage() first'
            using errcode = '55000';
    end if;
    return query
    select d.line, format('ward %s again (first on line %s)', left(d.ward, 60), d.first_line), count(*) over ()
    from (
        select s.line, s.ward, min(s.line) over (partition by lower(s.ward)) as first_line
        from pg_temp.ward_demographics_stage as s
    ) as d
    where d.line <> d.first_line
    order by d.line
    limit p_max_listed;
end
$$;

comment on function public.ward_demographics_stage_duplicates(integer) is
'Rows of pg_temp.ward_demographics_stage that name a ward (as written, case-blind) an earlier row named: '
'line, the error, how many in all; at most p_max_listed, in line order. 55000 when nothing is staged, '
'22023 for a max_listed outside [1, 100000].';

create or replace function public.ward_demographics_merge(p_source_prefix text, p_max_listed integer default 1000)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
as $$
declare
    v_counts record;
    v_rest bigint;
begin
    if p_source_prefix is null or length(p_source_prefix) > 300 or btrim(p_source_prefix) = '' then
        raise exception 'ward_demographics_merge: the source prefix must be 1-300 characters, got %',
            public.input_excerpt(p_source_prefix)
            using errcode = '22023';
    end if;
    if p_max_listed is null or p_max_listed not between 1 and 100000 then
        raise exception 'ward_demographics_merge: max_listed must be in [1, 100000], got %',
            coalesce(p_max_listed::text, 'null')
            using errcode = '22023';
    end if;
    if pg_catalog.to_regclass('pg_temp.ward_demographics_stage') is null then
        raise exception 'ward_demographics_merge: no staged rows: call ward_demographics_stage() and COPY the file into pg_temp.ward_demographics_stage first'
            using errcode = '55000';
    end if;
    if not exists (select from public.ward) then
        raise exception 'the ward registry is empty: load the wards first (`lokdarpan-db import wards`)'
            using errcode = '55000';
    end if;

    drop table if exists pg_temp.crm_problem;
    create temporary table crm_problem (line integer, message text not null) on commit drop;
    drop table if exists pg_temp.wdm_row;
    create temporary table wdm_row on commit drop as
    select s.*, public.ward_resolve(s.ward) as ward_id
    from pg_temp.ward_demographics_stage as s;

    insert into pg_temp.crm_problem (line, message)
    select r.line, format('no ward %s in the registry (ward_resolve)', quote_literal(left(r.ward, 60)))
    from pg_temp.wdm_row as r
    where r.ward_id is null;

    insert into pg_temp.crm_problem (line, message)
    select r.line, format('%s is %s in the registry, not %s', left(r.ward, 60), quote_literal(w.name), quote_literal(left(r.name, 60)))
    from pg_temp.wdm_row as r
    inner join public.ward as w on r.ward_id = w.ward_id
    where r.name <> '' and lower(r.name) <> lower(w.name);

    insert into pg_temp.crm_problem (line, message)
    select
        d.lines[pg_catalog.cardinality(d.lines)],
        format('ward %s again (lines %s)', d.ward_id, array_to_string(d.lines, ', '))
    from (
        select r.ward_id, array_agg(r.line order by r.line) as lines
        from pg_temp.wdm_row as r
        where r.ward_id is not null
        group by r.ward_id
        having count(*) > 1
    ) as d;

    perform public.import_refuse_problems('ward_demographics_merge', p_max_listed);

    with w as (
        insert into public.ward_demographics as d (
            ward_id, literacy_idx, muslim_idx, scst_idx, secc_deprivation_idx, source, updated_at
        )
        select
            r.ward_id, r.literacy_idx, r.muslim_idx, r.scst_idx, r.secc_deprivation_idx,
            p_source_prefix || r.line || case when r.note <> '' then ' (' || r.note || ')' else '' end,
            public.lokdarpan_now()
        from pg_temp.wdm_row as r
        on conflict (ward_id) do update set
            literacy_idx = excluded.literacy_idx, muslim_idx = excluded.muslim_idx, scst_idx = excluded.scst_idx,
            secc_deprivation_idx = excluded.secc_deprivation_idx, source = excluded.source,
            updated_at = excluded.updated_at
        where (d.literacy_idx, d.muslim_idx, d.scst_idx, d.secc_deprivation_idx, d.source)
            is distinct from
            (excluded.literacy_idx, excluded.muslim_idx, excluded.scst_idx, excluded.secc_deprivation_idx, excluded.source)
        returning (d.xmax = 0) as inserted
    )

    select
        count(*) filter (where w.inserted) as inserted,
        count(*) filter (where not w.inserted) as updated,
        (select count(*) from pg_temp.wdm_row) as offered
    into v_counts
    from w;

    select count(*) into v_rest
    from public.ward as w
    where not exists (select from pg_temp.wdm_row as r where r.ward_id = w.ward_id);

    return jsonb_build_object(
        'inserted', v_counts.inserted,
        'updated', v_counts.updated,
        'unchanged', v_counts.offered - v_counts.inserted - v_counts.updated,
        'wards_not_in_file', v_rest
    );
end
$$;

comment on function public.ward_demographics_merge(text, integer) is
'Merges the rows staged in pg_temp.ward_demographics_stage (ward_demographics_stage()) into '
'ward_demographics and returns a JSON report: inserted, updated, unchanged, wards_not_in_file (kept as they '
'were). Each row''s ward is ward_resolve() of the file''s text; the source is p_source_prefix || line (|| '
'the row''s note). Refused, nothing written (LDI01, problems as JSON [{line, message}] in DETAIL, at most '
'p_max_listed): a ward the registry does not know, a name beside a number or id that is another ward''s, '
'a ward given twice. 55000 when the ward registry is empty or nothing is staged, 22023 for a bad argument. '
'A row whose values and source are all equal is not written: a second merge reports every row unchanged.';

revoke execute on function public.ward_demographics_stage() from public;
revoke execute on function public.ward_demographics_stage_duplicates(integer) from public;
revoke execute on function public.ward_demographics_merge(text, integer) from public;
grant execute on function public.ward_demographics_stage() to lokdarpan_admin;
grant execute on function public.ward_demographics_stage_duplicates(integer) to lokdarpan_admin;
grant execute on function public.ward_demographics_merge(text, integer) to lokdarpan_admin;
