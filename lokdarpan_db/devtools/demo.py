"""`make demo`: a deployed LokDarpan database with real GHMC wards and a synthetic news sample,
and what a campaign analyst would look at first.

Uses the database `lokdarpan-db` resolves (by default the embedded cluster under .lokdarpan/).
Re-running is safe: deploy and the ward import are idempotent, and the news sample is loaded only
once.
"""

from __future__ import annotations

import subprocess
import sys

import psycopg
from rich.console import Console
from rich.table import Table

from .. import connect
from ..paths import PROJECT
from .synthetic import news as synthetic_news

console = Console(highlight=False, width=max(120, Console().width))
SAMPLE_POSTS = 20_000


def step(*args: str) -> None:
    """Run one real `lokdarpan-db` command, showing it as the user would type it."""
    console.print(f"\n[bold cyan]$ lokdarpan-db {' '.join(args)}[/bold cyan]")
    res = subprocess.run([sys.executable, "-m", "lokdarpan_db.cli", *args], cwd=PROJECT, check=False)
    if res.returncode != 0:
        raise SystemExit(res.returncode)


def load_sample(conn: psycopg.Connection) -> None:
    have = conn.execute("select count(*) from post").fetchone()[0]
    if have >= SAMPLE_POSTS:
        console.print(f"\nnews sample already loaded ({have:,} posts)")
        return
    with conn.transaction():
        loaded = synthetic_news.load_posts(conn, SAMPLE_POSTS, days=90, seed=7)
    conn.execute("analyze post")
    console.print(f"\nloaded {loaded:,} synthetic posts over the last 90 days across the wards")


def show_ward(conn: psycopg.Connection, typed: str) -> str:
    row = conn.execute("select ward_id, ward_no, name, zone, similarity from ward_lookup(%s, 1)",
                       (typed,)).fetchone()
    if row is None:
        raise SystemExit(f"no ward matches {typed!r}")
    ward_id, ward_no, name, zone, sim = row
    console.print(f"\n[bold]An analyst types[/bold] {typed!r} → ward {ward_no} [bold]{name}[/bold] "
                  f"({zone}, {ward_id}, similarity {sim:.2f})")

    rows = conn.execute("select * from ward_party_emotion(%s, 30)", (ward_id,)).fetchall()
    table = Table(title=f"{name}: posts of the last 30 days by party and emotion (ward_party_emotion)")
    for col in ("party", "positive", "negative", "neutral", "mixed", "unknown", "total"):
        table.add_column(col, justify="right" if col != "party" else "left")
    for r in rows:
        table.add_row(*(str(x) for x in r))
    console.print(table)

    latest = conn.execute(
        """select created_at, coalesce(party, '—'), coalesce(emotion, '—'), left(text, 70)
           from post where ward_id = %s order by created_at desc limit 5""",
        (ward_id,),
    ).fetchall()
    table = Table(title=f"{name}: latest posts")
    for col in ("when (IST)", "party", "emotion", "text"):
        table.add_column(col, no_wrap=col != "text", overflow="ellipsis")
    for when, party, emotion, text in latest:
        table.add_row(f"{when.astimezone(synthetic_news.IST):%d %b %H:%M}", party, emotion, text)
    console.print(table)
    return name


def show_search(conn: psycopg.Connection, term: str, ward: str | None) -> None:
    rows = conn.execute(
        "select created_at, city, party, emotion, relevance, left(text, 60) "
        "from search_posts(%s, %s, 5)",
        (term, ward),
    ).fetchall()
    scope = f"in {ward}" if ward else "across all wards"
    table = Table(title=f"search_posts({term!r}{', ' + repr(ward) if ward else ''}) — top 5 {scope}")
    for col in ("when (IST)", "ward", "party", "emotion", "relevance", "text"):
        table.add_column(col, no_wrap=col != "text", overflow="ellipsis")
    for when, city, party, emotion, rel, text in rows:
        table.add_row(f"{when.astimezone(synthetic_news.IST):%d %b}", city or "—", party or "—",
                      emotion or "—", f"{rel:.3f}", text)
    console.print(table)


def main() -> None:
    console.print("[bold]LokDarpan database demo[/bold]")
    step("deploy", "--verify")
    step("import", "wards")
    target = connect.resolve(None, PROJECT, console.print)
    with connect.connect(target.conninfo, application="lokdarpan-db demo") as conn:
        load_sample(conn)
        ward = show_ward(conn, "jubli hils")
        show_search(conn, "water supply", None)
        show_search(conn, "roads", ward)
    step("status")


if __name__ == "__main__":
    main()
