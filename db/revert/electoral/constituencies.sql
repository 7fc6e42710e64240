-- Revert lokdarpan:electoral/constituencies from pg

drop function public.compute_ward_constituency(numeric);
drop table public.ward_constituency_override;
drop table public.ward_constituency;
drop table public.constituency;
drop function public.constituency_check_pc();
