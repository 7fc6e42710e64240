-- Verify lokdarpan:code/electoral/form20_merge/stations on pg

select
    'public.form20_stage()'::regprocedure,
    'public.form20_station_problems(integer)'::regprocedure,
    'public.form20_repeats(integer)'::regprocedure,
    'public.form20_merge_stations(text, text, integer, integer, integer)'::regprocedure;
