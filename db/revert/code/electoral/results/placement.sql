-- Revert lokdarpan:code/electoral/results/placement from pg

drop function public.place_polling_stations();
