-- Verify lokdarpan:roles on pg

select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_readonly';
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_analyst';
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_admin';
select 1 / count(*) from pg_catalog.pg_default_acl
where defaclnamespace = 0 and defaclobjtype = 'r';
select 1 / count(*) from pg_catalog.pg_roles
where rolname = 'lokdarpan_app';
select 1 / count(*) from pg_catalog.pg_db_role_setting as s
inner join pg_catalog.pg_database as d on s.setdatabase = d.oid
where d.datname = pg_catalog.current_database() and s.setrole = 0
    and s.setconfig @> array['statement_timeout=30s'];
