-- Revert lokdarpan:code/maintenance/partitions/maintain from pg

drop function public.maintain_partitions(timestamptz);
