-- Revert lokdarpan:audit from pg

drop trigger audit_truncate on public.alert;
drop trigger audit_row_change on public.alert;
drop trigger audit_truncate on public.ward;
drop trigger audit_row_change on public.ward;
drop trigger audit_truncate on public.auth_policy;
drop trigger audit_row_change on public.auth_policy;
drop trigger audit_truncate on public."user";
drop trigger audit_row_change on public."user";
drop function public.audit_row_change();
drop table public.audit_log;
