"""`lokdarpan-db partitions [--maintain]` against a deployed database: the state of the monthly
partitions, a back-dated post moved out of the default partition, and a non-owner refused in one line."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.cli import run


def _as(conninfo: str, user: str) -> str:
    """The test databases' conninfo is key=value: a later user= wins, and a later passfile= (one
    holding the role's password, its name: the embedded cluster wants a password, issue 18)."""
    assert "=" in conninfo and "://" not in conninfo
    passfile = Path(tempfile.mkdtemp(prefix="lokdarpan-pgpass-")) / "pgpass"
    passfile.write_text(f"*:*:*:{user}:{user}\n")
    passfile.chmod(0o600)
    return f"{conninfo} user={user} passfile={passfile}"


def _state(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict]:
    capsys.readouterr()
    assert run(["partitions", *args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    return {t["parent_table"]: t for t in data["tables"]}


def test_partitions_shows_state_and_maintain_moves_stray_rows(db_url: str, capsys):
    before = _state(capsys, "--db", db_url)
    assert set(before) == {"public.post", "public.ai_model_execution"}
    assert before["public.post"]["months_ahead"] >= 2
    assert before["public.ai_model_execution"]["months_ahead"] >= 3
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("insert into post (text, created_at) values ('archive scan', '2021-05-04 10:00+05:30')")
    try:
        waiting = _state(capsys, "--db", db_url)
        assert waiting["public.post"]["default_rows"] == before["public.post"]["default_rows"] + 1
        after = _state(capsys, "--maintain", "--db", db_url)
        assert after["public.post"]["default_rows"] == 0
        assert after["public.post"]["rows_moved_from_default"] >= 1
        assert after["public.post"]["oldest"] <= "post_p2021_05"
        with psycopg.connect(db_url) as conn:
            where = conn.execute(
                "select tableoid::regclass::text from post where text = 'archive scan'"
            ).fetchone()
        assert where == ("post_p2021_05",)
    finally:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("delete from post where text = 'archive scan'")


def test_maintain_needs_the_owner(db_url: str, capsys):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("""do $$ begin
            if not exists (select from pg_roles where rolname = 'parts_admin') then
                create role parts_admin login password 'parts_admin' in role lokdarpan_admin;
            end if; end $$""")
    capsys.readouterr()
    assert run(["partitions", "--maintain", "--db", _as(db_url, "parts_admin")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: partition maintenance needs the tables' owner") and "\n" not in err
    assert run(["partitions", "--db", _as(db_url, "parts_admin"), "--json"]) == 0
