-- Revert lokdarpan:code/maintenance/table_rebuild from pg

drop function public.table_rebuild(regclass, text, text [], text);
drop function public.table_rebuild_set_sequences_aside(regclass);
drop function public.table_rebuild_grants(regclass);
drop function public.table_rebuild_dependents(regclass);
drop function public.table_rebuild_set_indexes_aside(regclass);
drop function public.table_rebuild_check(regclass, text, text []);
