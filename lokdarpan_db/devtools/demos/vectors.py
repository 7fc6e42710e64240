"""The demo's view of the vector store: SYNTHETIC embedded chunks loaded through
`lokdarpan-db import embeddings`, then find_similar_content() with and without a ward filter."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ... import connect
from ...paths import PROJECT

DEMO_CHUNKS = 600
MODEL = "text-embedding-3-large"


def write_demo_file(path: Path, n: int = DEMO_CHUNKS) -> Counter[str]:
    """n SYNTHETIC 3072-d chunks (topic clusters per ward) as JSON Lines; how many per ward."""
    from ..synthetic import embeddings as synth

    corpus = synth.corpus(3072, seed=11)
    wards: Counter[str] = Counter()
    with path.open("w", encoding="utf-8") as f:
        for i, ward, v in synth.chunks(corpus, n):
            wards[ward] += 1
            obj = {
                "text": f"SYNTHETIC chunk {i} about {ward}",
                "source": "manual",
                "ward": ward,
                "model": MODEL,
                "title": f"SYNTHETIC demo story {i}",
                "vector": [round(x, 6) for x in v.tolist()],
            }
            f.write(json.dumps(obj) + "\n")
    return wards


def show_vectors(console: Console | None = None) -> None:
    """Load the SYNTHETIC chunks (idempotent) and show a search unfiltered and for one ward."""
    from ..synthetic import embeddings as synth

    console = console or Console(highlight=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-embeddings-SYNTHETIC.jsonl"
        wards = write_demo_file(path)
        console.print(f"\n[bold cyan]$ lokdarpan-db import embeddings {path.name}[/bold cyan]")
        args = [sys.executable, "-m", "lokdarpan_db.cli", "import", "embeddings", str(path)]
        if subprocess.run(args, cwd=PROJECT, check=False).returncode != 0:
            raise SystemExit(1)
    busiest = wards.most_common(1)[0][0]
    ward, query = next(q for q in synth.queries(synth.corpus(3072, seed=11), 500) if q[0] == busiest)
    target = connect.resolve(None, PROJECT, console.print)
    with connect.connect(target.conninfo, application="lokdarpan-db demo") as conn:
        from pgvector.psycopg import register_vector

        register_vector(conn)
        for label, ward_filter in (("whole city", None), (f"ward {ward}", ward)):
            rows = conn.execute(
                "select content_id, ward_id, round(similarity_score::numeric, 3), source_title "
                "from find_similar_content(%s::vector, %s, 5, 0.3, %s)",
                (query, ward_filter, MODEL),
            ).fetchall()
            table = Table(title=f"find_similar_content: top 5 above 0.3, {label} (SYNTHETIC vectors)")
            for col in ("id", "ward", "similarity", "title"):
                table.add_column(col)
            for r in rows:
                table.add_row(str(r[0]), r[1] or "-", str(r[2]), r[3] or "")
            console.print(table)
