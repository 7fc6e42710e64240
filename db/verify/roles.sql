-- Verify lokdarpan:roles on pg

select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_readonly';
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_analyst';
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_admin';
select 1 / count(*) from pg_catalog.pg_default_acl
where defaclnamespace = 'public'::regnamespace and defaclobjtype = 'r';
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_app';
select 1 / count(*) from pg_catalog.pg_db_role_setting as s
inner join pg_catalog.pg_database as d on s.setdatabase = d.oid
where d.datname = pg_catalog.current_database() and s.setrole = 0
    and s.setconfig @> array['statement_timeout=30s'];
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_maintenance' and not rolsuper;
-- No default privileges outside schema public (they would reach extensions' schemas).
select 1 / (count(*) = 0)::integer from pg_catalog.pg_default_acl as d
where d.defaclnamespace = 0 and d.defaclacl::text ~ 'lokdarpan_';
