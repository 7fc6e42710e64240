-- Revert lokdarpan:roles from pg
-- Removes every privilege this database gives the roles, then drops each role unless another
-- database on the server still depends on it (roles are cluster-wide).

revoke select on all tables in schema public from lokdarpan_readonly;

do $$
begin
    execute pg_catalog.format('alter database %I reset statement_timeout', pg_catalog.current_database());
    execute pg_catalog.format('alter database %I reset idle_in_transaction_session_timeout', pg_catalog.current_database());
end
$$;

alter default privileges in schema public revoke usage, select, update on sequences from lokdarpan_admin;
-- Also references and trigger, which earlier versions of deploy/roles.sql granted.
alter default privileges in schema public
revoke select, insert, update, delete, truncate, references, trigger on tables from lokdarpan_admin;
alter default privileges in schema public revoke select on sequences from lokdarpan_readonly;
alter default privileges in schema public revoke select on tables from lokdarpan_readonly;
-- Databases deployed while the defaults had no IN SCHEMA (before issue 18) had them everywhere.
alter default privileges revoke usage, select, update on sequences from lokdarpan_admin;
alter default privileges revoke select, insert, update, delete, truncate on tables from lokdarpan_admin;
alter default privileges revoke select on sequences from lokdarpan_readonly;
alter default privileges revoke select on tables from lokdarpan_readonly;
alter default privileges revoke usage on schemas from lokdarpan_readonly;

revoke usage on schema public from lokdarpan_readonly;

do $$
declare
    r text;
begin
    foreach r in array array[
        'lokdarpan_maintenance', 'lokdarpan_app', 'lokdarpan_admin', 'lokdarpan_analyst', 'lokdarpan_readonly'
    ] loop
        if exists (
            select from pg_catalog.pg_shdepend as d
            inner join pg_catalog.pg_roles as ro on d.refobjid = ro.oid
            where ro.rolname = r and d.dbid <> (select oid from pg_catalog.pg_database where datname = current_database())
        ) then
            raise notice 'role % is still used by another database; keeping it', r;
        else
            execute format('drop role %I', r);
        end if;
    end loop;
end
$$;
