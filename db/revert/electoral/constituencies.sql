-- Revert lokdarpan:electoral/constituencies from pg

drop function public.ward_constituency_name_check(real, boolean, text);
drop function public.constituency_name_key(text);
drop function public.compute_ward_constituency(numeric);
drop function public.electoral_recompute_lock(text);
drop table public.electoral_setting;
drop table public.ward_constituency_override;
drop table public.ward_constituency;
drop table public.constituency;
drop function public.constituency_check_pc();
