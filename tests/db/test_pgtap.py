"""The pgTAP suites (db/tests/*.sql) against a fresh database with the real plan deployed."""

from __future__ import annotations

from support import ROOT

from lokdarpan_db.devtools.pgtap import prove


def test_pgtap_suites_pass(db_url: str):
    result = prove(db_url, ROOT / "db" / "tests")
    assert result.ok, result.output
    assert "All tests successful." in result.output


def test_suites_in_domain_folders_are_found_and_helpers_are_not(tmp_path):
    from lokdarpan_db.devtools.pgtap import suites

    for rel in ("users.sql", "electoral/results.sql", "helpers/personas.sql", "a/b/deep.sql"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("select 1;\n")
    assert [p.relative_to(tmp_path).as_posix() for p in suites(tmp_path)] == [
        "a/b/deep.sql", "electoral/results.sql", "users.sql"]
