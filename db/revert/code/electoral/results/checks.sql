-- Revert lokdarpan:code/electoral/results/checks from pg

drop trigger result_ps_check_truncate on public.result_ps;
drop trigger result_ps_queue_check_delete on public.result_ps;
drop trigger result_ps_queue_check_update on public.result_ps;
drop trigger result_ps_queue_check_insert on public.result_ps;
drop trigger polling_station_result_queue_check_update on public.polling_station_result;
drop trigger polling_station_result_queue_check_insert on public.polling_station_result;
drop trigger chk_polling_station_result_votes_add_up on public.polling_station_result_check_pending;
drop function public.result_ps_check_truncate();
drop function public.polling_station_result_check_sum();
drop function public.polling_station_result_queue_check();
