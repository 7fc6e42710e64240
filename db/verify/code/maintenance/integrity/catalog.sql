-- Verify lokdarpan:code/maintenance/integrity/catalog on pg

select
    'public.integrity_check_catalog()'::regprocedure,
    'public.integrity_checks_posts()'::regprocedure,
    'public.integrity_checks_ai()'::regprocedure,
    'public.integrity_checks_electoral()'::regprocedure,
    'public.integrity_checks_storage()'::regprocedure;
select 1 / (count(*) = 19)::integer from public.integrity_check_catalog();
