-- Verify lokdarpan:maintenance/cleanup on pg

select
    name,
    value_interval,
    value_integer,
    description,
    updated_at,
    updated_by
from public.maintenance_setting
where false;
select 1 / count(*) from public.maintenance_setting
where name = 'execution_retention';
select
    id,
    started_at,
    as_of,
    finished_at,
    dry_run,
    batch_size,
    run_by,
    results
from public.maintenance_run
where false;
