"""lokdarpan_db.facts (the facts Python reads: election types, parties, cleanup settings and bounds,
trend days) agree with the deployed catalog: the database stays the source of truth."""

from __future__ import annotations

import psycopg

from lokdarpan_db import facts


def test_the_facts_match_the_deployed_catalog(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        assert facts.check(conn) == []


def test_a_drifted_fact_is_reported(db_url: str, monkeypatch) -> None:
    monkeypatch.setattr(facts, "ELECTION_TYPES", ("GHMC", "ASSEMBLY"))
    monkeypatch.setattr(facts, "CLEANUP_MAX_BATCH", 50_000)
    monkeypatch.setitem(facts.CLEANUP_DEFAULTS, "execution_retention", "3 months")
    with psycopg.connect(db_url) as conn:
        problems = facts.check(conn)
    assert len(problems) == 3, problems
    assert any("election.type allows" in p for p in problems)
    assert any("execution_retention" in p for p in problems)
