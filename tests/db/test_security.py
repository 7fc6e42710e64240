"""Attacks on the deployed database, made as real login roles (session_user is the attacker).

Each persona is a LOGIN role that is a member of one LokDarpan group, plus one that is a member of
nothing. The attacks are those of issue 6 and docs/security.md: temporary objects shadowing what
SECURITY DEFINER code reads, moving the database clock, enumerating password hashes, locking every
account, unbounded inputs and secrets in error messages. Each must fail with a clear error and
leave role attributes, the clock and the data as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from lokdarpan_db import fieldcrypt

GROUPS = {
    "reader": "lokdarpan_readonly",
    "analyst": "lokdarpan_analyst",
    "admin": "lokdarpan_admin",
    "app": "lokdarpan_app",
    "nobody": None,
}
PASSWORD = "attack-test-" + uuid.uuid4().hex
HASH = "$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
KEYS = fieldcrypt.ephemeral()  # e-mails are stored as Fernet tokens with a blind index

# What each persona can reach that runs SECURITY DEFINER code (as the owner, a superuser here).
ROUTES = {
    "reader": "select state from login_state('asha')",
    "analyst": "insert into public.alert (ward, severity) values ('Kapra', 'low')",  # the audit trigger
    "admin": "select state from unlock_user('asha')",
    "app": "select state from login_credentials('asha')",
}


@pytest.fixture(scope="module")
def logins(db_url: str) -> Iterator[dict[str, str]]:
    """A login role per persona (unique names: roles are cluster-wide), and an account 'asha'."""
    suffix = uuid.uuid4().hex[:8]
    urls: dict[str, str] = {}
    with psycopg.connect(db_url, autocommit=True) as conn:
        for persona, group in GROUPS.items():
            role = f"atk_{persona}_{suffix}"
            conn.execute(
                sql.SQL("create role {} login password {}").format(
                    sql.Identifier(role), sql.Literal(PASSWORD)
                )
            )
            if group:
                conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), sql.Identifier(role)))
            urls[persona] = make_conninfo(db_url, user=role, password=PASSWORD)
        conn.execute(
            "insert into \"user\" (username, email, email_index, password_hash) values ('asha', %s, %s, %s)",
            [*KEYS.row_values("asha@example.in"), HASH],
        )
    yield urls
    with psycopg.connect(db_url, autocommit=True) as conn:
        for persona in GROUPS:
            role = sql.Identifier(f"atk_{persona}_{suffix}")
            conn.execute(sql.SQL("drop owned by {}").format(role))
            conn.execute(sql.SQL("drop role {}").format(role))


def role_of(url: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(url)["user"]


def is_superuser(admin_url: str, role: str) -> bool:
    with psycopg.connect(admin_url) as conn:
        return conn.execute("select rolsuper from pg_catalog.pg_roles where rolname = %s", [role]).fetchone()[
            0
        ]


def plant_shadows(conn: psycopg.Connection, me: str) -> None:
    """Temporary objects named like every relation and type SECURITY DEFINER code could read.

    Any read of one runs pg_temp.pwn(), which makes the caller superuser and logs the hit.
    """
    conn.execute("create temp table hits (what text)")
    conn.execute(
        sql.SQL(
            "create function pg_temp.pwn() returns boolean language plpgsql volatile as $f$ "
            "begin insert into pg_temp.hits values ('read'); execute 'alter role {} superuser'; "
            "return false; end $f$"
        ).format(sql.Identifier(me))
    )
    names = [
        r[0]
        for r in conn.execute(
            """select c.relname::text from pg_catalog.pg_class as c
           where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'p')
           union select unnest(array['pg_roles', 'pg_authid', 'pg_auth_members', 'pg_class', 'pg_proc',
                                     'pg_settings', 'pg_database', 'pg_namespace', 'pg_trigger'])"""
        ).fetchall()
    ]
    assert "user" in names and "audit_log" in names
    for name in names:
        conn.execute(
            sql.SQL(
                "create temp view {} as select session_user::name as rolname, pg_temp.pwn() as rolsuper, "
                "1 as id, 'asha'::text as username"
            ).format(sql.Identifier(name))
        )
    # Types: the project's own, and built-ins that an unqualified cast would otherwise find here first.
    for typ in ("user_login_state", "text", "jsonb", "timestamptz", "inet"):
        conn.execute(sql.SQL("create type pg_temp.{} as (x integer)").format(sql.Identifier(typ)))


@pytest.mark.parametrize("persona", sorted(ROUTES))
def test_shadowing_what_definer_code_reads_changes_nothing(db_url: str, logins: dict[str, str], persona: str):
    url = logins[persona]
    with psycopg.connect(url, autocommit=True) as conn:
        honest = conn.execute(ROUTES[persona]).fetchall() if ROUTES[persona].startswith("select") else None
        plant_shadows(conn, role_of(url))
        conn.execute("set search_path = pg_temp, public")  # the attacker's own path, temp first
        shadowed = conn.execute(ROUTES[persona]).fetchall() if honest is not None else None
        if honest is None:
            conn.execute(ROUTES[persona])
        assert shadowed == honest
        assert conn.execute("select count(*) from pg_temp.hits").fetchone()[0] == 0, (
            "SECURITY DEFINER code read a temporary object"
        )
    assert not is_superuser(db_url, role_of(url))


@pytest.mark.parametrize("persona", sorted(ROUTES))
def test_the_reported_exploit_fails_with_a_clear_error(db_url: str, logins: dict[str, str], persona: str):
    """The exploit of issue 6 verbatim: a temp pg_roles, a frozen clock, then any definer route."""
    url = logins[persona]
    me = role_of(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "create function pg_temp.pwn() returns boolean language sql volatile "
                "as $f$ alter role {} superuser; select false $f$"
            ).format(sql.Identifier(me))
        )
        conn.execute("create temp view pg_roles as select session_user::name rolname, pg_temp.pwn() rolsuper")
        conn.execute("set lokdarpan.frozen_now = '2099-01-01'")
        with pytest.raises(
            psycopg.errors.InsufficientPrivilege, match=f"login role {me} may not freeze the clock"
        ):
            conn.execute(ROUTES[persona])
    assert not is_superuser(db_url, me)


@pytest.mark.parametrize("persona", sorted(GROUPS))
def test_no_persona_can_move_the_clock(db_url: str, logins: dict[str, str], persona: str):
    with psycopg.connect(logins[persona], autocommit=True) as conn:
        for moment in ("2099-01-01", "2000-01-01", "infinity"):
            conn.execute("select set_config('lokdarpan.frozen_now', %s, false)", [moment])
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not freeze the clock"):
                conn.execute("select lokdarpan_now()")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("select lokdarpan_clock_now()")
        conn.execute("reset lokdarpan.frozen_now")
        real = conn.execute("select lokdarpan_now() = now()").fetchone()[0]
    assert real


def test_a_back_dated_alert_is_refused_and_nothing_is_written(db_url: str, logins: dict[str, str]):
    with psycopg.connect(db_url) as admin:
        before = admin.execute("select count(*), max(id) from audit_log").fetchone()
    with psycopg.connect(logins["analyst"], autocommit=True) as conn:
        conn.execute("set lokdarpan.frozen_now = '2001-01-01'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("insert into alert (ward, severity) values ('Kapra', 'critical')")
    with psycopg.connect(db_url) as admin:
        assert admin.execute("select count(*), max(id) from audit_log").fetchone() == before
        assert (
            admin.execute(
                "select count(*) from alert where created_at < now() - interval '1 day'"
            ).fetchone()[0]
            == 0
        )


def test_a_timekeeper_login_may_freeze_the_clock(db_url: str, logins: dict[str, str]):
    """The positive control: the mechanism the attacks fail against does work for a named role."""
    role = role_of(logins["reader"])
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(sql.SQL("grant lokdarpan_timekeeper to {}").format(sql.Identifier(role)))
    try:
        with psycopg.connect(logins["reader"], autocommit=True) as conn:
            conn.execute("set lokdarpan.frozen_now = '2025-08-01 09:00+05:30'")
            assert str(conn.execute("select lokdarpan_now()::text").fetchone()[0]).startswith("2025-08-01")
    finally:
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute(sql.SQL("revoke lokdarpan_timekeeper from {}").format(sql.Identifier(role)))


@pytest.mark.parametrize("persona", ["reader", "analyst", "admin", "nobody"])
def test_only_the_application_reads_hashes_or_records_sign_ins(logins: dict[str, str], persona: str):
    with psycopg.connect(logins[persona], autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="login_credentials"):
            conn.execute("select password_hash from login_credentials('asha')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="record_failed_login"):
            conn.execute("select record_failed_login('asha')")
        if persona != "nobody":  # the review's one-statement enumeration and mass lockout
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="login_credentials"):
                conn.execute(
                    'select u.username, c.password_hash from "user" u, login_credentials(u.username) c'
                )
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="record_failed_login"):
                conn.execute('select record_failed_login(u.username) from "user" u')


def test_failures_are_rate_limited_per_account(db_url: str, logins: dict[str, str]):
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(
            "insert into \"user\" (username, email, email_index, password_hash) values ('kiran', %s, %s, %s)",
            [*KEYS.row_values("k@example.in"), HASH],
        )
    with psycopg.connect(logins["app"], autocommit=True) as conn:
        assert conn.execute("select failures_in_window from record_failed_login('kiran')").fetchone() == (1,)
        with pytest.raises(psycopg.errors.ConfigurationLimitExceeded, match='"kiran" are rate-limited'):
            conn.execute("select record_failed_login('kiran')")
        state, hash_ = conn.execute("select state, password_hash from login_credentials('kiran')").fetchone()
        assert (state, hash_) == ("throttled", None)
    with psycopg.connect(db_url) as admin:
        assert admin.execute(
            "select failed_login_attempts from \"user\" where username = 'kiran'"
        ).fetchone() == (1,)


def test_lockout_is_judged_by_the_wall_clock_not_the_transaction_start(db_url: str, logins: dict[str, str]):
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(
            'insert into "user" (username, email, email_index, password_hash, locked_until) '
            "values ('leela', %s, %s, %s, clock_timestamp() + interval '0.3 s')",
            [*KEYS.row_values("leela@example.in"), HASH],
        )
    with psycopg.connect(logins["app"]) as conn:  # one transaction, started before the lock ends
        conn.execute("select now()")
        conn.execute("select pg_sleep(0.6)")
        state, last_login, started = conn.execute(
            "select s.state, s.last_login, now() from record_successful_login('leela') as s"
        ).fetchone()
        assert state == "active"
        assert (last_login - started).total_seconds() >= 0.5
        conn.rollback()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("select * from search_posts(repeat('a ', 400000))", "search term is 800000 characters long"),
        ("select * from search_posts(repeat('x', 10000000))", "search term is 10000000 characters long"),
        ("select * from search_posts('water', repeat('w', 10000000))", "ward is 10000000 characters long"),
        ("select * from ward_lookup(repeat('jubilee ', 1250000))", "query is 10000000 characters long"),
        (
            "select * from search_posts('water', null, 2147483647)",
            "limit must be between 1 and 500, got 2147483647",
        ),
        ("select * from search_posts(repeat('water ', 80))", "at most 127"),
        ("select * from login_state(repeat('asha', 2500000))", "username is 10000000 characters long"),
    ],
)
def test_unbounded_inputs_get_a_short_22023(logins: dict[str, str], call: str, message: str):
    with psycopg.connect(logins["reader"], autocommit=True) as conn:
        conn.execute("set statement_timeout = '10s'")  # a regression fails here, not after minutes
        with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
            conn.execute(call)
    text = str(err.value)
    assert message in text
    diag = err.value.diag
    for field in (diag.message_primary, diag.message_detail, diag.message_hint, diag.context):
        assert len(field or "") < 1000, "the error echoes the input"


def test_every_login_gets_the_statement_and_idle_timeouts(logins: dict[str, str]):
    for url in logins.values():
        with psycopg.connect(url) as conn:
            assert conn.execute("show statement_timeout").fetchone() == ("30s",)
            assert conn.execute("show idle_in_transaction_session_timeout").fetchone() == ("10min",)


def server_log(db_url: str) -> Path | None:
    """The throwaway cluster's log file (lokdarpan_db.server.cluster writes it beside the data directory)."""
    with psycopg.connect(db_url) as conn:
        datadir = Path(conn.execute("show data_directory").fetchone()[0])
    log = datadir.parent / "postgres.log"
    return log if log.is_file() else None


