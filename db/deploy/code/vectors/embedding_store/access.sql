-- Deploy lokdarpan:code/vectors/embedding_store/access to pg
-- requires: vectors/embedding_store
-- record_embedding_access() and flush_embedding_access(): access tracking.

create or replace function public.record_embedding_access(p_ids integer [])
returns integer
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    n integer;
begin
    -- A call records what one search returned: at most 100 ids, each counted once, only ids of
    -- chunks that exist (issue 18: array_fill(id, array[1000]) in a loop made 100,000 fake hits).
    if cardinality(p_ids) > 100 then
        raise exception 'record_embedding_access: % ids; at most 100 a call', cardinality(p_ids) using errcode = '22023';
    end if;
    insert into public.ai_embedding_access (embedding_id, accessed_at)
    select d.i, public.lokdarpan_now()
    from (select distinct u.i from pg_catalog.unnest(p_ids) as u (i) where u.i is not null) as d
    where exists (select from public.ai_embedding_store as s where s.id = d.i);
    get diagnostics n = row_count;
    return n;
end
$$;

comment on function public.record_embedding_access(integer []) is
'Appends search hits to ai_embedding_access: at most 100 ids a call (22023 naming the count), each id '
'counted once however often it is repeated, ids of missing chunks ignored; returns the hits recorded. Called '
'by find_similar_content(). SECURITY DEFINER so that readers, who may not write, are counted; executable by '
'lokdarpan_readonly.';

create or replace function public.flush_embedding_access()
returns integer
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    n integer;
begin
    with gone as (
        delete from public.ai_embedding_access returning embedding_id, accessed_at
    ),

    hits as (
        select
            g.embedding_id,
            count(*) as hits,
            max(g.accessed_at) as last_at
        from gone as g
        where exists (select from public.ai_embedding_store as s where s.id = g.embedding_id)
        group by g.embedding_id
    )

    insert into public.ai_embedding_usage as u (embedding_id, access_count, last_accessed_at)
    select
        h.embedding_id,
        least(h.hits, 2147483647)::integer,
        h.last_at
    from hits as h
    on conflict (embedding_id) do update
        set
            access_count = least(u.access_count::bigint + excluded.access_count, 2147483647)::integer,
            last_accessed_at = greatest(u.last_accessed_at, excluded.last_accessed_at);
    get diagnostics n = row_count;
    return n;
end
$$;

comment on function public.flush_embedding_access() is
'Folds ai_embedding_access into ai_embedding_usage (access_count, last_accessed_at) and empties it; '
'returns how many chunks it updated. For the maintenance job (lokdarpan_admin), e.g. every few minutes.';

revoke execute on function public.record_embedding_access(integer []) from public;

revoke execute on function public.flush_embedding_access() from public;

grant execute on function public.record_embedding_access(integer []) to lokdarpan_readonly;

grant execute on function public.flush_embedding_access() to lokdarpan_admin;
