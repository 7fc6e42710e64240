-- Deploy lokdarpan:roles to pg
-- requires: clock
-- The three group roles of the seed, and lokdarpan_app: the application, which signs users in.
-- Roles are cluster-wide: another database on the same server may already have created them, so
-- creation is conditional. Privileges reach tables created later through default privileges of
-- the deploying role. Every session in this database gets a statement and idle-transaction
-- timeout (docs/security.md): a runaway query or a forgotten open transaction cannot hold a
-- backend and its locks for ever.

do $$
declare
    r text;
begin
    foreach r in array array['lokdarpan_readonly', 'lokdarpan_analyst', 'lokdarpan_admin', 'lokdarpan_app'] loop
        if not exists (select from pg_catalog.pg_roles where rolname = r) then
            execute format('create role %I nologin', r);
        end if;
    end loop;
end
$$;

comment on role lokdarpan_readonly is 'LokDarpan: read every table and view, change nothing.';
comment on role lokdarpan_analyst is 'LokDarpan: readonly plus writing posts, epapers and alerts.';
comment on role lokdarpan_admin is 'LokDarpan: full data privileges on every LokDarpan table.';
comment on role lokdarpan_app is
'LokDarpan: the application. Analyst privileges plus the sign-in functions (password hashes, '
'failure bookkeeping) that no person needs.';

-- analyst can do all readonly can; admin all analyst can.
grant lokdarpan_readonly to lokdarpan_analyst;
grant lokdarpan_analyst to lokdarpan_admin;
grant lokdarpan_analyst to lokdarpan_app;

grant usage on schema public to lokdarpan_readonly;

-- Schemas, tables, views and sequences created later by the deploying role, in any schema:
-- a change under db/deploy/<domain>/ that makes its own schema needs no grants of its own.
alter default privileges grant usage on schemas to lokdarpan_readonly;
alter default privileges grant select on tables to lokdarpan_readonly;
alter default privileges grant select on sequences to lokdarpan_readonly;
-- Data privileges only: not TRIGGER, which would let an admin attach a trigger (its function in
-- pg_temp) that runs with the privileges of whoever next writes the table, a superuser included;
-- nor REFERENCES, which only matters to table owners.
alter default privileges grant select, insert, update, delete, truncate on tables to lokdarpan_admin;
alter default privileges grant usage, select, update on sequences to lokdarpan_admin;

-- Tables that already exist (none in a fresh database; extensions' own tables in others).
grant select on all tables in schema public to lokdarpan_readonly;

-- Sane limits for every session in this database (overridable per role, per session, or with
-- ALTER DATABASE; the deployer sets statement_timeout = 0 in its own session).
do $$
begin
    execute pg_catalog.format('alter database %I set statement_timeout = %L', pg_catalog.current_database(), '30s');
    execute pg_catalog.format(
        'alter database %I set idle_in_transaction_session_timeout = %L', pg_catalog.current_database(), '10min'
    );
end
$$;