def test_no_password_or_hash_reaches_an_error_or_the_log(db_url: str, logins: dict[str, str]):
    plaintext = "Pl41ntext-" + uuid.uuid4().hex
    stored_hash = "pbkdf2:sha256:600000$saltsalt$" + uuid.uuid4().hex + uuid.uuid4().hex
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(
            "insert into \"user\" (username, email, email_index, password_hash) values ('sita', %s, %s, %s)",
            [*KEYS.row_values("s@example.in"), stored_hash],
        )
    attempts = [
        (
            "insert into \"user\" (username, email, email_index, password_hash) values ('vik', %s, %s, %s)",
            [*KEYS.row_values("v@example.in"), plaintext],
            psycopg.errors.CheckViolation,
        ),
        (
            "insert into \"user\" (username, email, email_index, password_hash) values (null, %s, %s, %s)",
            [*KEYS.row_values("v@example.in"), plaintext],
            psycopg.errors.NotNullViolation,
        ),
        (
            "update \"user\" set email = 'not an email' where username = %s",
            ["sita"],
            psycopg.errors.CheckViolation,
        ),
        (
            "update \"user\" set username = e'sita\\t' where username = %s",
            ["sita"],
            psycopg.errors.CheckViolation,
        ),
        (
            'update "user" set failed_login_attempts = -1 where username = %s',
            ["sita"],
            psycopg.errors.CheckViolation,
        ),
    ]
    with psycopg.connect(logins["admin"], autocommit=True) as conn:
        for query, params, error in attempts:
            with pytest.raises(error) as err:
                conn.execute(query, params)
            diag = err.value.diag
            said = " ".join(
                f or "" for f in (str(err.value), diag.message_detail, diag.message_hint, diag.context)
            )
            assert plaintext not in said and stored_hash not in said, said
    log = server_log(db_url)
    if log is None:
        pytest.skip("the server log is not on this machine (LOKDARPAN_TEST_DSN)")
    text = log.read_text(errors="replace")
    assert "violates check constraint" in text  # the errors were logged ...
    assert plaintext not in text and stored_hash not in text  # ... without the secrets
