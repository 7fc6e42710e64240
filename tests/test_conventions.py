"""The project's SQL conventions, checked on the real deployed catalog and the real scripts."""

from __future__ import annotations

import re

import psycopg
import pytest
from conftest import PLAN, ROOT

from lokdarpan_db import plan as plan_mod
from lokdarpan_db.sqlsplit import split

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


def test_every_own_function_has_a_comment_and_a_search_path(db_url: str):
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            f"""select p.oid::regprocedure::text, obj_description(p.oid, 'pg_proc') is not null,
                       coalesce(array_to_string(p.proconfig, ','), '') like '%%search_path=%%',
                       p.prosecdef
                from pg_proc p
                where p.pronamespace = 'public'::regnamespace
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
                where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
                  and {OWN_OBJECTS.format(oid='c.oid')}
                  and obj_description(c.oid, 'pg_class') is null"""
        ).fetchall()
    assert tables == [], f"tables without COMMENT ON TABLE: {tables}"
