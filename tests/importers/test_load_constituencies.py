"""Issue 21 part 4: `import constituencies` parses and stages its two files; the database merges
(constituency_merge(), code/electoral/constituencies/*). What the library promises on top of the
pgTAP suites: no SQL of its own, one transaction, idempotent, bad files refused with file, line and
reason and nothing loaded."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.importers.electoral import load_constituencies
from lokdarpan_db.importers.electoral._common import ElectoralFileError
from lokdarpan_db.importers.electoral.load_constituencies import import_constituencies
from lokdarpan_db.importers.wards import import_wards

SQL_VERB = re.compile(r"^\s*(select|insert|update|delete|create|drop|lock|with|alter|truncate)\b", re.I)
CALL = re.compile(r"^select (?:[\w, ]+ from )?public\.\w+\(", re.I)


def _sql_strings() -> list[str]:
    tree = ast.parse(Path(load_constituencies.__file__).read_text(encoding="utf-8"))
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL_VERB.match(n.value)]


def test_the_loader_only_calls_the_databases_functions() -> None:
    statements = [" ".join(s.split()) for s in _sql_strings()]
    assert statements, "the loader sends no statement at all?"
    assert [s for s in statements if not CALL.match(s)] == []


@pytest.fixture(scope="module")
def loaded(db_url: str) -> str:
    with psycopg.connect(db_url) as conn:
        import_wards(conn)
        import_constituencies(conn)
        conn.commit()
    return db_url


@pytest.fixture()
def conn(loaded: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(loaded) as c:
        yield c


def _snapshot(conn: psycopg.Connection) -> list[tuple]:
    rows = conn.execute(
        "select 'c', number::text, name, coalesce(source, '') from constituency "
        "union all select 'o', ward_id, ward_fraction::text, source from ward_constituency_override "
        "union all select 'w', ward_id, ward_fraction::text, method from ward_constituency order by 1, 2, 3"
    ).fetchall()
    conn.commit()
    return rows


def test_a_second_import_changes_nothing_and_says_so(conn: psycopg.Connection) -> None:
    before = _snapshot(conn)
    again = import_constituencies(conn)
    conn.commit()
    assert (again.ac_unchanged, again.pc_unchanged, again.overrides_unchanged) == (119, 17, 13)
    assert again.ac_inserted + again.ac_updated + again.overrides_removed + again.assignments_changed == 0
    assert again.name_anchor_disagreements == [] and len(again.overrides_applied) == 13
    assert _snapshot(conn) == before


def test_bad_overrides_are_refused_all_at_once_and_nothing_is_loaded(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    before = _snapshot(conn)
    path = tmp_path / "overrides.csv"
    path.write_text(
        "ward_id,ac_no,ward_fraction,reason\n"
        "GHMC-999,61,1,checked\n"
        "GHMC-095,200,1,checked\n",
        encoding="utf-8",
    )
    with pytest.raises(ElectoralFileError) as err:
        import_constituencies(conn, overrides=path, replace=True)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    assert "line 2: no ward GHMC-999 in the registry" in message
    assert "line 3: no assembly constituency 200 in state S29" in message
    conn.rollback()
    path.write_text("ward_id,ac_no,ward_fraction,reason\nGHMC-095,61,1,checked\n95,61,1,again\n",
                    encoding="utf-8")
    with pytest.raises(ElectoralFileError, match="line 2: ward GHMC-095 and its AC appear 2 times"):
        import_constituencies(conn, overrides=path, replace=True)
    conn.rollback()
    assert _snapshot(conn) == before
