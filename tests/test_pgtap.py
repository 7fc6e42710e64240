"""The pgTAP suites (db/tests/*.sql) against a fresh database with the real plan deployed."""

from __future__ import annotations

from conftest import ROOT

from lokdarpan_db.pgtap import prove


def test_pgtap_suites_pass(db_url: str):
    result = prove(db_url, ROOT / "db" / "tests")
    assert result.ok, result.output
    assert "All tests successful." in result.output
