-- Verify lokdarpan:code/analytics/ward_rollups/deltas on pg

select 'public.ward_post_day(timestamptz)'::regprocedure;
select 'public.ward_post_deltas(public.ward_post_change [])'::regprocedure;
select 'public.post_rollup_apply(public.ward_post_delta [])'::regprocedure;
select
    ward_id,
    day,
    posts,
    positive,
    negative,
    neutral,
    mixed,
    emotion_unknown,
    bjp,
    inc,
    brs,
    aimim,
    trs,
    nota,
    independent,
    other_party,
    no_party,
    updated_at
from public.ward_day_rollup
where false;
select
    ward_id,
    day,
    author_id,
    posts
from public.ward_day_author
where false;
select
    ward_id,
    author_id,
    posts
from public.ward_author_rollup
where false;
