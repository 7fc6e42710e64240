-- Deploy lokdarpan:code/electoral/constituencies/staging to pg
-- requires: electoral/constituencies
-- constituency_boundary_stage(), ward_constituency_override_stage() and
-- ward_constituency_override_stage_problems(): the staging tables `import constituencies` COPYs its
-- two files into, and the checks of the overrides file that need all its rows.

create or replace function public.constituency_boundary_stage()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
as $$
begin
    drop table if exists pg_temp.constituency_boundary_stage;
    create temporary table constituency_boundary_stage (
        feature integer not null,
        ac_no integer not null,
        name text not null,
        reserved_for text,
        district text,
        pc_no integer not null,
        pc_name text not null,
        pc_reserved text,
        geometry jsonb not null
    ) on commit drop;
end
$$;

comment on function public.constituency_boundary_stage() is
'(Re)creates the session''s staging table pg_temp.constituency_boundary_stage (feature: its place in the '
'file, ac_no, name, reserved_for, district, pc_no, pc_name, pc_reserved, geometry as GeoJSON), dropped at '
'commit: one row per feature of a constituency boundary file, as the importer read and checked it; '
'constituency_merge() loads it.';

create or replace function public.ward_constituency_override_stage()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
as $$
begin
    drop table if exists pg_temp.ward_constituency_override_stage;
    create temporary table ward_constituency_override_stage (
        line integer not null,
        ward text not null,
        ac_no integer not null,
        ward_fraction numeric not null,
        reason text not null
    ) on commit drop;
end
$$;

comment on function public.ward_constituency_override_stage() is
'(Re)creates the session''s staging table pg_temp.ward_constituency_override_stage (line, ward as the file '
'names it: id, number or name, ac_no, ward_fraction, reason), dropped at commit: the rows of a reviewed '
'overrides file; constituency_merge() makes ward_constituency_override equal to them.';

-- A (ward, AC) given again, and each ward whose fractions do not add up to 1 (as
-- compute_ward_constituency() checks them: within 0.0005), asked of the staging table as soon as the
-- file is staged, so that the importer reports them together with the file's other errors.
create or replace function public.ward_constituency_override_stage_problems(p_max_listed integer default 1000)
returns table (line integer, message text, total bigint)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_max_listed is null or p_max_listed not between 1 and 100000 then
        raise exception 'ward_constituency_override_stage_problems: max_listed must be in [1, 100000], got %',
            coalesce(p_max_listed::text, 'null')
            using errcode = '22023';
    end if;
    if pg_catalog.to_regclass('pg_temp.ward_constituency_override_stage') is null then
        raise exception 'ward_constituency_override_stage_problems: nothing staged: call ward_constituency_override_stage() first'
            using errcode = '55000';
    end if;
    return query
    with again as (
        select
            o.line,
            format('ward %s and AC %s again (first on line %s)', o.ward, o.ac_no, o.first_line) as message
        from (
            select
                s.line, s.ward, s.ac_no,
                min(s.line) over (partition by upper(s.ward), s.ac_no) as first_line
            from pg_temp.ward_constituency_override_stage as s
        ) as o
        where o.line <> o.first_line
    ),

    sums as (
        select
            min(f.line) as line,
            format(
                'the fractions of ward %s (lines %s) add up to %s, not 1',
                upper(f.ward), string_agg(f.line::text, ', ' order by f.line), sum(f.ward_fraction)
            ) as message
        from (
            select distinct on (upper(s.ward), s.ac_no) s.line, s.ward, s.ward_fraction
            from pg_temp.ward_constituency_override_stage as s
            order by upper(s.ward), s.ac_no, s.line
        ) as f
        group by upper(f.ward)
        having abs(sum(f.ward_fraction) - 1) > 0.0005
    ),

    found as (
        select a.line, a.message from again as a
        union all
        select s.line, s.message from sums as s
    )

    select f.line, f.message, count(*) over ()
    from found as f
    order by f.line, f.message
    limit p_max_listed;
end
$$;

comment on function public.ward_constituency_override_stage_problems(integer) is
'What is wrong with the staged overrides file as a whole (pg_temp.ward_constituency_override_stage): a ward '
'and AC given again (the ward as written, case-blind), and each ward whose fractions (the first row of each '
'AC) do not add up to 1 within 0.0005, as compute_ward_constituency() requires: line, the error, how many '
'in all; at most p_max_listed, in line order. 55000 when nothing is staged, 22023 for a max_listed outside '
'[1, 100000].';

revoke execute on function public.constituency_boundary_stage() from public;
revoke execute on function public.ward_constituency_override_stage() from public;
revoke execute on function public.ward_constituency_override_stage_problems(integer) from public;
grant execute on function public.constituency_boundary_stage() to lokdarpan_admin;
grant execute on function public.ward_constituency_override_stage() to lokdarpan_admin;
grant execute on function public.ward_constituency_override_stage_problems(integer) to lokdarpan_admin;
