"""The project's SQL conventions, checked on the real deployed catalog and the real scripts."""

from __future__ import annotations

import re

import psycopg
import pytest
from support import PLAN, ROOT

from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.sqlsplit import split

CHANGES = plan_mod.load(PLAN).changes
OWN_OBJECTS = """
    not exists (select from pg_depend d where d.objid = {oid} and d.deptype = 'e')
"""


@pytest.mark.parametrize("change", [c.name for c in CHANGES])
def test_every_change_ships_four_files(change: str):
    for kind in ("deploy", "revert", "verify", "tests"):
        assert (ROOT / "db" / kind / f"{change}.sql").is_file(), f"db/{kind}/{change}.sql is missing"


@pytest.mark.parametrize("kind", ["deploy", "revert", "verify"])
def test_scripts_are_plain_sql_without_transaction_control(kind: str):
    for change in CHANGES:
        path = ROOT / "db" / kind / f"{change.name}.sql"
        for stmt in split(path.read_text()):
            first = stmt.sql.split(None, 1)[0].lower()
            assert first not in ("begin", "commit", "rollback", "start", "end"), \
                f"{path}:{stmt.line}: the engine owns transactions"
            assert not stmt.sql.startswith("\\"), f"{path}:{stmt.line}: psql meta-command"


def test_every_function_states_its_security():
    for change in CHANGES:
        path = ROOT / "db" / "deploy" / f"{change.name}.sql"
        for stmt in split(path.read_text()):
            if re.match(r"create\s+(or\s+replace\s+)?(function|procedure)", stmt.sql, re.I):
                header = stmt.sql.split("$", 1)[0].lower()
                assert re.search(r"security\s+(invoker|definer)", header), \
                    f"{path}:{stmt.line}: say SECURITY INVOKER or SECURITY DEFINER"


PROJECT_SCHEMAS = """
    (select n.oid from pg_namespace n
     where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch')
       and n.nspname not like 'pg\\_temp\\_%' and n.nspname not like 'pg\\_toast\\_temp\\_%')
"""


def own_functions(db_url: str) -> list[tuple]:
    """(signature, search_path setting or None, security definer?, PUBLIC may execute?) of every
    function the plan made, in every project schema."""
    with psycopg.connect(db_url) as conn:
        return conn.execute(
            f"""select p.oid::regprocedure::text,
                       (select substr(c, 13) from unnest(p.proconfig) c where c like 'search_path=%%'),
                       p.prosecdef,
                       has_function_privilege('public', p.oid, 'execute')
                from pg_proc p
                where p.pronamespace in {PROJECT_SCHEMAS}
                  and {OWN_OBJECTS.format(oid='p.oid')}"""
        ).fetchall()


def test_every_search_path_names_pg_temp_last(db_url: str):
    """Without pg_temp named last, the caller's temporary schema is searched first (issue 6)."""
    bad = []
    for name, path, _, _ in own_functions(db_url):
        schemas = [s.strip().strip('"') for s in (path or "").split(",")]
        if path is not None and (schemas[-1] != "pg_temp" or schemas.count("pg_temp") != 1):
            bad.append(f"{name}: search_path={path}")
    assert bad == [], f"search_path must end with pg_temp: {bad}"


def test_security_definer_functions_are_locked_down(db_url: str):
    """SECURITY DEFINER code: not executable by PUBLIC, and search_path exactly pg_catalog, pg_temp,
    so every project object it names must be schema-qualified (an unqualified one fails to resolve)."""
    rows = [r for r in own_functions(db_url) if r[2]]
    assert rows, "no SECURITY DEFINER functions found: is the plan deployed?"
    public = [name for name, _, _, by_public in rows if by_public]
    assert public == [], f"SECURITY DEFINER functions executable by PUBLIC: {public}"
    paths = [f"{name}: {path}" for name, path, _, _ in rows if path != "pg_catalog, pg_temp"]
    assert paths == [], f"SECURITY DEFINER functions must set search_path = pg_catalog, pg_temp: {paths}"


def test_every_own_function_has_a_comment_and_a_search_path(db_url: str):
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            f"""select p.oid::regprocedure::text, obj_description(p.oid, 'pg_proc') is not null,
                       coalesce(array_to_string(p.proconfig, ','), '') like '%%search_path=%%',
                       p.prosecdef
                from pg_proc p
                where p.pronamespace in {PROJECT_SCHEMAS}
                  and {OWN_OBJECTS.format(oid='p.oid')}"""
        ).fetchall()
    assert rows, "no functions found: is the plan deployed?"
    missing_comment = [name for name, commented, _, _ in rows if not commented]
    missing_path = [name for name, _, has_path, _ in rows if not has_path]
    assert missing_comment == [], f"functions without COMMENT ON: {missing_comment}"
    assert missing_path == [], f"functions without SET search_path: {missing_path}"


