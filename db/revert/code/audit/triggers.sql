-- Revert lokdarpan:code/audit/triggers from pg

select public.audit_disable('public.alert');
select public.audit_disable('public.ward');
select public.audit_disable('public.auth_policy');
select public.audit_disable('public."user"');
drop function public.audit_disable(regclass);
drop function public.audit_enable(regclass, text, text []);
drop function public.audit_row_change();
