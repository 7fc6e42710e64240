-- Revert lokdarpan:wards from pg

drop table public.ward;
drop function public.ward_boundary_bbox(jsonb);
drop function public.ward_boundary_problem(jsonb);
