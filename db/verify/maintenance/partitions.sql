-- Verify lokdarpan:maintenance/partitions on pg

select 1 / (
    select count(*)::integer from pg_catalog.pg_partitioned_table
    where partrelid = 'public.post'::regclass and partstrat = 'r'
);
select 'public.post_default'::regclass;
select 1 / count(*)::integer from partman.part_config
where parent_table in ('public.post', 'public.ai_model_execution') and infinite_time_partitions
having count(*) = 2;
