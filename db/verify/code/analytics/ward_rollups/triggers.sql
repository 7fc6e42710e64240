-- Verify lokdarpan:code/analytics/ward_rollups/triggers on pg

select 'public.post_rollup_maintain()'::regprocedure;
select 'public.ward_rollups_fold(boolean)'::regprocedure;
select 1 / (count(*) = 4)::integer from pg_catalog.pg_trigger
where
    tgrelid = 'public.post'::regclass
    and tgname in ('post_rollup_insert', 'post_rollup_update', 'post_rollup_delete', 'post_rollup_truncate');