def test_every_own_table_and_view_is_commented(db_url: str):
    with psycopg.connect(db_url) as conn:
        tables = conn.execute(
            f"""select c.oid::regclass::text from pg_class c
                where c.relnamespace in {PROJECT_SCHEMAS} and c.relkind in ('r', 'p', 'v', 'm')
                  and {OWN_OBJECTS.format(oid='c.oid')}
                  -- a partition (made by pg_partman) is described by its parent's comment
                  and obj_description(c.oid, 'pg_class') is null
                  and not (c.relispartition and obj_description(
                      (select i.inhparent from pg_inherits i where i.inhrelid = c.oid), 'pg_class'
                  ) is not null)"""
        ).fetchall()
    assert tables == [], f"tables without COMMENT ON TABLE: {tables}"


# Issue 18: what a project role may write. Project tables are the relations in schema public owned
# by the role that deployed the plan (the owner of the registry's sqitch.changes) that no extension
# owns; partitions pg_partman makes of them are project tables too. On those, data privileges are
# each change's decision, but never TRIGGER or REFERENCES. On every other relation of every schema
# (extensions' own tables in public, partman, cron where pg_cron lives in the database, sqitch,
# pg_catalog ...) no project role (every lokdarpan_% role, and PUBLIC, which every role is in)
# holds INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES or TRIGGER, on the table or any column, nor
# USAGE or UPDATE on a sequence (nextval/setval); and no project role may CREATE in any schema.
# has_*_privilege() answers through role membership (lokdarpan_admin holds what analyst holds).
# The one exception is PostgreSQL's own: PUBLIC may UPDATE pg_catalog.pg_settings (that is SET).
FOREIGN_WRITES = """
with grantee (name) as (
    select rolname::text from pg_roles where rolname like 'lokdarpan\\_%%'
    union all select 'public'
),
deployer as (select relowner as oid from pg_class where oid = to_regclass('sqitch.changes')),
rel as (
    select c.oid, c.relkind, n.nspname,
        c.relnamespace = 'public'::regnamespace
        and c.relowner = (select oid from deployer)
        and not exists (
            select from pg_depend d
            where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e'
        ) as own
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
        and n.nspname not like 'pg\\_temp\\_%%' and n.nspname not like 'pg\\_toast\\_temp\\_%%'
)
select g.name || ': ' || p.priv || ' on ' || r.oid::regclass::text
from rel r cross join grantee g
cross join lateral (
    select unnest(case
        when r.relkind = 'S' then array['usage', 'update']
        when r.own then array['references', 'trigger']
        else array['insert', 'update', 'delete', 'truncate', 'references', 'trigger']
    end) as priv
) p
where not (r.own and r.relkind = 'S')
    -- PostgreSQL's own grant: UPDATE on pg_settings is SET, which every session may do
    and not (r.oid = 'pg_catalog.pg_settings'::regclass and p.priv = 'update')
    and case
        when r.relkind = 'S' then has_sequence_privilege(g.name, r.oid, p.priv)
        when p.priv in ('insert', 'update', 'references')
            then has_table_privilege(g.name, r.oid, p.priv) or has_any_column_privilege(g.name, r.oid, p.priv)
        else has_table_privilege(g.name, r.oid, p.priv)
    end
union all
select g.name || ': create on schema ' || n.nspname
from pg_namespace n cross join grantee g
where has_schema_privilege(g.name, n.oid, 'create')
order by 1
"""


def foreign_writes(url: str) -> tuple[list[str], list[str]]:
    """(every forbidden privilege a project role holds, every schema walked)."""
    with psycopg.connect(url) as conn:
        found = [r[0] for r in conn.execute(FOREIGN_WRITES).fetchall()]
        schemas = [r[0] for r in conn.execute("select nspname::text from pg_namespace order by 1").fetchall()]
    return found, schemas


def test_no_project_role_writes_outside_the_projects_own_tables(db_url: str):
    """The class of issue 18's critical finding: admin wrote partman.part_config (and cron.job),
    which the owner's maintenance turns into SQL."""
    found, schemas = foreign_writes(db_url)
    assert {"public", "partman", "sqitch", "pg_catalog"} <= set(schemas)
    assert found == [], f"project roles may write outside the project's own tables: {found}"


def test_no_project_role_writes_outside_its_tables_where_pg_cron_lives_in_the_database(cron_db_url: str):
    """The embedded cluster's layout: pg_cron's schema is in the project's database. After
    `schedule install` (which creates the extension there) the cron schema is walked too."""
    from lokdarpan_db.maintenance.schedule import schedule

    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        schedule(conn, "install")
    found, schemas = foreign_writes(cron_db_url)
    assert "cron" in schemas and "partman" in schemas
    assert found == [], f"project roles may write outside the project's own tables: {found}"
