"""Load embeddings from JSON Lines into ai_embedding_store (`lokdarpan-db import embeddings FILE`).

One chunk per line, a JSON object:

    {"text": "...", "source": "news", "ward": "Jubilee Hills", "model": "text-embedding-3-large",
     "vector": [0.0123, ...], "title": "...", "url": "https://...",
     "published_at": "2025-07-01T09:00:00+05:30"}

Required: text, source (perplexity | news | epaper | manual), vector. Optional: model (default
text-embedding-3-large), ward, url, title, chunk_index, published_at, fetched_at, expires_at,
region, entities, content_type, language, political_relevance_score, credibility_score,
fact_check_status, processing_metadata, quality_flags. The seed's column names (content_chunk,
source_type, ward_context, embedding_model, embedding, source_url, source_title, region_context,
political_entities) are accepted as the same keys.

The file is streamed (never held in memory) and checked line by line against the model registry:
a line that is not an object, misses a key, has a vector of the wrong dimension or a non-finite
number, or breaks a column's rule is reported by its line number, and then nothing is loaded.
Sound lines go by COPY, in batches, into a staging table inside one transaction; the insert
keeps the first line of each (content hash, model) and skips chunks already stored, so a
re-import changes nothing.

`rebuild_index=True` (for a first bulk load) drops the HNSW indexes of the models in the file
inside the transaction and rebuilds them after the insert with `maintenance_work_mem` and
`max_parallel_maintenance_workers` given: inserting one row into a 3072-d HNSW graph costs
milliseconds, building the graph once is several times cheaper (docs/vector-search.md).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ..errors import BadInputError
from ..importers.electoral.load_common import ReportMixin, load_transaction

Progress = Callable[[int, int], None]

BATCH_ROWS = 500
SHOWN_IN_MESSAGE = 3
MAX_PROBLEMS = 1000
SOURCE_TYPES = ("perplexity", "news", "epaper", "manual")
CONTENT_TYPES = ("news", "analysis", "report")
FACT_CHECK = ("unchecked", "verified", "disputed", "false", "mixed")
ALIASES = {
    "content_chunk": "text",
    "source_type": "source",
    "ward_context": "ward",
    "embedding_model": "model",
    "embedding": "vector",
    "source_url": "url",
    "source_title": "title",
    "region_context": "region",
    "political_entities": "entities",
}
KNOWN = {
    "text", "source", "ward", "model", "vector", "url", "title", "chunk_index", "published_at",
    "fetched_at", "expires_at", "region", "entities", "content_type", "language",
    "political_relevance_score", "credibility_score", "fact_check_status", "processing_metadata",
    "quality_flags",
}
DEFAULT_MODEL = "text-embedding-3-large"
URL = re.compile(r"^https?://[^\s/?#@]+(/\S*)?$")
MEMORY = re.compile(r"^[1-9][0-9]{0,6}(kB|MB|GB)$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
COLUMNS = (
    "line", "source_type", "source_url", "source_title", "content_chunk", "chunk_index", "published_at",
    "fetched_at", "expires_at", "ward_context", "region_context", "political_entities", "embedding",
    "embedding_model", "content_type", "language", "political_relevance_score", "credibility_score",
    "fact_check_status", "processing_metadata", "quality_flags",
)
STAGE_DDL = """
    line integer, source_type text, source_url text, source_title text, content_chunk text,
    chunk_index integer, published_at timestamptz, fetched_at timestamptz, expires_at timestamptz,
    ward_context text, region_context text, political_entities jsonb, embedding public.vector,
    embedding_model text, content_type text, language text, political_relevance_score float8,
    credibility_score float8, fact_check_status text, processing_metadata jsonb, quality_flags jsonb
