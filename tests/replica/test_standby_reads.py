"""The read paths on the hot standby (issue 24): search and the ward dashboard as a reader
persona, `ward` through the CLI, and `integrity`."""

from __future__ import annotations

import psycopg

from lokdarpan_db.cli import run


def test_search_posts_as_a_reader_on_the_standby(loaded) -> None:
    with psycopg.connect(loaded.standby_url) as conn:
        conn.execute("set local role replica_reader")
        assert conn.execute("select pg_is_in_recovery()").fetchone()[0] is True
        rows = conn.execute("select * from public.search_posts('congress')").fetchall()
        assert rows == []  # no posts loaded: the point is that it runs read-only
        wards = conn.execute("select count(*) from public.ward").fetchone()[0]
        assert wards == 150


def test_ward_dashboard_through_the_cli_on_the_standby(loaded, capsys) -> None:
    assert run(["--db", loaded.standby_url, "ward", "95"]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip()
