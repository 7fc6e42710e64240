-- Verify lokdarpan:roles on pg

select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_readonly';
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_analyst';
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_admin';
select 1 / count(*) from pg_catalog.pg_default_acl
where defaclnamespace = 'public'::regnamespace and defaclobjtype = 'r';
