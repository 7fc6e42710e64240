-- Revert lokdarpan:code/electoral/constituencies/staging from pg

drop function public.ward_constituency_override_stage_problems(integer);
drop function public.ward_constituency_override_stage();
drop function public.constituency_boundary_stage();
