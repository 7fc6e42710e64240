-- Verify lokdarpan:code/audit/triggers on pg

select 'public.audit_row_change()'::regprocedure;
select 'public.audit_enable(regclass, text, text [])'::regprocedure;
select 'public.audit_disable(regclass)'::regprocedure;

-- Both audit triggers on each of the four audited tables.
select 1 / (count(*) = 8)::int from pg_catalog.pg_trigger
where tgname in ('audit_row_change', 'audit_truncate')
    and tgrelid in ('public."user"'::regclass, 'public.auth_policy'::regclass, 'public.ward'::regclass, 'public.alert'::regclass)
    and tgfoid = 'public.audit_row_change()'::regprocedure;

-- "user".email (Fernet tokens) and password_hash are redacted in the log.
select 1 / count(*) from pg_catalog.pg_trigger
where tgrelid = 'public."user"'::regclass and tgname = 'audit_row_change'
    and pg_catalog.encode(tgargs, 'escape') like '%password\_hash\\000email\\000%';
