-- Revert lokdarpan:code/maintenance/integrity/run from pg

drop function public.validate_data_integrity(text []);
