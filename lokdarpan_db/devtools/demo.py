"""`make demo`: a deployed LokDarpan database with real GHMC wards, Telangana's 2023 Assembly
results, a synthetic news sample and SYNTHETIC polling stations, and what a campaign analyst would
look at first.

Uses the database `lokdarpan-db` resolves (by default the embedded cluster under .lokdarpan/).
Re-running is safe: deploy and the ward import are idempotent, and the news sample is loaded only
once.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import psycopg
from rich.console import Console
from rich.table import Table

from .. import connect
from ..maintenance.partitions import prepare_backfill
from ..paths import PROJECT
from .demos.analytics import show_analytics
from .demos.vectors import show_vectors
from .synthetic import news as synthetic_news
from .synthetic import polling as synthetic_polling

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
    now = conn.execute("select lokdarpan_now()").fetchone()[0]  # type: ignore[index]
    prepare_backfill(conn, now - timedelta(days=91))  # the months first: no post in the default partition
    with conn.transaction():
        loaded = synthetic_news.load_posts(conn, SAMPLE_POSTS, days=90, seed=7, now=now)
    conn.execute("analyze post")
    console.print(f"\nloaded {loaded:,} synthetic posts over the last 90 days across the wards")


def show_ward(conn: psycopg.Connection, typed: str) -> str:
    row = conn.execute(
        "select ward_id, ward_no, name, zone, similarity from ward_lookup(%s, 1)", (typed,)
    ).fetchone()
    if row is None:
        raise SystemExit(f"no ward matches {typed!r}")
    ward_id, ward_no, name, zone, sim = row
    console.print(
        f"\n[bold]An analyst types[/bold] {typed!r} → ward {ward_no} [bold]{name}[/bold] "
        f"({zone}, {ward_id}, similarity {sim:.2f})"
    )

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
        "select created_at, city, party, emotion, relevance, left(text, 60) from search_posts(%s, %s, 5)",
        (term, ward),
    ).fetchall()
    scope = f"in {ward}" if ward else "across all wards"
    table = Table(title=f"search_posts({term!r}{', ' + repr(ward) if ward else ''}) — top 5 {scope}")
    for col in ("when (IST)", "ward", "party", "emotion", "relevance", "text"):
        table.add_column(col, no_wrap=col != "text", overflow="ellipsis")
    for when, city, party, emotion, rel, text in rows:
        table.add_row(
            f"{when.astimezone(synthetic_news.IST):%d %b}",
            city or "—",
            party or "—",
            emotion or "—",
            f"{rel:.3f}",
            text,
        )
    console.print(table)


def show_electoral(conn: psycopg.Connection, ward: str) -> None:
    """A ward's constituencies, its 2023 shares (areal estimate and synthetic stations) and features."""
    ward_id, name = conn.execute("select ward_id, name from ward where name = %s", (ward,)).fetchone()
    console.print(f"\n[bold]{name} ({ward_id}) at the 2023 Assembly election[/bold]")
    table = Table(title="constituencies it overlaps (compute_ward_constituency)")
    for col in ("AC", "constituency", "share of the ward", "share of the AC", "method"):
        table.add_column(col, justify="left" if col in ("constituency", "method") else "right")
    for number, ac, wf, cf, method in conn.execute(
        """select c.number, c.name, wc.ward_fraction, wc.constituency_fraction, wc.method
           from ward_constituency wc join constituency c using (constituency_id)
           where wc.ward_id = %s order by wc.ward_fraction desc""",
        (ward_id,),
    ):
        table.add_row(str(number), ac, f"{wf:.1%}", f"{cf:.2%}", method)
    console.print(table)

    table = Table(
        title="vote share in the ward, % (areal: ECI's real results weighted by area; "
        "counted: SYNTHETIC polling stations that add up to them)"
    )
    for col in ("party", "areal estimate", "counted (synthetic)"):
        table.add_column(col, justify="left" if col == "party" else "right")
    for party, areal, counted in conn.execute(
        """select a.party, a.vote_share, s.vote_share
           from result_ward_agg a
           join election e on e.id = a.election_id
               and e.round is null and e.type = 'ASSEMBLY' and e.year = 2023
           left join result_ward_agg s on s.ward_id = a.ward_id and s.party_id = a.party_id
               and s.election_id = (select id from election where round = %s)
           where a.ward_id = %s and a.vote_share >= 1 order by a.vote_share desc""",
        (synthetic_polling.SYNTHETIC_ROUND, ward_id),
    ):
        table.add_row(party, f"{areal:.1f}", "—" if counted is None else f"{counted:.1f}")
    console.print(table)

    dvi, aci, weak, reasons = conn.execute(
        "select dvi, aci_23, incumbency_weakness, null_reasons from ward_features where ward_id = %s",
        (ward_id,),
    ).fetchone()
    top = sorted(dvi.items(), key=lambda kv: -abs(kv[1]))[:3]
    console.print(
        "ward_features: dvi "
        + ", ".join(f"{p} {v:+.1f}" for p, v in top)
        + f"; aci_23 {aci:.2f}; incumbency_weakness index {weak['index']:.2f} "
        f"(margin {weak['margin']:+.1f} points)"
    )
    lead = "leads" if weak["margin"] > 0 else "trails"
    console.print(
        f"[italic]Reading: {weak['incumbent']}, which holds the constituency, {lead} "
        f"{weak['challenger']} here by {abs(weak['margin']):.1f} points; the vote against BRS "
        f"is {aci:.0%} behind one party.[/italic]"
    )
    for index, why in reasons.items():
        console.print(f"[dim]  {index} is null: {why}[/dim]")
    show_assembly_and_lok_sabha(conn, ward_id, name)


