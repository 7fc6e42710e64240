-- Revert lokdarpan:code/electoral/results/checks from pg

drop trigger result_ps_check_truncate on public.result_ps;
drop trigger result_ps_touch_stations_delete on public.result_ps;
drop trigger result_ps_touch_stations_update on public.result_ps;
drop trigger result_ps_touch_stations_insert on public.result_ps;
drop trigger chk_polling_station_result_votes_add_up on public.polling_station_result;
drop function public.result_ps_check_truncate();
drop function public.result_ps_touch_stations();
drop function public.polling_station_result_check_sum();
