"""What applications call works through PgBouncer in transaction pooling mode, as non-superuser
app roles; what needs a server session refuses through it (issue 24, docs/scaling.md)."""

from __future__ import annotations

import threading
from decimal import Decimal

import psycopg
import pytest
from psycopg.types.json import Jsonb

from lokdarpan_db import fieldcrypt
from lokdarpan_db import pooler as pooler_mod
from lokdarpan_db.cli import run
from lokdarpan_db.devtools import ledger_workload as workload

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def _user(url: str, name: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            """insert into "user" (username, email, email_index, password_hash)
               values (%s, %s, %s, %s) returning id""",
            (name, *fieldcrypt.ephemeral().row_values(f"{name}@example.org"), HASH),
        ).fetchone()[0]


def test_clients_share_two_server_connections(pooler) -> None:
    """The fixture really is a transaction pooler: 8 clients, at most 2 server backends, and a
    pid announced at connection start that is not the backend's (how the CLI recognises it)."""
    pids: set[int] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def client() -> None:
        with psycopg.connect(pooler.app_url, autocommit=True) as conn:
            barrier.wait()
            for _ in range(5):
                pid = conn.execute("select pg_backend_pid() from pg_sleep(0.01)").fetchone()[0]
                with lock:
                    pids.add(pid)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= len(pids) <= 2
    with psycopg.connect(pooler.app_url, autocommit=True) as conn:
        assert pooler_mod.through_pooler(conn)
    with psycopg.connect(pooler.direct_url, autocommit=True) as conn:
        assert not pooler_mod.through_pooler(conn)


def test_sign_in_with_the_audit_context_set_per_transaction(pooler) -> None:
    uid = _user(pooler.direct_url, "pooled_signin")
    with psycopg.connect(pooler.app_url) as conn:
        with conn.transaction():
            conn.execute("select set_config('lokdarpan.user_id', %s, true)", (str(uid),))
            conn.execute("select set_config('lokdarpan.client_ip', '203.0.113.7', true)")
            creds = conn.execute("select * from public.login_credentials('pooled_signin')").fetchone()
            assert creds is not None
            state = conn.execute("select * from public.record_successful_login('pooled_signin')").fetchone()
            assert state is not None
        # The next transaction, maybe on another backend, maybe on the same: no context left over.
        assert conn.execute("select current_setting('lokdarpan.user_id', true)").fetchone()[0] in (None, "")
        conn.commit()
    with psycopg.connect(pooler.direct_url) as conn:
        rows = conn.execute(
            """select user_id, client_ip::text, db_role from audit_log
               where table_name = 'user' and operation = 'UPDATE' and row_key = %s""", (str(uid),)).fetchall()
    assert rows == [(uid, "203.0.113.0/24", pooler.app_role)]


def test_the_audit_context_of_one_client_never_reaches_another(pooler) -> None:
    """Set with set_config(..., true), the context ends with its transaction: a second client whose
    transaction runs next on the same server connection records no user."""
    a = _user(pooler.direct_url, "pooled_a")
    _user(pooler.direct_url, "pooled_b")
    with psycopg.connect(pooler.app_url) as one, psycopg.connect(pooler.app_url) as two:
        with one.transaction():
            one.execute("select set_config('lokdarpan.user_id', %s, true)", (str(a),))
            one.execute("select public.record_successful_login('pooled_a')")
        one.commit()
        with two.transaction():
            two.execute("select public.record_successful_login('pooled_b')")
        two.commit()
    with psycopg.connect(pooler.direct_url) as conn:
        got = dict(conn.execute(
            """select new_values ->> 'username', user_id from audit_log
               where table_name = 'user' and operation = 'UPDATE'
                 and new_values ->> 'username' in ('pooled_a', 'pooled_b')""").fetchall())
    assert got == {"pooled_a": a, "pooled_b": None}


def test_search_posts_as_a_reader(pooler) -> None:
    with psycopg.connect(pooler.direct_url, autocommit=True) as conn:
        conn.execute("insert into public.post (text, party) values ('Pooled metro rail debate', 'BJP')")
    with psycopg.connect(pooler.reader_url, autocommit=True) as conn:
        rows = conn.execute("select text from public.search_posts('metro rail')").fetchall()
    assert ("Pooled metro rail debate",) in rows


def _app(url: str) -> psycopg.Connection:
    """An application's connection through a transaction pooler: psycopg prepares a statement run
    5 times by default, and PgBouncer before 1.21 cannot follow prepared statements across server
    connections ('prepared statement "_pg3_0" already exists'): prepare_threshold=None."""
    return psycopg.connect(url, autocommit=True, prepare_threshold=None)


