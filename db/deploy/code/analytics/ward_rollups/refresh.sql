-- Deploy lokdarpan:code/analytics/ward_rollups/refresh to pg
-- requires: analytics/ward_rollups code/analytics/ward_rollups/triggers
-- The rollups recounted from post (ward_day_recount) and refresh_ward_analytics(), the nightly
-- rebuild that reports how many rows it corrected.

-- What ward_day_rollup must hold, recounted from post: the same counts as ward_post_deltas(),
-- written out for speed (the pgTAP suite compares them). refresh_ward_analytics() rebuilds from
-- it; validate_data_integrity() compares the rollup with it.
create or replace view public.ward_day_recount as
select
    p.ward_id,
    (p.created_at at time zone 'Asia/Kolkata')::date as day,
    count(*)::integer as posts,
    count(*) filter (where p.emotion = 'positive')::integer as positive,
    count(*) filter (where p.emotion = 'negative')::integer as negative,
    count(*) filter (where p.emotion = 'neutral')::integer as neutral,
    count(*) filter (where p.emotion = 'mixed')::integer as mixed,
    count(*) filter (where p.emotion is null or p.emotion = 'unknown')::integer as emotion_unknown,
    count(*) filter (where p.party = 'BJP')::integer as bjp,
    count(*) filter (where p.party = 'INC')::integer as inc,
    count(*) filter (where p.party = 'BRS')::integer as brs,
    count(*) filter (where p.party = 'AIMIM')::integer as aimim,
    count(*) filter (where p.party = 'TRS')::integer as trs,
    count(*) filter (where p.party = 'NOTA')::integer as nota,
    count(*) filter (where p.party = 'Independent')::integer as independent,
    count(*) filter (where p.party = 'Other')::integer as other_party,
    count(*) filter (where p.party is null)::integer as no_party
from public.post as p
where p.ward_id is not null
group by 1, 2;

comment on view public.ward_day_recount is
'ward_day_rollup recounted from post (one row per ward and Hyderabad day): what the rollup must hold. A full '
'scan of post: for the nightly rebuild (refresh_ward_analytics()) and the integrity check, not for dashboards.';

create or replace function public.refresh_ward_analytics()
returns table (relation text, rows bigint, corrected bigint)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    n bigint;
    fixed bigint;
begin
    -- Writers wait until the rebuild commits: the rollups and post agree at that instant.
    lock table public.post in share mode;
    -- What is pending joins the folded tables first (under the fold's lock, so no fold runs
    -- meanwhile): they then hold what the readers' views showed, and are compared with post.
    perform public.ward_rollups_fold(true);
    lock table public.ward_day_rollup_folded, public.ward_day_author_folded, public.ward_author_rollup_folded
    in exclusive mode;

    create temporary table fresh_day_author on commit drop as
    select p.ward_id, (p.created_at at time zone 'Asia/Kolkata')::date as day, p.author_id, count(*)::integer as posts
    from public.post as p
    where p.ward_id is not null and p.author_id is not null
    group by 1, 2, 3;
    create temporary table fresh_day on commit drop as
    select r.*, coalesce(a.authors, 0)::integer as authors
    from public.ward_day_recount as r
    left join (
        select f.ward_id, f.day, count(*) as authors from pg_temp.fresh_day_author as f
        group by f.ward_id, f.day
    ) as a on r.ward_id = a.ward_id and r.day = a.day;
    select count(*) into fixed from (
        (
            select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
                aimim, trs, nota, independent, other_party, no_party, authors
            from pg_temp.fresh_day
            except all
            select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
                aimim, trs, nota, independent, other_party, no_party, authors
            from public.ward_day_rollup_folded
        )
        union all
        (
            select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
                aimim, trs, nota, independent, other_party, no_party, authors
            from public.ward_day_rollup_folded
            except all
            select ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs,
                aimim, trs, nota, independent, other_party, no_party, authors
            from pg_temp.fresh_day
        )
    ) as diff;
    delete from public.ward_day_rollup_folded;
    insert into public.ward_day_rollup_folded (
        ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs, aimim,
        trs, nota, independent, other_party, no_party, authors, updated_at
    )
    select
        ward_id, day, posts, positive, negative, neutral, mixed, emotion_unknown, bjp, inc, brs, aimim,
        trs, nota, independent, other_party, no_party, authors, public.lokdarpan_now()
    from pg_temp.fresh_day
    order by ward_id, day;
    get diagnostics n = row_count;
    relation := 'ward_day_rollup'; rows := n; corrected := fixed;
    return next;

    select count(*) into fixed from (
        (select * from pg_temp.fresh_day_author except all
        select ward_id, day, author_id, posts from public.ward_day_author_folded)
        union all
        (select ward_id, day, author_id, posts from public.ward_day_author_folded except all
        select * from pg_temp.fresh_day_author)
    ) as diff;
    delete from public.ward_day_author_folded;
    insert into public.ward_day_author_folded (ward_id, day, author_id, posts)
    select * from pg_temp.fresh_day_author order by 1, 2, 3;
    get diagnostics n = row_count;
    relation := 'ward_day_author'; rows := n; corrected := fixed;
    return next;

    create temporary table fresh_author on commit drop as
    select f.ward_id, f.author_id, sum(f.posts)::integer as posts
    from pg_temp.fresh_day_author as f
    group by 1, 2;
    select count(*) into fixed from (
        (select * from pg_temp.fresh_author except all select ward_id, author_id, posts from public.ward_author_rollup_folded)
        union all
        (select ward_id, author_id, posts from public.ward_author_rollup_folded except all select * from pg_temp.fresh_author)
    ) as diff;
    delete from public.ward_author_rollup_folded;
    insert into public.ward_author_rollup_folded (ward_id, author_id, posts)
    select * from pg_temp.fresh_author order by 1, 2;
    get diagnostics n = row_count;
    relation := 'ward_author_rollup'; rows := n; corrected := fixed;
    return next;

    drop table pg_temp.fresh_day, pg_temp.fresh_day_author, pg_temp.fresh_author;
end
$$;

comment on function public.refresh_ward_analytics() is
'The seed''s full rebuild, now a consistency check: folds what is pending (ward_rollups_fold()), then '
'recomputes ward_day_rollup, ward_day_author and ward_author_rollup from post into their *_folded tables '
'(writers wait meanwhile: SHARE lock on post) and returns, per table, '
'its rows and how many rows it corrected (rows that differed from the incrementally kept ones, '
'counted from both sides; 0 when the triggers kept everything right). SECURITY DEFINER (it rewrites '
'derived tables only the owner writes; it takes no input): the owner (lokdarpan-db refresh) and '
'lokdarpan_maintenance (the nightly pg_cron job of lokdarpan-db schedule) may call it.';

revoke execute on function public.refresh_ward_analytics() from public;
grant execute on function public.refresh_ward_analytics() to lokdarpan_maintenance;
