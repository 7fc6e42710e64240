-- Verify lokdarpan:code/electoral/results/placement on pg

select 'public.place_polling_stations()'::regprocedure;