def test_budget_reserve_record_settle_spends_exactly_the_budget(pooler) -> None:
    """6 clients reserve, record the execution and settle until the budget refuses: through two
    server connections, exactly the budget is spent."""
    with psycopg.connect(pooler.direct_url, autocommit=True) as conn:
        budget = workload.create_budget(conn, "pooled", Decimal("0.50"))
    errors: list[str] = []
    reserved: list[int] = []

    def client(n: int) -> None:
        try:
            with _app(pooler.app_url) as conn:
                for i in range(1000):
                    try:
                        rid = conn.execute(
                            "select reservation_id"
                            " from public.ai_budget_reserve(%s, 0.01, 'openai', 'retrieval')",
                            (budget,)).fetchone()[0]
                    except psycopg.Error as exc:
                        if exc.sqlstate in workload.REFUSED:
                            return
                        raise
                    reserved.append(rid)
                    with conn.transaction():
                        eid = conn.execute(
                            """insert into public.ai_model_execution (request_id, operation_type, provider,
                                   model_name, input_tokens, output_tokens, cost_usd, success_status)
                               values (%s, 'retrieval', 'openai', 'gpt-4o-mini', 10, 1, 0.01, 'success')
                               returning id""", (f"pooled-{n}-{i}",)).fetchone()[0]
                        conn.execute("select 1 from public.ai_budget_settle(%s, %s)", (rid, eid))
        except Exception as exc:  # reported: asserted empty below
            errors.append(f"client {n}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(reserved) == 50
    with psycopg.connect(pooler.direct_url) as conn:
        spent = conn.execute(
            """select sum(e.cost_usd) from public.ai_budget_reservation as r
               join public.ai_model_execution as e on e.id = r.execution_id
               where r.budget_id = %s""", (budget,)).fetchone()[0]
    assert spent == Decimal("0.50")


def test_the_default_prepared_statements_break_through_the_pooler(pooler) -> None:
    """Why _app() turns psycopg's automatic prepared statements off (docs/scaling.md)."""
    failures = 0
    conns = [psycopg.connect(pooler.reader_url, autocommit=True) for _ in range(3)]
    try:
        for _ in range(8):
            for c in conns:
                try:
                    c.execute("select count(*) from public.ward where ward_no > %s", (0,)).fetchone()
                except psycopg.Error:
                    failures += 1
    finally:
        for c in conns:
            c.close()
    assert failures > 0


def test_report_claims_are_never_shared(pooler) -> None:
    """4 workers drain 60 reports through the pooler: each claimed once, all completed."""
    uid = _user(pooler.direct_url, "pooled_claims")
    with psycopg.connect(pooler.direct_url, autocommit=True) as conn:
        workload.queue_reports(conn, 60, uid)
    claims: list[int] = []
    errors: list[str] = []

    def worker(n: int) -> None:
        try:
            with _app(pooler.app_url) as conn:
                while True:
                    with conn.transaction():
                        leases = conn.execute("select id, lease_token from public.ai_report_claim(%s, 5)",
                                              (f"pooled-{n}",)).fetchall()
                    if not leases:
                        return
                    for rid, token in leases:
                        claims.append(rid)
                        conn.execute("select 1 from public.ai_report_transition(%s, 'completed', %s, %s)",
                                     (rid, token, Jsonb({"report_title": "done"})))
        except Exception as exc:  # reported: asserted empty below
            errors.append(f"worker {n}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(claims) == len(set(claims)) == 60
    with psycopg.connect(pooler.direct_url) as conn:
        assert conn.execute(
            "select status, count(*) from ai_geopolitical_report where user_id = %s group by 1", (uid,)
        ).fetchall() == [("completed", 60)]


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("argv", [["deploy"], ["revert", "-y"], ["watch", "95"], ["backup", "create"]],
                         ids=lambda a: a[0])
def test_session_verbs_refuse_through_the_pooler(pooler, capsys, tmp_path, argv) -> None:
    extra = ["--dest", str(tmp_path)] if argv[0] == "backup" else []
    assert run(["--db", pooler.app_url, *argv, *extra]) == 3
    line = _one_line(capsys)
    assert line.startswith(f"error: {' '.join(argv[:2]) if argv[0] == 'backup' else argv[0]}: "), line
    assert "connection pooler" in line and "PostgreSQL server itself" in line, line
    assert pooler.passwords[pooler.app_role] not in line



def test_every_session_verb_exists() -> None:
    import click

    from lokdarpan_db.cli import cli
    from lokdarpan_db.cli.context import SESSIONS

    def paths(cmd: click.Command, prefix: str) -> set[str]:
        if isinstance(cmd, click.Group):
            return {prefix, *(p for n, s in cmd.commands.items() for p in paths(s, f"{prefix} {n}".strip()))}
        return {prefix}

    assert set(SESSIONS) <= paths(cli, "")