"""
TARGET = COLUMNS[1:]


class EmbeddingsFileError(BadInputError, ValueError):
    """A JSON Lines file refused: str() is one line (file, count, the first problems); all in `problems`."""

    def __init__(self, path: Path, problems: list[tuple[int | None, str]], more: int = 0) -> None:
        self.path = path
        self.problems = [f"line {n}: {m}" if n is not None else m for n, m in problems]
        total = len(self.problems) + more
        shown = "; ".join(self.problems[:SHOWN_IN_MESSAGE])
        rest = total - min(SHOWN_IN_MESSAGE, len(self.problems))
        head = f"{path}: " if total == 1 else f"{path}: {total} bad lines, nothing loaded: "
        super().__init__(head + shown + (f"; and {rest} more" if rest > 0 else ""))


@dataclass
class EmbeddingsImportReport(ReportMixin):
    """What import_embeddings did (or, with dry_run, would have done)."""

    file: Path
    dry_run: bool = False
    lines: int = 0
    inserted: int = 0
    duplicates_in_file: int = 0
    already_stored: int = 0
    by_model: dict[str, int] = field(default_factory=dict)
    ward_not_resolved: int = 0
    index_rebuilt: list[str] = field(default_factory=list)
    index_build_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def _text(obj: dict[str, Any], key: str, limit: int, bad: list[str], required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            bad.append(f"{key} is missing")
        return None
    if not isinstance(value, str):
        bad.append(f"{key} is a JSON {type(value).__name__}, not a string")
        return None
    if required and not value.strip():
        bad.append(f"{key} is blank")
    if len(value) > limit:
        bad.append(f"{key} is {len(value)} characters long; at most {limit}")
    return value


def _time(obj: dict[str, Any], key: str, bad: list[str]) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        bad.append(f"{key} {str(value)[:40]!r} is not an ISO 8601 time with a zone")
        return None
    return parsed.isoformat()


def _score(obj: dict[str, Any], key: str, bad: list[str]) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        bad.append(f"{key} {str(value)[:20]} is not a number 0-1")
        return None
    return float(value)


def _json(obj: dict[str, Any], key: str, kinds: tuple[type, ...], bad: list[str]) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, kinds):
        bad.append(f"{key} must be a JSON {' or '.join('array' if k is list else 'object' for k in kinds)}")
        return None
    return json.dumps(value, ensure_ascii=False)


def parse_line(raw: str, models: dict[str, int]) -> tuple[list[Any] | None, list[str]]:
    """One line's staging row (without the line number), or the reasons it is refused."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, [f"not JSON: {exc.msg} at column {exc.colno}"]
    if not isinstance(obj, dict):
        return None, [f"a JSON {type(obj).__name__}, not an object"]
    bad: list[str] = []
    for long, short in ALIASES.items():
        if long in obj:
            if short in obj:
                bad.append(f"both {short} and {long}")
            obj[short] = obj.pop(long)
    unknown = sorted(set(obj) - KNOWN)
    if unknown:
        bad.append("unknown key(s) " + ", ".join(unknown[:5]))
    text = _text(obj, "text", 32000, bad, required=True)
    source = _text(obj, "source", 32, bad, required=True)
    if source is not None and source not in SOURCE_TYPES:
        bad.append(f"source {source[:40]!r} is not one of {', '.join(SOURCE_TYPES)}")
    model = _text(obj, "model", 64, bad) or DEFAULT_MODEL
    vector_text = None
    vector = obj.get("vector")
    if model not in models:
        bad.append(f"unknown model {model[:64]!r} (known: {', '.join(sorted(models))})")
    elif not isinstance(vector, list):
        bad.append("vector is missing" if vector is None else "vector is not a JSON array")
    elif len(vector) != models[model]:
        bad.append(f"vector has {len(vector)} dimensions; model {model} has {models[model]}")
    elif not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in vector):
        bad.append("vector holds something that is not a finite number")
    elif not any(vector):
        bad.append("vector is all zeros")
    else:
        vector_text = json.dumps(vector, separators=(",", ":"))
    url = _text(obj, "url", 2048, bad)
    if url is not None and not URL.match(url):
        bad.append(f"url {url[:60]!r} is not an http(s) URL")
    chunk_index = obj.get("chunk_index", 0)
    if isinstance(chunk_index, bool) or not isinstance(chunk_index, int) or not 0 <= chunk_index < 2**31:
        bad.append(f"chunk_index {str(chunk_index)[:20]} is not a whole number >= 0")
    ward = _text(obj, "ward", 120, bad)
    if ward is not None and not ward.strip():
        bad.append("ward is blank (leave it out)")
    content_type = _text(obj, "content_type", 32, bad)
    if content_type is not None and content_type not in CONTENT_TYPES:
        bad.append(f"content_type {content_type[:40]!r} is not one of {', '.join(CONTENT_TYPES)}")
    fact = _text(obj, "fact_check_status", 32, bad)
    if fact is not None and fact not in FACT_CHECK:
        bad.append(f"fact_check_status {fact[:40]!r} is not one of {', '.join(FACT_CHECK)}")
    language = _text(obj, "language", 8, bad) or "en"
    if not LANGUAGE.match(language):
        bad.append(f"language {language!r} is not an ISO 639 code")
    fetched = _time(obj, "fetched_at", bad)
    expires = _time(obj, "expires_at", bad)
    if expires is not None and fetched is not None and expires <= fetched:
        bad.append("expires_at is not after fetched_at")
    row = [
        source, url, _text(obj, "title", 512, bad), text, chunk_index, _time(obj, "published_at", bad),
        fetched, expires, ward, _text(obj, "region", 64, bad), _json(obj, "entities", (list, dict), bad),
        vector_text, model, content_type, language, _score(obj, "political_relevance_score", bad),
        _score(obj, "credibility_score", bad), fact, _json(obj, "processing_metadata", (dict,), bad),
        _json(obj, "quality_flags", (list, dict), bad),
    ]
    return (None, bad) if bad else (row, [])