def show_assembly_and_lok_sabha(conn: psycopg.Connection, ward_id: str, name: str) -> None:
    """The ward's Assembly and Lok Sabha shares side by side with their methods, when a Lok Sabha
    election has results; else how to load one (no Lok Sabha file is shipped)."""
    rows = conn.execute(
        "select party, assembly_share, lok_sabha_share, assembly_election, assembly_method, "
        "lok_sabha_election, lok_sabha_method from ward_election_shares(%s)",
        (ward_id,),
    ).fetchall()
    if not rows or rows[0][5] is None:
        console.print(
            "[dim]  no Lok Sabha election loaded: `lokdarpan-db import results FILE --pc --type LOKSABHA "
            "--year 2024 [--mapping M]` loads PC-level results (each ward then gets its PCs' shares, "
            "method areal_pc); a segment-wise file (without --pc) loads the assembly segments "
            "(areal_segment), and Form 20 files count the stations (polling_stations).[/dim]"
        )
        return
    _, _, _, as_name, as_method, ls_name, ls_method = rows[0]
    table = Table(
        title=f"{name}: vote share in the ward, %, Assembly and Lok Sabha side by side (ward_election_shares)"
    )
    table.add_column("party")
    table.add_column(f"{as_name or 'Assembly'} ({as_method or '—'})", justify="right")
    table.add_column(f"{ls_name} ({ls_method})", justify="right")
    for party, as_share, ls_share, *_ in rows:
        if max(as_share or 0, ls_share or 0) >= 1:
            table.add_row(party, *("—" if v is None else f"{v:.1f}" for v in (as_share, ls_share)))
    console.print(table)
    if ls_method == "areal_pc":
        console.print(
            "[italic]The Lok Sabha column is a PC-level estimate: every ward of a parliamentary "
            "constituency gets its shares (weighted by area where the ward straddles two); it tells "
            "PCs apart, not wards (docs/electoral-indices.md).[/italic]"
        )


def load_electoral(conn: psycopg.Connection) -> None:
    have = conn.execute("select count(*) from polling_station where ps_id like 'SYN-%'").fetchone()[0]
    if have:
        console.print(f"\nsynthetic polling stations already made ({have:,})")
        return
    report = synthetic_polling.make_synthetic_polling(conn)
    conn.execute("select * from recompute_electoral()")
    console.print(
        f"\nmade {report.stations:,} SYNTHETIC polling stations in {report.constituencies} Hyderabad "
        f"constituencies ({report.result_rows:,} candidate rows) adding up to ECI's real totals"
    )


def main() -> None:
    console.print("[bold]LokDarpan database demo[/bold]")
    step("deploy", "--verify")
    step("import", "wards")
    step("import", "constituencies")
    step("import", "results")
    step("import", "demographics", "data/electoral/demographics-SYNTHETIC.csv")
    target = connect.resolve(None, PROJECT, console.print)
    with connect.connect(target.conninfo, application="lokdarpan-db demo") as conn:
        load_sample(conn)
        load_electoral(conn)
        ward = show_ward(conn, "jubli hils")
        show_search(conn, "water supply", None)
        show_search(conn, "roads", ward)
        show_electoral(conn, ward)
        from .demos.ledger import show_ledger

        show_ledger(conn, console)
    step("status")
    show_vectors(console)
    show_analytics("Jubilee Hills")
    from .demos.backup import show_backup

    show_backup(target.conninfo, console)


if __name__ == "__main__":
    main()
