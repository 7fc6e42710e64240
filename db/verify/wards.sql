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
