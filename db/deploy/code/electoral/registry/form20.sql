-- Deploy lokdarpan:code/electoral/registry/form20 to pg
-- requires: electoral/results
-- requires: code/electoral/parties/resolve
-- requires: code/electoral/ward_analytics/aggregates
-- requires: code/common/helpers
-- The registry side of a Form 20 import (lokdarpan_db/importers/electoral/form20_registry.py):
-- which candidate each column is, the candidates' parties, the AC and PC rows. Python reads the
-- file and ECI's lists and passes their names as arrays; each function is one call per file.
--
-- Security invoker: they write only what the caller may write (lokdarpan_admin imports).

-- Which candidate each candidate column of a Form 20 file is: pg_trgm over every column x every
-- candidate of the state in one statement, the PC whose candidates fit best (unless given), then
-- each column paired with one candidate of that PC, best pairs first.
create or replace function public.form20_match_candidates(
    p_column_norms text [],
    p_column_keys text [],
    p_codes text [],
    p_pc_nos integer [],
    p_norms text [],
    p_keys text [],
    p_pc_no integer,
    p_min_similarity double precision
)
returns table (
    idx integer,
    pc_no integer,
    pc_score double precision,
    next_pc integer,
    next_score double precision,
    code text,
    similarity double precision,
    nearest_code text,
    nearest_similarity double precision
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v_pc integer := p_pc_no;
    v_score double precision;
    v_next integer;
    v_next_score double precision;
    v_idx integer[];
    v_code text[];
    v_sim real[];
    v_taken_idx integer[] := '{}';
    v_taken_code text[] := '{}';
    v_taken_sim real[] := '{}';
    i integer;
begin
    if p_min_similarity is null or p_min_similarity = 'NaN'::double precision
        or p_min_similarity <= 0 or p_min_similarity > 1 then
        raise exception 'form20_match_candidates: minimum similarity must be in (0, 1], got %',
            coalesce(p_min_similarity::text, 'null')
            using errcode = '22023';
    end if;
    if p_pc_no is not null and p_pc_no not between 1 and 999 then
        raise exception 'form20_match_candidates: a PC number is 1-999, got %', p_pc_no
            using errcode = '22023';
    end if;
    if cardinality(p_column_norms) is distinct from cardinality(p_column_keys)
        or cardinality(p_codes) is distinct from cardinality(p_pc_nos)
        or cardinality(p_codes) is distinct from cardinality(p_norms)
        or cardinality(p_codes) is distinct from cardinality(p_keys) then
        raise exception 'form20_match_candidates: the column arrays (% and %) and the candidate arrays (%, %, %, %) must each be of one length',
            cardinality(p_column_norms), cardinality(p_column_keys), cardinality(p_codes), cardinality(p_pc_nos),
            cardinality(p_norms), cardinality(p_keys)
            using errcode = '22023';
    end if;
    if cardinality(p_column_norms) > 1000 or cardinality(p_codes) > 100000 then
        raise exception 'form20_match_candidates: at most 1000 columns and 100000 candidates, got % and %',
            cardinality(p_column_norms), cardinality(p_codes)
            using errcode = '22023';
    end if;
    if exists (
        select from unnest(p_column_norms || p_column_keys || p_codes || p_norms || p_keys) as v (s)
        where length(v.s) > 200
    ) then
        raise exception 'form20_match_candidates: a name or code is % characters long; at most 200',
            (select max(length(v.s)) from unnest(p_column_norms || p_column_keys || p_codes || p_norms || p_keys) as v (s))
            using errcode = '22023';
    end if;

    if v_pc is null then
        -- The PC whose candidates best match the columns: mean best similarity per column, then the
        -- closest count of candidates, then the lower number.
        select
            min(r.pc_no) filter (where r.n = 1),
            min(r.score) filter (where r.n = 1),
            min(r.pc_no) filter (where r.n = 2),
            min(r.score) filter (where r.n = 2)
        into v_pc, v_score, v_next, v_next_score
        from (
            select
                b.pc_no,
                avg(b.best)::float8 as score,
                row_number() over (
                    order by avg(b.best) desc,
                        abs(
                            (select count(*) from unnest(p_pc_nos) as c (pc_no) where c.pc_no = b.pc_no)
                            - cardinality(p_column_norms)
                        ),
                        b.pc_no
                ) as n
            from (
                select c.pc_no, k.idx, max(
                    case when k.key = c.key then 1::real
                        else greatest(public.similarity(k.norm, c.norm), public.similarity(k.key, c.key)) end
                ) as best
                from unnest(p_column_norms, p_column_keys) with ordinality as k (norm, key, idx)
                cross join unnest(p_pc_nos, p_norms, p_keys) as c (pc_no, norm, key)
                group by c.pc_no, k.idx
            ) as b
            group by b.pc_no
        ) as r
        where r.n <= 2;
        if v_pc is null then
            return;  -- no columns or no candidates: nothing to match
        end if;
    end if;

    -- Every pair of the PC, best first (ties: the lower column, then the lower code).
    select
        array_agg(s.idx order by s.sim desc, s.idx, s.code),
        array_agg(s.code order by s.sim desc, s.idx, s.code),
        array_agg(s.sim order by s.sim desc, s.idx, s.code)
    into v_idx, v_code, v_sim
    from (
        select
            (k.idx - 1)::integer as idx,
            c.code,
            case when k.key = c.key then 1::real
                else greatest(public.similarity(k.norm, c.norm), public.similarity(k.key, c.key)) end as sim
        from unnest(p_column_norms, p_column_keys) with ordinality as k (norm, key, idx)
        cross join unnest(p_codes, p_pc_nos, p_norms, p_keys) as c (code, pc_no, norm, key)
        where c.pc_no = v_pc
    ) as s;

    -- Each column and each candidate once, best pairs first, none below the minimum.
    for i in 1 .. coalesce(cardinality(v_idx), 0) loop
        exit when v_sim[i]::float8 < p_min_similarity;
        continue when v_idx[i] = any(v_taken_idx) or v_code[i] = any(v_taken_code);
        v_taken_idx := v_taken_idx || v_idx[i];
        v_taken_code := v_taken_code || v_code[i];
        v_taken_sim := v_taken_sim || v_sim[i];
    end loop;

    return query
    select
        (k.idx - 1)::integer,
        v_pc,
        v_score,
        v_next,
        v_next_score,
        v_taken_code[t.pos],
        v_taken_sim[t.pos]::float8,
        v_code[n.pos],
        v_sim[n.pos]::float8
    from unnest(p_column_norms) with ordinality as k (norm, idx)
    cross join lateral (select array_position(v_taken_idx, (k.idx - 1)::integer) as pos) as t
    cross join lateral (select array_position(v_idx, (k.idx - 1)::integer) as pos) as n
    order by k.idx;
end
$$;

comment on function public.form20_match_candidates(
    text [], text [], text [], integer [], text [], text [], integer, double precision
) is
'Which candidate each candidate column of a Form 20 file is. Columns: their normalised names and space-less '
'keys (p_column_norms, p_column_keys, in column order); the state''s candidates: ECI code, PC number, '
'normalised name and key. A pair''s similarity is 1 for equal keys, else the better pg_trgm similarity of '
'the names and of the keys. The PC is p_pc_no, else the one whose candidates have the best mean best '
'similarity per column (then the closer count of candidates, the lower number; pc_score, and next_pc with '
'next_score for the runner-up). Each column is paired with one candidate of the PC, best pairs first, none '
'below p_min_similarity (code null then); nearest_code is its best candidate regardless. One row per '
'column (idx from 0); no row when nothing can be matched. 22023 for a similarity outside (0, 1] or NaN, a '
'PC number outside 1-999, arrays of unequal lengths, over 1000 columns or 100000 candidates, or a name '
'over 200 characters.';

-- The candidates' parties, by ECI code: found by code or any registered name (and given the code
-- when registered without one), else created with the code.
create or replace function public.form20_parties(p_codes text [], p_names text [])
returns table (code text, party_id integer, party_key text, registry_name text, how text)
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v_given text[];
    v_created text[];
