-- Revert lokdarpan:code/electoral/form20_merge/stations from pg

drop function public.form20_merge_stations(text, text, integer, integer, integer);
drop function public.form20_repeats(integer);
drop function public.form20_station_problems(integer);
drop function public.form20_stage();
