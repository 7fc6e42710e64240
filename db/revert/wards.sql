-- Revert lokdarpan:wards from pg

drop function public.ward_lookup(text, integer);
drop function public.ward_resolve(text);
drop trigger ward_touch_before_update on public.ward;
drop function public.ward_touch();
drop table public.ward;
drop function public.ward_boundary_bbox(jsonb);
drop function public.ward_boundary_problem(jsonb);
