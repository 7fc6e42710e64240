-- Deploy lokdarpan:code/news/triggers to pg
-- requires: news code/wards/lookup
-- What the database fills in on a write: epaper.sha256, post.search_vector (the seed's weights)
-- and post.ward_id from the post's city (ward_resolve()); a post from the future is refused.

create or replace function public.epaper_fill_sha256()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    expected text := encode(sha256(convert_to(new.raw_text, 'UTF8')), 'hex');
begin
    if new.sha256 is null
        or (tg_op = 'UPDATE' and new.raw_text is distinct from old.raw_text and new.sha256 = old.sha256) then
        new.sha256 := expected;
    elsif lower(new.sha256) = expected then
        new.sha256 := expected;
    else
        raise exception 'epaper.sha256 % does not match raw_text (its SHA-256 is %)', new.sha256, expected
            using errcode = '23514', constraint = 'epaper_sha256_matches_raw_text',
            hint = 'Leave sha256 null and the database computes it, or hash the UTF-8 bytes of raw_text.';
    end if;
    return new;
end
$$;

comment on function public.epaper_fill_sha256() is
'Trigger: computes epaper.sha256 from raw_text when it is null (or when an update changes raw_text '
'but not sha256), accepts an application-computed hash in either letter case, and rejects a hash '
'that disagrees with raw_text (23514).';

drop trigger if exists epaper_fill_sha256_before_write on public.epaper;
create trigger epaper_fill_sha256_before_write
before insert or update of raw_text, sha256 on public.epaper
for each row
execute function public.epaper_fill_sha256();

-- The seed's trigger function, weights exactly as the seed sets them.
create or replace function public.update_post_search_vector()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    new.search_vector :=
        setweight(to_tsvector('english', coalesce(new.text, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(new.city, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(new.emotion, '')), 'C') ||
        setweight(to_tsvector('english', coalesce(new.party, '')), 'B');
    return new;
end
$$;

comment on function public.update_post_search_vector() is
'Trigger: post.search_vector from text (A), city (B), emotion (C) and party (B), English configuration.';

drop trigger if exists update_post_search_vector_trigger on public.post;
create trigger update_post_search_vector_trigger
before insert or update on public.post
for each row
execute function public.update_post_search_vector();

create or replace function public.post_check_and_link_ward()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    resolved text;
    ward_given boolean := (tg_op = 'INSERT' and new.ward_id is not null)
        or (tg_op = 'UPDATE' and new.ward_id is distinct from old.ward_id);
begin
    if tg_op = 'INSERT' or new.created_at is distinct from old.created_at then
        if new.created_at > public.lokdarpan_now() + interval '1 day' then
            raise exception 'post.created_at % is more than one day ahead of the database clock (%)',
                new.created_at, public.lokdarpan_now()
                using errcode = '23514', constraint = 'chk_post_created_at',
                hint = 'Send the publication time with its time zone.';
        end if;
    end if;
    if tg_op = 'INSERT' or new.city is distinct from old.city or ward_given or new.ward_id is null then
        -- The common case, an exact ward name, without ward_resolve's parsing.
        select w.ward_id into resolved from public.ward as w where lower(w.name) = lower(new.city);
        if resolved is null then
            resolved := public.ward_resolve(new.city);
        end if;
        if resolved is not null then
            if ward_given and new.ward_id <> resolved then
                raise exception 'post.ward_id % contradicts city %, which names ward %', new.ward_id, new.city, resolved
                    using errcode = '23514';
            end if;
            new.ward_id := resolved;
        elsif not ward_given then
            new.ward_id := null;
        end if;
    end if;
    return new;
end
$$;

comment on function public.post_check_and_link_ward() is
'Trigger: rejects a post dated more than one day after lokdarpan_now() (23514), and sets '
'post.ward_id to the ward that city names (ward_resolve) when a post is written, its city changes '
'or it has no ward yet. An explicit ward_id is kept when city names no ward and rejected when it '
'contradicts the ward city names.';

drop trigger if exists post_check_and_link_ward_trigger on public.post;
create trigger post_check_and_link_ward_trigger
before insert or update on public.post
for each row
execute function public.post_check_and_link_ward();
