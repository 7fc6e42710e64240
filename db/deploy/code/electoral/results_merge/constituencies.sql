-- Deploy lokdarpan:code/electoral/results_merge/constituencies to pg
-- requires: electoral/results_merge
-- requires: code/electoral/constituencies/names
-- requires: code/electoral/parties/resolve
-- constituency_result_match_by_number() and constituency_result_match_by_name(): step 1 of
-- constituency_result_merge(), the file's constituencies resolved against the registry;
-- constituency_name_match(): the name matcher they and Form 20's labels share.

-- Step 1 of constituency_result_merge(), by number: one row per constituency as the file numbers it.
create or replace function public.constituency_result_match_by_number(p_state_code text, p_kind text)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    perform public.electoral_check_scope('constituency_result_match_by_number', p_state_code, p_kind);
    if pg_catalog.to_regclass('pg_temp.crm_constituency') is null or pg_catalog.to_regclass('pg_temp.crm_problem') is null
        or pg_catalog.to_regclass('pg_temp.constituency_result_stage') is null then
        raise exception 'constituency_result_match_by_number: a step of constituency_result_merge(), which makes its work tables first'
            using errcode = '55000';
    end if;

    insert into pg_temp.crm_constituency (
        file_no, file_name, line, file_reserved, constituency_id, number, registry_name, reserved_for, how,
        similarity
    )
    select
        s.constituency_no,
        s.name,
        s.line,
        upper(substring(s.name from '\(\s*([SsTt][CcTt])\s*\)?\s*$')),
        c.constituency_id,
        c.number,
        c.name,
        c.reserved_for,
        case
            when c.constituency_id is null then null
            when public.party_normalise(s.bare) = public.party_normalise(c.name) then 'number'
            else 'number, name differs'
        end,
        case when c.constituency_id is not null
                then public.similarity(public.party_normalise(s.bare), public.party_normalise(c.name))
        end
    from (
        select
            t.constituency_no,
            min(t.constituency_name) as name,
            regexp_replace(min(t.constituency_name), '\s*\(\s*(SC|ST)\s*\)?\s*$', '', 'i') as bare,
            min(t.line) as line
        from pg_temp.constituency_result_stage as t
        group by t.constituency_no
    ) as s
    left join public.constituency as c
        on c.state_code = p_state_code and c.kind = p_kind and s.constituency_no = c.number;

    insert into pg_temp.crm_problem (line, message)
    select
        u.line,
        case when u.file_no is null
                then format('%s %s has no number: match it by name', p_kind, quote_literal(left(u.file_name, 60)))
            else format(
                '%s %s %s of state %s is not in the constituency registry%s: '
                'load the constituencies first (`lokdarpan-db import constituencies`)',
                p_kind, u.file_no, quote_literal(left(u.file_name, 60)), p_state_code,
                case when u.unknown > 1 then format(' (%s more unknown)', u.unknown - 1) else '' end
            )
        end
    from (
        select c.*, count(*) over () as unknown, row_number() over (order by c.line) as n
        from pg_temp.crm_constituency as c
        where c.constituency_id is null
    ) as u
    where u.n = 1;
end
$$;

comment on function public.constituency_result_match_by_number(text, text) is
'Step 1 of constituency_result_merge() with match_by number: fills pg_temp.crm_constituency with one row '
'per constituency number of pg_temp.constituency_result_stage and its registry row (kind p_kind of state '
'p_state_code; how = number, or "number, name differs"), and records in pg_temp.crm_problem the first '
'row without a number or with a number the registry does not have (and how many more). 22023 for a bad '
'state code or kind, 55000 outside constituency_result_merge() (its work tables missing).';

