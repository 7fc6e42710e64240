"""Issue 18, made as real logins against the deployed plan: pg_partman's configuration is not an
admin's to write, the slow-query report never hands out a password, and a login with no project
role reads no statement statistics and calls no st_estimatedextent()."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

PASSWORD = "ext-test-" + uuid.uuid4().hex
GROUPS = {"reader": "lokdarpan_readonly", "analyst": "lokdarpan_analyst", "admin": "lokdarpan_admin",
          "app": "lokdarpan_app", "nobody": None}
ATTACK = (
    "insert into partman.part_config (parent_table, control, partition_interval, partition_type, "
    "automatic_maintenance) values ($$(select 1) a; alter role {me} superuser; "
    "delete from partman.part_config where automatic_maintenance='off'; select 0 --$$, "
    "'created_at', '1 mon', 'native', 'off')"
)


@pytest.fixture(scope="module")
def logins(db_url: str) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    urls: dict[str, str] = {}
    with psycopg.connect(db_url, autocommit=True) as conn:
        for persona, group in GROUPS.items():
            role = f"ext_{persona}_{suffix}"
            conn.execute(sql.SQL("create role {} login password {}").format(
                sql.Identifier(role), sql.Literal(PASSWORD)))
            if group:
                conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), sql.Identifier(role)))
            urls[persona] = make_conninfo(db_url, user=role, password=PASSWORD)
    yield urls
    with psycopg.connect(db_url, autocommit=True) as conn:
        for persona in GROUPS:
            role = sql.Identifier(f"ext_{persona}_{suffix}")
            conn.execute(sql.SQL("drop owned by {}").format(role))
            conn.execute(sql.SQL("drop role if exists {}").format(role))


def user_of(url: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(url)["user"]  # type: ignore[return-value]


@pytest.mark.parametrize("persona", ["reader", "analyst", "admin", "app", "nobody"])
def test_the_part_config_attack_of_the_issue_is_refused(db_url: str, logins: dict[str, str], persona: str):
    me = user_of(logins[persona])
    with psycopg.connect(logins[persona], autocommit=True) as conn:
        denied = "permission denied for (table part_config|schema partman)"
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=denied):
            conn.execute(ATTACK.format(me=me))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=denied):
            conn.execute("update partman.part_config set retention = '1 day' "
                         "where parent_table = 'public.post'")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("select * from maintain_partitions()")  # the owner's maintenance, as the nightly job
        assert conn.execute("select rolsuper from pg_roles where rolname = %s", [me]).fetchone() == (False,)
        assert conn.execute("select count(*) from partman.part_config").fetchone() == (2,)


def test_a_row_a_superuser_planted_is_never_run(db_url: str, logins: dict[str, str]):
    me = user_of(logins["admin"])
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(ATTACK.format(me=me))
        try:
            rows = conn.execute("select parent_table from maintain_partitions() order by 1").fetchall()
            assert rows == [("public.ai_model_execution",), ("public.post",)]
            superuser = conn.execute("select rolsuper from pg_roles where rolname = %s", [me]).fetchone()
            assert superuser == (False,)
        finally:
            conn.execute("delete from partman.part_config where parent_table like '(select 1)%'")


def _stat_statements(db_url: str) -> bool:
    with psycopg.connect(db_url) as conn:
        return conn.execute("select to_regclass('public.pg_stat_statements') is not null").fetchone()[0]  # type: ignore[index]


def test_slow_queries_never_return_a_password(db_url: str, logins: dict[str, str]):
    if not _stat_statements(db_url):
        pytest.skip("the test server does not preload pg_stat_statements")
    victim = "ext_victim_" + uuid.uuid4().hex[:8]
    secret = "Sekret123" + uuid.uuid4().hex[:6]
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login password {}").format(
            sql.Identifier(victim), sql.Literal(secret)))
        try:
            # Typed as an operator would (a literal, not a bind parameter: utility statements keep it).
            conn.execute(f"alter role {victim} password '{secret}'")  # type: ignore[arg-type]
            conn.execute(f"ALTER USER {victim} WITH ENCRYPTED PASSWORD '{secret}'")  # type: ignore[arg-type]
            slow = (
                f"do $$begin perform pg_sleep(0.2); "
                f"execute 'alter role {victim} password ''{secret}'''; end$$"
            )
            conn.execute(slow)  # type: ignore[arg-type]  # a slow one too: it tops the report
            kept = conn.execute("select count(*) from pg_stat_statements where query like %s",
                                [f"%{secret}%"]).fetchone()[0]  # type: ignore[index]
            assert kept >= 1, "pg_stat_statements should hold the literal (what the report must hide)"
            with psycopg.connect(logins["admin"]) as admin:
                rows = admin.execute(
                    "select query, calls, mean_exec_time_ms from report_slow_queries(0, 1000)").fetchall()
        finally:
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(victim)))
    assert rows, "the report returned nothing"
    assert not [q for q, *_ in rows if secret in q], "a password reached the admin"
    redacted = [r for r in rows if r[0] == "<redacted: may hold a password>"]
    assert redacted and all(calls >= 1 and mean is not None for _, calls, mean in redacted), "figures kept"


@pytest.mark.parametrize("persona", ["nobody", "reader", "admin"])
def test_logins_read_no_statement_statistics(db_url: str, logins: dict[str, str], persona: str):
    if not _stat_statements(db_url):
        pytest.skip("the test server does not preload pg_stat_statements")
    with psycopg.connect(logins[persona], autocommit=True) as conn:
        for stmt in ("select count(*) from public.pg_stat_statements",
                     "select * from public.pg_stat_statements_info",
                     "select count(*) from public.pg_stat_statements(false)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)


@pytest.mark.parametrize("persona", ["nobody", "admin"])
def test_nobody_calls_st_estimatedextent(logins: dict[str, str], persona: str):
    with psycopg.connect(logins[persona], autocommit=True) as conn:
        for stmt in ("select public.st_estimatedextent('ward', 'boundary')",
                     "select public.st_estimatedextent('public', 'ward', 'boundary')",
                     "select public.st_estimatedextent('public', 'ward', 'boundary', true)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for function"):
                conn.execute(stmt)
