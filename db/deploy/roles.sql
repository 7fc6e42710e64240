-- Deploy lokdarpan:roles to pg
-- requires: clock
-- The three group roles of the seed, lokdarpan_app: the application, which signs users in, and
-- lokdarpan_maintenance: the role the scheduled jobs run as (lokdarpan-db schedule).
-- Roles are cluster-wide: another database on the same server may already have created them, so
-- creation is conditional. Privileges reach tables created later in schema public through default
-- privileges of the deploying role, in schema public only: the schemas extensions make (partman,
-- cron) are theirs, not the project's. Every session in this database gets a statement and
-- idle-transaction timeout (docs/security.md): a runaway query or a forgotten open transaction
-- cannot hold a backend and its locks for ever.

do $$
declare
    r text;
begin
    foreach r in array array[
        'lokdarpan_readonly', 'lokdarpan_analyst', 'lokdarpan_admin', 'lokdarpan_app', 'lokdarpan_maintenance'
    ] loop
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
comment on role lokdarpan_maintenance is
'LokDarpan: the scheduled jobs (lokdarpan-db schedule) run as this role. Member of nothing; may only execute '
'refresh_ward_analytics(), maintain_partitions(), ai_cleanup_start() and ai_cleanup_step(). NOLOGIN until '
'`lokdarpan-db schedule install` gives it LOGIN (pg_cron runs jobs only as roles that may log in); no password.';

-- analyst can do all readonly can; admin all analyst can.
grant lokdarpan_readonly to lokdarpan_analyst;
grant lokdarpan_analyst to lokdarpan_admin;
grant lokdarpan_analyst to lokdarpan_app;

grant usage on schema public to lokdarpan_readonly;

-- Tables, views and sequences created later by the deploying role in schema public. Only there:
-- default privileges without IN SCHEMA would also reach what extensions create in their own
-- schemas (pg_partman's part_config, pg_cron's cron.job), which run SQL as their owner (issue 18).
-- A change that makes a schema of its own grants its usage and sets its own defaults in it.
alter default privileges in schema public grant select on tables to lokdarpan_readonly;
alter default privileges in schema public grant select on sequences to lokdarpan_readonly;
-- Data privileges only: not TRIGGER, which would let an admin attach a trigger (its function in
-- pg_temp) that runs with the privileges of whoever next writes the table, a superuser included;
-- nor REFERENCES, which only matters to table owners.
alter default privileges in schema public grant select, insert, update, delete, truncate on tables to lokdarpan_admin;
alter default privileges in schema public grant usage, select, update on sequences to lokdarpan_admin;

-- The project's tables that already exist (none in a fresh database). Not extensions' own
-- relations (pg_stat_statements' views): each extension's change decides who reads those.
do $$
declare
    t regclass;
begin
    for t in
        select c.oid::regclass from pg_catalog.pg_class as c
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
            and not exists (
                select from pg_catalog.pg_depend as d
                where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e'
            )
    loop
        execute pg_catalog.format('grant select on %s to lokdarpan_readonly', t);
    end loop;
end
$$;

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
