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
