"""8 workers draining the report queue: every report processed once, none claimed twice."""

from __future__ import annotations

import psycopg

from lokdarpan_db.ledger import workload


def test_workers_never_share_a_report(db_url: str):
    with psycopg.connect(db_url, autocommit=True) as conn:
        uid = conn.execute(
            """insert into "user" (username, email, password_hash)
               values ('claims', 'claims@example.org',
                   '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')
               returning id"""
        ).fetchone()[0]
        workload.queue_reports(conn, 600, uid)
    result = workload.drain_reports(db_url, workers=8, batch=5)
    assert result.errors == []
    assert result.claimed_twice == 0
    assert result.claimed == 600
    with psycopg.connect(db_url) as conn:
        assert conn.execute(
            "select status, count(*), max(attempt_count) from ai_geopolitical_report group by status"
        ).fetchall() == [("completed", 600, 1)]
