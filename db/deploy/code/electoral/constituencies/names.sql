-- Deploy lokdarpan:code/electoral/constituencies/names to pg
-- requires: electoral/constituencies
-- requires: code/common/helpers
-- constituency_name_key() and ward_constituency_name_check(): do the overlaps agree with the ward names?
-- electoral_check_scope(): the state code (and constituency kind) check every electoral function shares.

-- The scope an electoral function works in, checked one way for all of them (its first caller is
-- ward_constituency_name_check() below): a state code like S29 and, with three arguments, a kind AC
-- or PC; the error names the calling function and the bad value (input_excerpt()).
create or replace function public.electoral_check_scope(p_fn text, p_state text)
returns void
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_fn is null or p_fn !~ '^[a-z_0-9]{1,63}$' then
        raise exception 'electoral_check_scope: the caller must be a function name, got %',
            public.input_excerpt(p_fn)
            using errcode = '22023';
    end if;
    if p_state is null or p_state !~ '^[SU][0-9]{2}$' then
        raise exception '%: state code must look like S29, got %', p_fn, public.input_excerpt(p_state)
            using errcode = '22023';
    end if;
end
$$;

comment on function public.electoral_check_scope(text, text) is
'Raises 22023 "<p_fn>: state code must look like S29, got <value>" unless p_state is a state code (S or U '
'and two digits); p_fn is the calling function''s name (22023 when it is not one). Returns nothing.';

create or replace function public.electoral_check_scope(p_fn text, p_state text, p_kind text)
returns void
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    perform public.electoral_check_scope(p_fn, p_state);
    if p_kind is null or p_kind not in ('AC', 'PC') then
        raise exception '%: kind must be AC or PC, got %', p_fn, public.input_excerpt(p_kind)
            using errcode = '22023';
    end if;
end
$$;

comment on function public.electoral_check_scope(text, text, text) is
'electoral_check_scope(p_fn, p_state), then raises 22023 "<p_fn>: kind must be AC or PC, got <value>" '
'unless p_kind is AC or PC. Returns nothing.';

revoke execute on function public.electoral_check_scope(text, text) from public;
revoke execute on function public.electoral_check_scope(text, text, text) from public;
grant execute on function public.electoral_check_scope(text, text) to lokdarpan_readonly;
grant execute on function public.electoral_check_scope(text, text, text) to lokdarpan_readonly;

-- The name-anchor check (issue 21): a ward named after an assembly constituency should lie mainly
-- in it. On the shipped layers 11 of the 14 such wards with a boundary do; the three that did not
-- (Khairatabad, Jubilee Hills, Sanath Nagar) exposed a misplaced AC layer in west-central Hyderabad.
create or replace function public.constituency_name_key(p_name text)
returns text
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if length(p_name) > 200 then
        raise exception 'constituency_name_key: the name is % characters long; at most 200', length(p_name)
            using errcode = '22023';
    end if;
    -- Letters only, lower case; the Telugu suffix -palle / -palli / -pally / -pali written one way.
    return regexp_replace(
        regexp_replace(lower(p_name), '[^a-z]', '', 'g'),
        'pal(le|li|ly|i)', 'palli', 'g'
    );
end
$$;

comment on function public.constituency_name_key(text) is
'A place name normalised for comparison: lower-case letters only (spaces, dots, digits and '
'reservation suffixes dropped) with -palle/-palli/-pally/-pali written -palli, so "Sanath Nagar" = '
'"Sanathnagar" and "Kukatpally" = "Kukatpalle". Null for null; 22023 for a name over 200 characters.';

create or replace function public.ward_constituency_name_check(
    p_min_similarity real default 0.6,
    p_include_reviewed boolean default false,
    p_state_code text default 'S29'
)
returns table (
    ward_id text,
    ward_no integer,
    ward_name text,
    namesake_no integer,
    namesake_name text,
    name_similarity real,
    namesake_share numeric,
    largest_no integer,
    largest_name text,
    largest_share numeric,
    method text,
    note text
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_min_similarity is null or p_min_similarity = 'NaN'::real or p_min_similarity < 0.3 or p_min_similarity > 1 then
        raise exception 'ward_constituency_name_check: minimum similarity must be in [0.3, 1], got %',
            coalesce(p_min_similarity::text, 'null')
            using errcode = '22023';
    end if;
    perform public.electoral_check_scope('ward_constituency_name_check', p_state_code);
    return query
    with ac as (
        select c.constituency_id, c.number, c.name::text as name, public.constituency_name_key(c.name) as k
        from public.constituency as c
        where c.kind = 'AC' and c.state_code = p_state_code
    ),

    namesake as (
        -- Each ward's best-matching AC name (exact after normalising, else trigram similarity).
        select distinct on (w.ward_id)
            w.ward_id, w.ward_no, w.name as ward_name, a.constituency_id, a.number, a.name,
            case when a.k = public.constituency_name_key(w.name) then 1::real
                else public.similarity(a.k, public.constituency_name_key(w.name)) end as sim
        from public.ward as w
        inner join ac as a
            on a.k = public.constituency_name_key(w.name)
            or public.similarity(a.k, public.constituency_name_key(w.name)) >= p_min_similarity
        order by w.ward_id, sim desc, a.number
    ),

    largest as (
        select distinct on (wc.ward_id)
            wc.ward_id, wc.constituency_id, c.number, c.name::text as name, wc.ward_fraction, wc.method::text as method,
            wc.note
        from public.ward_constituency as wc
        inner join public.constituency as c on wc.constituency_id = c.constituency_id
        order by wc.ward_id, wc.ward_fraction desc, c.number
    )

    select
        n.ward_id, n.ward_no, n.ward_name, n.number, n.name, n.sim,
        coalesce((
            select wc.ward_fraction from public.ward_constituency as wc
            where wc.ward_id = n.ward_id and wc.constituency_id = n.constituency_id
        ), 0::numeric),
        l.number, l.name, l.ward_fraction, l.method, l.note
    from namesake as n
    inner join largest as l on n.ward_id = l.ward_id
    where l.constituency_id <> n.constituency_id
        and (p_include_reviewed or l.method <> 'override')
    order by n.ward_no, n.ward_id;
end
$$;

comment on function public.ward_constituency_name_check(real, boolean, text) is
'The name-anchor check of ward_constituency (issue 21): every ward whose name matches an assembly '
'constituency''s of state p_state_code (constituency_name_key() equal, or pg_trgm similarity of the keys '
'at least p_min_similarity, default 0.6; the best match wins) but whose largest share lies in another AC: '
'the namesake, its share of the ward (0 if none), the AC holding most of it and that share. Rows from a '
'reviewed override (method override, its reason in note) are left out unless p_include_reviewed. Wards '
'without constituency rows are not judged. An empty answer is the expected one; import constituencies '
'runs it and reports every row. 22023 for a similarity outside [0.3, 1] or NaN, or a malformed state code.';

revoke execute on function public.constituency_name_key(text) from public;

revoke execute on function public.ward_constituency_name_check(real, boolean, text) from public;

grant execute on function public.constituency_name_key(text) to lokdarpan_readonly;

grant execute on function public.ward_constituency_name_check(real, boolean, text) to lokdarpan_readonly;