def _lines(path: Path) -> Iterator[tuple[int, int, str]]:
    """(line number, bytes read so far, text) of the non-blank lines; refuses a file that is not UTF-8."""
    done = 0
    try:
        with path.open("rb") as f:
            for n, raw in enumerate(f, start=1):
                done += len(raw)
                if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if raw.strip():
                    try:
                        yield n, done, raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        raise EmbeddingsFileError(path, [(n, f"not UTF-8 ({exc.reason})")]) from None
    except FileNotFoundError:
        raise EmbeddingsFileError(path, [(None, "no such file")]) from None
    except IsADirectoryError:
        raise EmbeddingsFileError(path, [(None, "a directory, not a file")]) from None


def import_embeddings(
    conn: psycopg.Connection,
    path: Path,
    *,
    dry_run: bool = False,
    rebuild_index: bool = False,
    maintenance_work_mem: str = "1GB",
    parallel_workers: int = 1,
    progress: Progress | None = None,
) -> EmbeddingsImportReport:
    """Load a JSON Lines file of embedded chunks; one transaction; refused whole on any bad line."""
    path = Path(path)
    if not MEMORY.match(maintenance_work_mem):
        raise BadInputError(
            f"maintenance_work_mem {maintenance_work_mem[:20]!r} is not a size such as 512MB or 2GB"
        )
    if not 0 <= parallel_workers <= 64:
        raise BadInputError(f"parallel workers must be 0-64, not {parallel_workers}")
    report = EmbeddingsImportReport(path, dry_run)
    if conn.execute("select to_regclass('public.ai_embedding_store')").fetchone()[0] is None:
        raise BadInputError("ai_embedding_store does not exist: deploy vectors/embedding_store first")
    models = dict(conn.execute("select model_name, dimensions from public.embedding_model").fetchall())
    total_bytes = path.stat().st_size if path.is_file() else 0
    problems: list[tuple[int | None, str]] = []
    more = 0
    with load_transaction(conn, dry_run):
        conn.execute("drop table if exists pg_temp.embedding_stage")
        conn.execute(f"create temporary table embedding_stage ({STAGE_DDL}) on commit drop")
        batch: list[list[Any]] = []
        for n, done, raw in _lines(path):
            report.lines += 1
            row, bad = parse_line(raw, models)
            if bad:
                if len(problems) < MAX_PROBLEMS:
                    problems.append((n, "; ".join(bad)))
                else:
                    more += 1
                continue
            if problems:
                continue  # the file is refused: only keep finding what else is wrong
            assert row is not None
            batch.append([n, *row])
            if len(batch) >= BATCH_ROWS:
                _copy(conn, batch)
                batch.clear()
                if progress is not None:
                    progress(done, total_bytes)
        if problems:
            raise EmbeddingsFileError(path, problems, more)
        if report.lines == 0:
            raise EmbeddingsFileError(path, [(None, "no lines: expected one JSON object per line")])
        _copy(conn, batch)
        if progress is not None:
            progress(total_bytes, total_bytes)
        _insert(conn, report, rebuild_index, maintenance_work_mem, parallel_workers)
    return report


