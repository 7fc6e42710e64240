"""`import embeddings`: JSON Lines into ai_embedding_store — several models, wards resolved,
duplicates and re-imports skipped, bad lines named with nothing loaded, the index rebuild, the CLI."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.cli import run
from lokdarpan_db.importers.wards import import_wards
from lokdarpan_db.vectors.loader import EmbeddingsFileError, import_embeddings

SMALL, LOCAL = "text-embedding-3-small", "nomic-embed-text-v1.5"
DIMS = {SMALL: 1536, LOCAL: 768}


def vector(seed: int, dims: int) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.gauss(0, 1), 5) for _ in range(dims)]


def line(i: int, model: str = LOCAL, **extra: object) -> str:
    obj: dict[str, object] = {
        "text": f"chunk {i} about water supply",
        "source": "news",
        "model": model,
        "vector": vector(i, DIMS[model]),
    }
    obj.update(extra)
    return json.dumps(obj)


def count(conn: psycopg.Connection) -> int:
    n = conn.execute("select count(*) from ai_embedding_store").fetchone()[0]
    conn.commit()
    return n


@pytest.fixture(scope="module")
def url(db_url: str) -> str:
    with psycopg.connect(db_url) as conn:
        import_wards(conn)
    return db_url


@pytest.fixture()
def conn(url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(url) as c:
        c.execute("truncate ai_embedding_store cascade")
        c.commit()
        yield c


def test_two_models_wards_and_duplicates_then_a_reimport_changes_nothing(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "chunks.jsonl"
    lines = [line(i, ward="Jubilee Hills", title=f"story {i}") for i in range(6)]
    lines += [line(i, SMALL, ward="91") for i in range(3)]  # the same texts, another model: new rows
    lines += [line(0, ward="Jubilee Hills"), "", line(7, ward="Nowhere Nagar")]  # a duplicate, a blank line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[tuple[int, int]] = []
    report = import_embeddings(conn, path, progress=lambda done, total: seen.append((done, total)))
    assert (report.lines, report.inserted, report.duplicates_in_file, report.already_stored) == (11, 10, 1, 0)
    assert report.by_model == {LOCAL: 7, SMALL: 3}
    assert report.ward_not_resolved == 1 and "registry does not know" in report.problems[0]
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    wards = dict(
        conn.execute(
            "select embedding_model || ':' || coalesce(ward_id, '-'), count(*) "
            "from ai_embedding_store group by 1"
        ).fetchall()
    )
    conn.commit()
    assert wards == {f"{LOCAL}:GHMC-095": 6, f"{SMALL}:GHMC-091": 3, f"{LOCAL}:-": 1}
    again = import_embeddings(conn, path)
    assert (again.inserted, again.duplicates_in_file, again.already_stored) == (0, 1, 10)
    assert count(conn) == 10


def test_bad_lines_are_named_by_number_and_nothing_is_loaded(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    short = json.dumps({"text": "t", "source": "news", "model": LOCAL, "vector": [0.1] * 767})
    lines = [
        line(1),
        "{not json",
        short,
        line(2, model=LOCAL, source="twitter"),
        json.dumps({"text": "t", "source": "news", "model": "gpt-embed-9", "vector": [1.0]}),
        json.dumps({"source": "news", "model": LOCAL, "vector": vector(3, 768)}),
        line(4),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(EmbeddingsFileError) as caught:
        import_embeddings(conn, path)
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "vector has 767 dimensions; model nomic-embed-text-v1.5 has 768" in problems[1]
    assert "source 'twitter' is not one of" in problems[2]
    assert "unknown model 'gpt-embed-9'" in problems[3]
    assert "text is missing" in problems[4]
    assert str(caught.value).startswith(f"{path}: 5 bad lines, nothing loaded: line 2: not JSON")
    assert count(conn) == 0


def test_rebuilding_the_index_keeps_its_definition_and_comment(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    def index() -> tuple[str, str]:
        row = conn.execute(
            "select indexdef, obj_description('public.ix_embedding_hnsw_nomic_768'::regclass, 'pg_class') "
            "from pg_indexes where indexname = 'ix_embedding_hnsw_nomic_768'"
        ).fetchone()
        conn.commit()
        return row

    before = index()
    path = tmp_path / "bulk.jsonl"
    path.write_text("\n".join(line(i) for i in range(20)) + "\n", encoding="utf-8")
    report = import_embeddings(conn, path, rebuild_index=True, maintenance_work_mem="256MB")
    assert report.index_rebuilt == ["ix_embedding_hnsw_nomic_768"] and report.inserted == 20
    assert index() == before
    hits = conn.execute(
        "select content_id from find_similar_content(%s::vector, null, 3, -1, %s, false)",
        (json.dumps(vector(5, 768)), LOCAL),
    ).fetchall()
    conn.commit()
    assert (
        len(hits) == 3
        and hits[0][0]
        == conn.execute(
            "select id from ai_embedding_store where content_chunk = 'chunk 5 about water supply'"
        ).fetchone()[0]
    )


def test_the_cli_loads_reports_json_and_refuses_bad_input_with_exit_2(
    url: str, conn: psycopg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(line(1, ward="GHMC-001") + "\n" + line(2) + "\n", encoding="utf-8")
    assert run(["--db", url, "--json", "import", "embeddings", str(good)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["inserted"], out["by_model"]) == (2, {LOCAL: 2})
    assert run(["--db", url, "import", "embeddings", str(good)]) == 0
    human = capsys.readouterr().out
    assert "0 inserted" in human and "2 already stored" in human
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line(3) + "\n[1, 2]\n", encoding="utf-8")
    assert run(["--db", url, "import", "embeddings", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "line 2: a JSON list, not an object" in err and len(err.strip().splitlines()) == 1
    assert run(["--db", url, "import", "embeddings", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert run(["--db", url, "import", "embeddings", str(good), "--maintenance-work-mem", "lots"]) == 2
    assert count(conn) == 2
