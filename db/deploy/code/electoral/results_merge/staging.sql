-- Deploy lokdarpan:code/electoral/results_merge/staging to pg
-- requires: electoral/results
-- requires: code/common/helpers
-- constituency_result_stage(), constituency_result_stage_duplicates() and import_refuse_problems(): the
-- staging table of a results file and how the importers' merges refuse a file (LDI01, problems in DETAIL).

-- The session's staging table: one row per candidate per constituency as the file gives it.
create or replace function public.constituency_result_stage()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
as $$
begin
    drop table if exists pg_temp.constituency_result_stage;
    create temporary table constituency_result_stage (
        line integer not null,
        constituency_no integer,
        constituency_name text not null,
        candidate text not null,
        party text not null,
        evm_votes integer,
        postal_votes integer,
        total_votes integer not null,
        published_percent numeric
    ) on commit drop;
end
$$;

comment on function public.constituency_result_stage() is
'(Re)creates the session''s staging table pg_temp.constituency_result_stage (line, constituency_no, '
'constituency_name, candidate, party, evm_votes, postal_votes, total_votes, published_percent), dropped at '
'commit; the importer COPYs a results file into it, then calls constituency_result_merge(). '
'constituency_no may be null when the file is matched by name.';

-- A candidate given twice, asked of the staging table as soon as the file is staged, so that the
-- importer reports it together with the file's other errors.
create or replace function public.constituency_result_stage_duplicates(p_max_listed integer default 1000)
returns table (line integer, message text, total bigint)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
set work_mem = '64MB'
as $$
begin
    if p_max_listed is null or p_max_listed not between 1 and 100000 then
        raise exception 'constituency_result_stage_duplicates: max_listed must be in [1, 100000], got %',
            coalesce(p_max_listed::text, 'null')
            using errcode = '22023';
    end if;
    if pg_catalog.to_regclass('pg_temp.constituency_result_stage') is null then
        raise exception 'constituency_result_stage_duplicates: nothing staged: call constituency_result_stage() first'
            using errcode = '55000';
    end if;
    return query
    select
        d.line,
        format(
            'duplicate candidate %s in constituency %s (first on line %s)',
            quote_literal(left(d.candidate, 60)),
            coalesce(d.constituency_no::text, quote_literal(left(d.constituency_name, 60))),
            d.first_line
        ),
        count(*) over ()
    from (
        select
            s.line, s.candidate, s.constituency_no, s.constituency_name,
            min(s.line) over (
                partition by s.constituency_no, case when s.constituency_no is null then s.constituency_name end, lower(s.candidate)
            ) as first_line
        from pg_temp.constituency_result_stage as s
    ) as d
    where d.line > d.first_line
    order by d.line
    limit p_max_listed;
end
$$;

comment on function public.constituency_result_stage_duplicates(integer) is
'Rows of pg_temp.constituency_result_stage that repeat a candidate (case-blind) of an earlier row of the '
'same constituency (its number; its name when the number is null): line, the error, and how many there are '
'in all; at most p_max_listed rows, in line order. 55000 when nothing is staged, 22023 for a max_listed '
'outside [1, 100000]. constituency_result_merge() refuses the same rows itself.';

create or replace function public.import_refuse_problems(p_caller text, p_max_listed integer)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v_total bigint;
    v_first text;
    v_listed jsonb;
begin
    if p_caller is null or p_caller !~ '^[a-z_]{1,63}$' then
        raise exception 'import_refuse_problems: the caller must be a function name, got %',
            public.input_excerpt(p_caller)
            using errcode = '22023';
    end if;
    if p_max_listed is null or p_max_listed not between 1 and 100000 then
        raise exception 'import_refuse_problems: max_listed must be in [1, 100000], got %',
            coalesce(p_max_listed::text, 'null')
            using errcode = '22023';
    end if;
    if pg_catalog.to_regclass('pg_temp.crm_problem') is null then
        return;
    end if;
    select count(*) into v_total from pg_temp.crm_problem;
    if v_total = 0 then
        return;
    end if;
    select
        jsonb_agg(jsonb_build_object('line', p.line, 'message', p.message) order by p.line nulls first, p.message),
        (array_agg(coalesce('line ' || p.line || ': ', '') || p.message order by p.line nulls first, p.message))[1]
    into v_listed, v_first
    from (
        select q.line, q.message from pg_temp.crm_problem as q
        order by q.line nulls first, q.message
        limit p_max_listed
    ) as p;
    raise exception '%: % problem(s) in the staged file, first: %', p_caller, v_total, v_first
        using errcode = 'LDI01', detail = jsonb_build_object('problems', v_listed, 'total', v_total)::text;
end
$$;

comment on function public.import_refuse_problems(text, integer) is
'What the importers'' merge functions share: raises LDI01 when the merge p_caller has found problems in the '
'staged file (the session''s pg_temp.crm_problem: line, message): the count and the first in the message, '
'the first p_max_listed as JSON {problems: [{line, message}], total} in DETAIL; returns when there are '
'none. 22023 for a caller that is not a function name or a max_listed outside [1, 100000].';

revoke execute on function public.constituency_result_stage() from public;
revoke execute on function public.constituency_result_stage_duplicates(integer) from public;
revoke execute on function public.import_refuse_problems(text, integer) from public;
grant execute on function public.constituency_result_stage() to lokdarpan_admin;
grant execute on function public.constituency_result_stage_duplicates(integer) to lokdarpan_admin;
grant execute on function public.import_refuse_problems(text, integer) to lokdarpan_admin;