def _copy(conn: psycopg.Connection, batch: list[list[Any]]) -> None:
    if not batch:
        return
    with conn.cursor() as cur, cur.copy(f"copy embedding_stage ({', '.join(COLUMNS)}) from stdin") as copy:
        for row in batch:
            copy.write_row(row)


def _insert(
    conn: psycopg.Connection, report: EmbeddingsImportReport, rebuild: bool, mwm: str, workers: int
) -> None:
    staged = conn.execute("select count(*) from embedding_stage").fetchone()[0]
    indexes: list[tuple[str, str, str | None]] = []
    if rebuild:
        indexes = conn.execute(
            """
            select i.indexname, i.indexdef,
                obj_description(format('public.%I', i.indexname)::regclass, 'pg_class')
            from pg_indexes as i
            where i.schemaname = 'public' and i.tablename = 'ai_embedding_store'
              and i.indexdef like '%USING hnsw%'
              and exists (
                  select from embedding_stage as s where i.indexdef like '%''' || s.embedding_model || '''%'
              )
            """
        ).fetchall()
        for name, _, _ in indexes:
            conn.execute(sql.SQL("drop index public.{}").format(sql.Identifier(name)))
    cols = ", ".join(TARGET)
    picks = cols.replace("fetched_at", "coalesce(fetched_at, public.lokdarpan_now())")
    with conn.cursor() as cur:
        cur.execute(
            f"""
            insert into public.ai_embedding_store ({cols})
            select {picks} from (
                select distinct on (public.embedding_content_hash(content_chunk), embedding_model) *
                from embedding_stage
                order by public.embedding_content_hash(content_chunk), embedding_model, line
            ) as s
            order by line
            on conflict (content_hash, embedding_model) do nothing
            returning embedding_model, ward_context is not null and ward_id is null
            """
        )
        rows = cur.fetchall()
    distinct = conn.execute(
        "select count(*) from (select distinct public.embedding_content_hash(content_chunk), embedding_model "
        "from embedding_stage) as d"
    ).fetchone()[0]
    report.inserted = len(rows)
    report.duplicates_in_file = staged - distinct
    report.already_stored = distinct - len(rows)
    for model, unresolved in rows:
        report.by_model[model] = report.by_model.get(model, 0) + 1
        report.ward_not_resolved += int(unresolved)
    if indexes:
        conn.execute("select set_config('maintenance_work_mem', %s, true)", (mwm,))
        conn.execute("select set_config('max_parallel_maintenance_workers', %s, true)", (str(workers),))
        t = time.perf_counter()
        for name, ddl, comment in indexes:
            conn.execute(ddl)
            if comment is not None:
                stmt = sql.SQL("comment on index public.{} is {}")
                conn.execute(stmt.format(sql.Identifier(name), sql.Literal(comment)))
            report.index_rebuilt.append(name)
        report.index_build_seconds = round(time.perf_counter() - t, 2)
    if report.ward_not_resolved:
        report.problems.append(
            f"{report.ward_not_resolved} chunk(s) name a ward the registry does not know (ward_id left null)"
        )
