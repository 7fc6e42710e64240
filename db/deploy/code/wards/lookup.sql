-- Deploy lokdarpan:code/wards/lookup to pg
-- requires: wards
-- Naming a ward: ward_resolve() reads a name, id or number exactly; ward_lookup() suggests wards
-- for what a user typed (pg_trgm).

-- The ward a piece of text names exactly: a ward id (GHMC-091), a ward name in any case
-- (jubilee hills), a ward number (91, Ward 91) or "Ward 91 Khairatabad" (number and name must agree).
create or replace function public.ward_resolve(p_ward text)
returns text
language plpgsql
stable
parallel safe
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    t text;
    m text[];
    found_id text;
begin
    -- No ward is named by more than 200 characters; longer text is not parsed at all.
    if p_ward is null or length(p_ward) > 200 then
        return null;
    end if;
    t := btrim(regexp_replace(p_ward, '\s+', ' ', 'g'));
    if t = '' then
        return null;
    end if;
    select w.ward_id into found_id from public.ward as w where lower(w.name) = lower(t);
    if found_id is not null then
        return found_id;
    end if;
    if upper(t) ~ '^GHMC-[0-9]{3}$' then
        select w.ward_id into found_id from public.ward as w where w.ward_id = upper(t);
        return found_id;
    end if;
    m := regexp_match(t, '^(?:ward\s*(?:no\.?|number|#)?\s*)?([0-9]{1,3})(?:\s+(.*))?$', 'i');
    if m is not null then
        select w.ward_id into found_id from public.ward as w
        where w.ward_no = m[1]::integer and (m[2] is null or lower(w.name) = lower(m[2]));
    end if;
    return found_id;
end
$$;

comment on function public.ward_resolve(text) is
'The ward_id that a text names exactly, or null: a ward id (GHMC-091), a ward name ignoring case and '
'extra spaces (jubilee hills), a number (91, Ward 91, Ward No. 91) or "Ward 91 Khairatabad" when '
'number and name agree; null for anything else, text over 200 characters included (it is not parsed). '
'Used to link a post''s city to the registry; never guesses (see ward_lookup).';

create or replace function public.ward_lookup(p_query text, p_limit integer default 5)
returns table (ward_id text, ward_no integer, name text, zone text, similarity real)
language plpgsql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
set "pg_trgm.similarity_threshold" = 0.3
set "pg_trgm.word_similarity_threshold" = 0.3
as $$
declare
    q text;
    m text[];
begin
    if length(p_query) > 200 then
        raise exception 'ward_lookup: the query is % characters long; at most 200', length(p_query)
            using errcode = '22023', hint = 'Pass a ward name (Jubilee Hills), a number (91, Ward 91) or an id (GHMC-091).';
    end if;
    q := lower(btrim(regexp_replace(coalesce(p_query, ''), '\s+', ' ', 'g')));
    if q = '' then
        raise exception 'ward_lookup: the query must name a ward, got %', coalesce(quote_literal(p_query), 'null')
            using errcode = '22023', hint = 'Pass a ward name (Jubilee Hills), a number (91, Ward 91) or an id (GHMC-091).';
    end if;
    if p_limit is null or p_limit not between 1 and 150 then
        raise exception 'ward_lookup: limit must be between 1 and 150, got %', coalesce(p_limit::text, 'null')
            using errcode = '22023';
    end if;

    -- A number (91, Ward 91, Ward No. 91, Ward 91 Khairatabad) or an id (GHMC-091) means that ward.
    m := regexp_match(q, '^(?:ghmc-|ward\s*(?:no\.?|number|#)?\s*)?([0-9]{1,3})(?:\s.*)?$');
    if m is not null then
        return query
        select w.ward_id, w.ward_no, w.name, w.zone, 1.0::real
        from public.ward as w
        where w.ward_no = m[1]::integer;
        return;
    end if;

    -- Otherwise a fuzzy name: the better of whole-name and best-word trigram similarity,
    -- so 'jubli hils' finds Jubilee Hills and 'malakpet' finds Old Malakpet.
    return query
    select s.ward_id, s.ward_no, s.name, s.zone, s.score
    from (
        select
            w.ward_id, w.ward_no, w.name, w.zone,
            greatest(public.similarity(lower(w.name), q), public.word_similarity(q, lower(w.name))) as score
        from public.ward as w
        where lower(w.name) operator(public.%) q or q operator(public.<%) lower(w.name)
    ) as s
    order by s.score desc, s.ward_no
    limit p_limit;
end
$$;

comment on function public.ward_lookup(text, integer) is
'Wards a user probably means, best first: for a number (91, Ward 91, GHMC-091) that ward with '
'similarity 1; for a name, up to p_limit wards whose similarity reaches 0.3, best first, then by '
'ward number. similarity is the greater of pg_trgm similarity(name, query) and '
'word_similarity(query, name), both on lower-cased text. Raises 22023 on an empty query, a query over '
'200 characters (without echoing it) or a limit outside 1..150.';

revoke execute on function public.ward_lookup(text, integer) from public;
revoke execute on function public.ward_resolve(text) from public;
grant execute on function public.ward_lookup(text, integer) to lokdarpan_readonly;
grant execute on function public.ward_resolve(text) to lokdarpan_readonly;
