-- Revert lokdarpan:code/maintenance/integrity/catalog from pg

drop function public.integrity_check_catalog();
drop function public.integrity_checks_storage();
drop function public.integrity_checks_electoral();
drop function public.integrity_checks_ai();
drop function public.integrity_checks_posts();
