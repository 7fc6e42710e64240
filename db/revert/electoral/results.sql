-- Revert lokdarpan:electoral/results from pg

drop function public.place_polling_stations();
drop table public.result_ps;
drop function public.result_ps_touch_stations();
drop function public.result_ps_check_truncate();
drop table public.polling_station_result;
drop function public.polling_station_result_check_sum();
drop table public.polling_station;
drop view public.constituency_result_share;
drop table public.constituency_result;