begin
    if cardinality(p_codes) is distinct from cardinality(p_names) or cardinality(p_codes) > 10000 then
        raise exception 'form20_parties: codes and names must be arrays of one length, at most 10000, got % and %',
            cardinality(p_codes), cardinality(p_names)
            using errcode = '22023';
    end if;
    if exists (select from unnest(p_codes, p_names) as p (code, name) where p.code is null or p.name is null) then
        raise exception 'form20_parties: a party needs a code and a name'
            using errcode = '22023';
    end if;
    if exists (select from unnest(p_codes, p_names) as p (code, name) where length(p.code) > 8 or length(p.name) > 200) then
        raise exception 'form20_parties: a code is at most 8 characters and a name at most 200, got %',
            (select public.input_excerpt(min(p.code || ' ' || p.name)) from unnest(p_codes, p_names) as p (code, name)
             where length(p.code) > 8 or length(p.name) > 200)
            using errcode = '22023';
    end if;

    -- Known by name only: the party gets its ECI code (unless it has another one).
    with g as (
        update public.party as r set eci_code = s.code
        from (
            select distinct on (public.party_resolve(p.name)) p.code, public.party_resolve(p.name) as by_name
            from unnest(p_codes, p_names) as p (code, name)
            where public.party_resolve(p.code) is null and public.party_resolve(p.name) is not null
            order by public.party_resolve(p.name), p.code
        ) as s
        where r.party_id = s.by_name and r.eci_code is null
        returning s.code
    )

    select coalesce(array_agg(g.code), '{}') into v_given from g;

    -- No spelling reaches it: a new party with its ECI code.
    with c as (
        insert into public.party as r (name, eci_code, kind)
        select distinct on (p.code) p.name, p.code, 'party'
        from unnest(p_codes, p_names) as p (code, name)
        where public.party_resolve(p.code) is null and public.party_resolve(p.name) is null
        order by p.code, p.name
        returning r.eci_code::text as code
    )

    select coalesce(array_agg(c.code), '{}') into v_created from c;

    return query
    select
        s.code,
        s.party_id,
        public.party_key(s.party_id),
        r.name::text,
        case when s.code = any(v_created) then 'created' when s.code = any(v_given) then 'code given' else 'registered' end
    from (
        select distinct on (p.code) p.code, coalesce(public.party_resolve(p.code), public.party_resolve(p.name)) as party_id
        from unnest(p_codes, p_names) as p (code, name)
        order by p.code, p.name
    ) as s
    left join public.party as r on s.party_id = r.party_id
    order by s.code;
end
$$;

comment on function public.form20_parties(text [], text []) is
'The parties of a Form 20 file''s candidates, by ECI code (p_codes) and ECI''s name for it (p_names): one row '
'per code with its party_id, party_key() and registry name, and how: registered (found by the code, or by '
'a name when the party already has a code), code given (found by a name and registered without an ECI code: '
'it gets this one), created (no spelling reaches a party: made with the name and code, kind party). 22023 '
'for arrays of unequal lengths or over 10000, a missing code or name, a code over 8 or a name over 200 '
'characters.';

revoke execute on function public.form20_match_candidates(
    text [], text [], text [], integer [], text [], text [], integer, double precision
) from public;
revoke execute on function public.form20_parties(text [], text []) from public;
grant execute on function public.form20_match_candidates(
    text [], text [], text [], integer [], text [], text [], integer, double precision
) to lokdarpan_admin;
grant execute on function public.form20_parties(text [], text []) to lokdarpan_admin;
