-- pgTAP: the partition probes of the integrity checks (maintenance/integrity). The checks and their
-- runner are told by db/tests/code/maintenance/integrity/run.sql.
begin;
select tap_ensure_personas();
select plan(4);

select has_function('public', 'integrity_default_partition_rows', array[]::text [], 'integrity_default_partition_rows() exists');
select has_function('public', 'integrity_partition_gaps', array['timestamp with time zone'], 'integrity_partition_gaps(timestamptz) exists');
select ok(
    not has_function_privilege('public', 'public.integrity_partition_gaps(timestamptz)'::regprocedure, 'execute'),
    'PUBLIC may not execute the probes'
);
select is(integrity_partition_gaps(lokdarpan_now()), 0::bigint, 'a fresh deploy has its months ahead');

select * from finish();
rollback;
