-- Revert lokdarpan:audit from pg

drop table public.audit_log;