-- The one constituency-name matcher (issue 21): results files matched by name and Form 20 files'
-- constituency labels accept and refuse the same spellings. Exact key (constituency_name_key(), or a
-- recorded alias) first, then trigram similarity of the keys; the best candidate must reach
-- p_min_similarity and lead the next constituency by 0.1. All the names in one statement.
create or replace function public.constituency_name_match(
    p_state_code text, p_kind text, p_names text [], p_min_similarity real
)
returns table (
    file_name text,
    constituency_id integer,
    number integer,
    registry_name text,
    reserved_for text,
    how text,
    similarity real,
    candidates jsonb
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    margin constant real := 0.1;
begin
    perform public.electoral_check_scope('constituency_name_match', p_state_code, p_kind);
    if p_min_similarity is null or p_min_similarity = 'NaN'::real or p_min_similarity not between 0.3 and 1 then
        raise exception 'constituency_name_match: minimum similarity must be in [0.3, 1], got %',
            coalesce(p_min_similarity::text, 'null')
            using errcode = '22023';
    end if;
    if cardinality(p_names) > 100000
        or exists (select from unnest(p_names) as n (name) where length(n.name) > 200) then
        raise exception 'constituency_name_match: at most 100000 names of at most 200 characters each, got % names, the longest % characters',
            cardinality(p_names), (select max(length(n.name)) from unnest(p_names) as n (name))
            using errcode = '22023';
    end if;

    return query
    with f as (
        select distinct
            n.name as file_name,
            public.constituency_name_key(regexp_replace(n.name, '\s*\(\s*(SC|ST)\s*\)?\s*$', '', 'i')) as k
        from unnest(p_names) as n (name)
        where n.name is not null
    ),

    reg as (
        select c.constituency_id, c.number, c.name, c.reserved_for, public.constituency_name_key(c.name) as k, 'name' as via
        from public.constituency as c
        where c.state_code = p_state_code and c.kind = p_kind
        union all
        select c.constituency_id, c.number, c.name, c.reserved_for, a.alias_key, 'alias'
        from public.constituency_alias as a
        inner join public.constituency as c
            on a.state_code = c.state_code and a.kind = c.kind and a.number = c.number
        where a.state_code = p_state_code and a.kind = p_kind
    ),

    cand as materialized (
        select distinct on (f.file_name, r.constituency_id)
            f.file_name,
            r.constituency_id,
            r.number,
            r.name,
            r.reserved_for,
            r.via,
            r.k = f.k as exact,
            case when r.k = f.k then 1::real else public.similarity(r.k, f.k) end as sim
        from f
        inner join reg as r on r.k = f.k or public.similarity(r.k, f.k) >= 0.2
        order by f.file_name, r.constituency_id, (r.k = f.k) desc, public.similarity(r.k, f.k) desc
    )

    select
        f.file_name,
        case
            when b.exacts = 1 or (b.exacts = 0 and b.sim >= p_min_similarity and b.sim - coalesce(b.second, 0) >= margin)
                then b.constituency_id
        end,
        b.number,
        b.name::text,
        b.reserved_for::text,
        case
            when b.exacts > 1 or (b.exacts = 0 and b.sim >= p_min_similarity and b.sim - coalesce(b.second, 0) < margin)
                then 'ambiguous'
            when coalesce(b.exacts, 0) = 0 and coalesce(b.sim, 0) < p_min_similarity then 'weak'
            when b.via = 'alias' then 'alias'
            when b.exact and lower(regexp_replace(f.file_name, '\s*\(\s*(SC|ST)\s*\)?\s*$', '', 'i')) = lower(b.name) then 'exact'
            when b.exact then 'normalised'
            else 'trigram'
        end,
        b.sim,
        b.candidates
    from f
    left join lateral (
        select
            r.*,
            count(*) filter (where r.exact) over () as exacts,
            lead(r.sim) over (order by r.exact desc, r.sim desc, r.number) as second,
            (
                select jsonb_agg(jsonb_build_object('number', x.number, 'name', x.name, 'similarity', round(x.sim::numeric, 2))
                    order by x.exact desc, x.sim desc, x.number)
                from (select y.* from cand as y where y.file_name = f.file_name
                    order by y.exact desc, y.sim desc, y.number limit 3) as x
            ) as candidates
        from cand as r
        where r.file_name = f.file_name
        order by r.exact desc, r.sim desc, r.number
        limit 1
    ) as b on true;
end
$$;

comment on function public.constituency_name_match(text, text, text [], real) is
'The one constituency-name matcher: for each distinct name of p_names, the constituency of kind p_kind of '
'state p_state_code it names (a reservation suffix "(SC)" ignored): constituency_name_key() or a '
'constituency_alias equal (how exact, normalised or alias), else pg_trgm similarity of the keys at least '
'p_min_similarity and 0.1 above the next constituency (trigram); otherwise constituency_id is null and how '
'is ambiguous or weak. similarity is the best candidate''s, candidates the three nearest (number, name, '
'similarity). constituency_result_match_by_name() (results files) and form20_constituency() (Form 20 '
'labels) both use it. 22023 for a bad state code, kind or similarity, or over 100000 names or a name over '
'200 characters.';

-- Step 1 of constituency_result_merge(), by name: constituency_name_match() over the file's names.
create or replace function public.constituency_result_match_by_name(p_state_code text, p_kind text, p_min_similarity real)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
as $$
begin
    perform public.electoral_check_scope('constituency_result_match_by_name', p_state_code, p_kind);
    if p_min_similarity is null or p_min_similarity = 'NaN'::real or p_min_similarity not between 0.3 and 1 then
        raise exception 'constituency_result_match_by_name: minimum similarity must be in [0.3, 1], got %',
            coalesce(p_min_similarity::text, 'null')
            using errcode = '22023';
    end if;
    if pg_catalog.to_regclass('pg_temp.crm_constituency') is null or pg_catalog.to_regclass('pg_temp.crm_problem') is null
        or pg_catalog.to_regclass('pg_temp.constituency_result_stage') is null then
        raise exception 'constituency_result_match_by_name: a step of constituency_result_merge(), which makes its work tables first'
            using errcode = '55000';
    end if;

    insert into pg_temp.crm_constituency (
        file_name, line, file_reserved, constituency_id, number, registry_name, reserved_for, how, similarity,
        candidates
    )
    select
        f.file_name,
        f.line,
        upper(substring(f.file_name from '\(\s*([SsTt][CcTt])\s*\)?\s*$')),
        m.constituency_id,
        m.number,
        m.registry_name,
        m.reserved_for,
        m.how,
        m.similarity,
        m.candidates
    from (
        select t.constituency_name as file_name, min(t.line) as line
        from pg_temp.constituency_result_stage as t
        group by t.constituency_name
    ) as f
    inner join public.constituency_name_match(
        p_state_code, p_kind,
        array(select distinct t.constituency_name from pg_temp.constituency_result_stage as t),
        p_min_similarity
    ) as m on f.file_name = m.file_name;

    insert into pg_temp.crm_problem (line, message)
    select
        c.line,
        case c.how
            when 'ambiguous' then format(
                '%s %s is ambiguous: it matches %s; give the constituency number or write the name as the registry does',
                p_kind, quote_literal(left(c.file_name, 60)),
                (select string_agg(format('%s %s %s (similarity %s)', p_kind, x ->> 'number', quote_literal(x ->> 'name'), x ->> 'similarity'), ', ')
                    from jsonb_array_elements(c.candidates) as x)
            )
            else format(
                '%s %s matches no %s of state %s closely enough (similarity at least %s)%s',
                p_kind, quote_literal(left(c.file_name, 60)), p_kind, p_state_code, round(p_min_similarity::numeric, 2),
                coalesce(': nearest ' || (
                    select string_agg(format('%s %s %s (similarity %s)', p_kind, x ->> 'number', quote_literal(x ->> 'name'), x ->> 'similarity'), ', ')
                    from jsonb_array_elements(c.candidates) as x
                ), ': no constituency is similar (are the constituencies of this state and kind loaded?)')
            )
        end
    from pg_temp.crm_constituency as c
    where c.how in ('ambiguous', 'weak');

    -- Two names of the file that resolve to one constituency.
    insert into pg_temp.crm_problem (line, message)
    select
        d.line,
        format(
            '%s %s and %s (line %s) both resolve to %s %s %s',
            p_kind, quote_literal(left(d.file_name, 60)), quote_literal(left(d.first_name, 60)), d.first_line,
            p_kind, d.number, quote_literal(d.registry_name)
        )
    from (
        select
            c.*,
            first_value(c.file_name) over w as first_name,
            first_value(c.line) over w as first_line
        from pg_temp.crm_constituency as c
        where c.constituency_id is not null
        window w as (partition by c.constituency_id order by c.line)
    ) as d
    where d.line <> d.first_line;
end
$$;

comment on function public.constituency_result_match_by_name(text, text, real) is
'Step 1 of constituency_result_merge() with match_by name: fills pg_temp.crm_constituency with one row per '
'constituency name of pg_temp.constituency_result_stage, resolved by constituency_name_key() or a '
'constituency_alias (exact), else by pg_trgm similarity of the keys at least p_min_similarity and 0.1 above '
'the next constituency (how: exact, normalised, alias, trigram, ambiguous, weak; the three nearest as '
'candidates), and records in pg_temp.crm_problem every ambiguous or weak name and every two names that '
'resolve to one constituency. 22023 for a bad state code, kind or similarity, 55000 outside '
'constituency_result_merge() (its work tables missing).';

revoke execute on function public.constituency_result_match_by_number(text, text) from public;
revoke execute on function public.constituency_result_match_by_name(text, text, real) from public;
revoke execute on function public.constituency_name_match(text, text, text [], real) from public;
grant execute on function public.constituency_result_match_by_number(text, text) to lokdarpan_admin;
grant execute on function public.constituency_result_match_by_name(text, text, real) to lokdarpan_admin;
grant execute on function public.constituency_name_match(text, text, text [], real) to lokdarpan_admin;
