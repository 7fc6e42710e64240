-- Revert lokdarpan:code/electoral/constituencies/triggers from pg

drop trigger constituency_check_pc on public.constituency;
drop function public.constituency_check_pc();
