-- Revert lokdarpan:electoral/results from pg

drop table public.polling_station_result_check_pending;
drop table public.polling_station_result_check_queue;
drop table public.result_ps;
drop table public.polling_station_result;
drop table public.polling_station;
drop table public.constituency_result;
