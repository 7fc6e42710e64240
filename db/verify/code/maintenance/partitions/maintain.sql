-- Verify lokdarpan:code/maintenance/partitions/maintain on pg

select 'public.maintain_partitions(timestamptz)'::regprocedure;
