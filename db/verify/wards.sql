-- Verify lokdarpan:wards on pg

select
    ward_id,
    ward_no,
    name,
    zone,
    boundary,
    bbox,
    source,
    boundary_source,
    created_at,
    updated_at
from public.ward
where false;

select 'public.ward_boundary_problem(jsonb)'::regprocedure;
select 'public.ward_boundary_bbox(jsonb)'::regprocedure;
select 'public.ward_touch()'::regprocedure;
select 'public.ward_resolve(text)'::regprocedure;
select 'public.ward_lookup(text, integer)'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public.ward'::regclass and tgname = 'ward_touch_before_update';
