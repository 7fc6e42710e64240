-- Verify lokdarpan:analytics/ward_rollups on pg

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
    authors,
    updated_at
from public.ward_day_rollup_folded
where false;
select
    ward_id,
    day,
    author_id,
    posts
from public.ward_day_author_folded
where false;
select
    ward_id,
    author_id,
    posts
from public.ward_author_rollup_folded
where false;
select
    ward_id,
    day,
    author_id,
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
    written_at
from public.ward_post_pending
where false;
select 'public.ward_post_delta'::regtype;
select 'public.ward_post_change'::regtype;
