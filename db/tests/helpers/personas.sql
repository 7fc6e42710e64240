-- pgTAP helpers: personas, login-less roles a test acts as with `set local role`.
--   tap_reader   member of lokdarpan_readonly   (a reporter reading dashboards)
--   tap_analyst  member of lokdarpan_analyst    (the application / a campaign analyst)
--   tap_admin    member of lokdarpan_admin      (a campaign admin)
--   tap_app      member of lokdarpan_app        (the application signing users in)
--   tap_outsider member of nothing              (any other role on the server)
-- Roles are cluster-wide and this file is installed into every test database, possibly by
-- runners working in parallel: everything here is idempotent and tolerates a concurrent twin.

create or replace function public.tap_ensure_personas()
returns setof name
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    persona text;
    grp text;
begin
    for persona, grp in
        select p.persona, p.grp from (
            values ('tap_reader', 'lokdarpan_readonly'),
            ('tap_analyst', 'lokdarpan_analyst'),
            ('tap_admin', 'lokdarpan_admin'),
            ('tap_app', 'lokdarpan_app'),
            ('tap_outsider', null)
        ) as p (persona, grp)
    loop
        if not exists (select from pg_roles where rolname = persona) then
            begin
                execute format('create role %I nologin inherit', persona);
                execute format('comment on role %I is %L', persona,
                    'pgTAP persona of lokdarpan-db tests; safe to drop when no test runs.');
            exception when duplicate_object or unique_violation then
                null; -- a parallel runner created it first
            end;
        end if;
        if grp is not null
            and exists (select from pg_roles where rolname = grp)
            and not pg_has_role(persona, grp, 'member') then
            begin
                execute format('grant %I to %I', grp, persona);
            exception when unique_violation then
                null; -- a parallel runner granted it first
            end;
        end if;
        return next persona::name;
    end loop;
end
$$;

comment on function public.tap_ensure_personas() is
'pgTAP helper: creates the persona roles tap_reader, tap_analyst, tap_admin, tap_app (members of '
'lokdarpan_readonly, _analyst, _admin, _app) and tap_outsider (member of nothing) when missing, restores '
'missing memberships, and returns their names. Idempotent and safe against a concurrent twin.';

select public.tap_ensure_personas();
