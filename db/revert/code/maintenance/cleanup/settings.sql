-- Revert lokdarpan:code/maintenance/cleanup/settings from pg

drop trigger maintenance_setting_stamp on public.maintenance_setting;
drop function public.maintenance_integer(text);
drop function public.maintenance_interval(text);
drop function public.maintenance_setting_stamp();
