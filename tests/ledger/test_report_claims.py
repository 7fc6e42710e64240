"""8 workers draining the report queue: every report processed once, none claimed twice."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

from lokdarpan_db import fieldcrypt
from lokdarpan_db.devtools import ledger_workload as workload


def test_workers_never_share_a_report(db_url: str):
    with psycopg.connect(db_url, autocommit=True) as conn:
        uid = conn.execute(
            """insert into "user" (username, email, email_index, password_hash)
               values ('claims', %s, %s,
                   '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')
               returning id""",
            fieldcrypt.ephemeral().row_values("claims@example.org"),
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


def test_naming_the_lease_holder_does_not_finish_a_report(db_url: str):
    """Finding 18a: any app session could complete a report by naming its lease holder; now the
    secret token the claim returned is needed, and the table holds only its sha256."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        uid = conn.execute(
            """insert into "user" (username, email, email_index, password_hash)
               values ('lease-thief', %s, %s,
                   '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')
               returning id""",
            fieldcrypt.ephemeral().row_values("lease-thief@example.org"),
        ).fetchone()[0]
        workload.queue_reports(conn, 1, uid)
        report_id, owner, token = conn.execute(
            "select id, lease_owner, lease_token from public.ai_report_claim('honest-worker', 1, '1 minute')"
        ).fetchone()
        assert owner == "honest-worker"
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="no lease token given"):
            conn.execute("select public.ai_report_transition(%s, 'completed')", (report_id,))
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute("select public.ai_report_transition(%s, 'completed', %s)", (report_id, owner))
        stored = conn.execute(
            "select lease_token_sha256, t::text from ai_geopolitical_report as t where id = %s", (report_id,)
        ).fetchone()
        assert str(token) not in stored[1]
        assert conn.execute(
            "select public.ai_report_transition(%s, 'completed', %s, %s)",
            (report_id, token, Jsonb({"report_title": "mine"})),
        ).fetchone()[0] is not None
