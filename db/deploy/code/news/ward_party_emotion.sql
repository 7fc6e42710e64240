-- Deploy lokdarpan:code/news/ward_party_emotion to pg
-- requires: news code/wards/lookup

-- The analyst's first question about a ward: who is talked about, in what mood.
create or replace function public.ward_party_emotion(p_ward text, p_days integer default 30)
returns table (
    party text,
    positive bigint,
    negative bigint,
    neutral bigint,
    mixed bigint,
    unknown bigint,
    total bigint
)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    ward text;
begin
    if length(p_ward) > 200 then
        raise exception 'ward_party_emotion: the ward is % characters long; at most 200', length(p_ward)
            using errcode = '22023';
    end if;
    if p_days is null or p_days not between 1 and 3660 then
        raise exception 'ward_party_emotion: days must be between 1 and 3660, got %', coalesce(p_days::text, 'null')
            using errcode = '22023';
    end if;
    ward := public.ward_resolve(p_ward);
    if ward is null then
        raise exception 'ward_party_emotion: % is not a ward', coalesce(quote_literal(p_ward), 'null')
            using errcode = '22023', hint = 'Pass a ward id (GHMC-095), name (Jubilee Hills) or number (Ward 95).';
    end if;
    return query
    select
        coalesce(p.party, '—')::text,
        count(*) filter (where p.emotion = 'positive'),
        count(*) filter (where p.emotion = 'negative'),
        count(*) filter (where p.emotion = 'neutral'),
        count(*) filter (where p.emotion = 'mixed'),
        count(*) filter (where p.emotion is null or p.emotion = 'unknown'),
        count(*)
    from public.post as p
    where p.ward_id = ward and p.created_at >= public.lokdarpan_now() - make_interval(days => p_days)
    group by 1
    order by 7 desc, 1;
end
$$;

comment on function public.ward_party_emotion(text, integer) is
'Posts about a ward (id, name or number, as ward_resolve reads it) of the last p_days days (1..3660, '
'default 30), counted per party (''—'' for none) and emotion (unknown counts null too), most '
'talked-about party first. Raises 22023 for an unknown ward, a ward over 200 characters or days out '
'of range. The demo and the application share it.';

revoke execute on function public.ward_party_emotion(text, integer) from public;
grant execute on function public.ward_party_emotion(text, integer) to lokdarpan_readonly;
