-- Verify lokdarpan:code/maintenance/table_rebuild on pg

select
    'public.table_rebuild(regclass, text, text [], text)'::regprocedure,
    'public.table_rebuild_check(regclass, text, text [])'::regprocedure,
    'public.table_rebuild_set_indexes_aside(regclass)'::regprocedure,
    'public.table_rebuild_dependents(regclass)'::regprocedure,
    'public.table_rebuild_grants(regclass)'::regprocedure,
    'public.table_rebuild_set_sequences_aside(regclass)'::regprocedure;
