"""`make bench`: run the benchmarks on a throwaway PostgreSQL and print a report.

    python -m lokdarpan_db.devtools.bench [--only SECTION] [--quick] [--report FILE]
        [--posts N] [--rounds N] [--stations N] [--elections N] [--candidates N] [--importer-mb N]

--quick runs every section at a tiny size (1,000 posts, one deploy round, ~2,000 Form 20 rows):
a smoke test that the bench works, each section in 8-35 s and about 4 minutes in all on 2 cores;
its numbers mean nothing.

The server is a private cluster (or $LOKDARPAN_BENCH_DSN, an admin conninfo). The report is
printed and written as Markdown (default bench-report.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ...server.cluster import throwaway
from .report import Measurement

console = Console(highlight=False)

# Sizes: the targets' (FULL) and a smoke test's (QUICK, --quick). segment_size: stations per Form 20 file.
FULL = {"posts": 1_000_000, "rounds": 5, "stations": 25_000, "elections": 4, "candidates": 20,
        "segment_size": 250}
QUICK = {"posts": 1000, "rounds": 1, "stations": 26, "elections": 4, "candidates": 20, "segment_size": 13}

BENCH_SETTINGS = {"shared_buffers": "'1GB'", "work_mem": "'32MB'", "maintenance_work_mem": "'512MB'",
                  "max_wal_size": "'4GB'", "effective_cache_size": "'8GB'", "random_page_cost": "1.1"}


@contextmanager
def server() -> Iterator[str]:
    dsn = os.environ.get("LOKDARPAN_BENCH_DSN")
    if dsn:
        yield dsn
        return
    with throwaway(prefix="lokdarpan-bench-", settings=BENCH_SETTINGS) as cluster:
        yield cluster.url("postgres")


def _fmt(m: Measurement) -> str:
    value = f"{m.value:,.1f}" if m.value < 1000 else f"{m.value:,.0f}"
    return f"{value} {m.unit}"


def render(results: list[Measurement], elapsed: float, quick: bool = False) -> str:
    lines = [
        "# lokdarpan-db benchmark report",
        "",
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
        f"- machine: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        f"- server settings: {', '.join(f'{k}={v}' for k, v in BENCH_SETTINGS.items())}",
        f"- total bench time: {elapsed:.0f} s",
        *(["- **--quick**: tiny sizes, a smoke test; its figures say nothing about the targets"]
          if quick else []),
        "",
        "| section | measurement | value | target | met | notes |",
        "|---|---|---|---|---|---|",
    ]
    for m in results:
        met = "" if m.met is None else ("yes" if m.met else "**no**")
        details = "; ".join(f"{k}={v}" for k, v in m.details.items())
        note = "; ".join(x for x in (m.note, details) if x)
        lines.append(f"| {m.section} | {m.name} | {_fmt(m)} | {m.target or ''} | {met} | {note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lokdarpan_db.devtools.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["deploy", "search", "electoral", "analytics", "ledger", "backup",
                                       "vectors", "partitions", "cleanup",
                                       "integrity", "importers", "locks", "keys", "online", "replica"],
                    help="run one section")
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes everywhere (a smoke test: 1,000 posts, 1 round, ~2,000 Form 20 rows)")
    ap.add_argument("--posts", type=int, default=None,
                    help="posts for the post benches (1,000,000); search measures 1M and 3M, "
                         "and N when larger (--posts 10000000)")
    ap.add_argument("--rounds", type=int, default=None, help="deploy rounds per tool (5)")
    ap.add_argument("--chunks", type=int, default=100_000,
                    help="3072-d chunks for the vectors bench (100,000, the target's size; --quick: 2,000)")
    ap.add_argument("--queries", type=int, default=200, help="queries for the vectors bench")
    ap.add_argument("--keep-vectors-db", action="store_true",
                    help="vectors bench: build its chunks and index once in the database bench_vectors_kept "
                         "and keep it; a later run with this flag (same server, e.g. $LOKDARPAN_BENCH_DSN, "
                         "same --chunks) reuses them and re-deploys only find_similar_content()")
    ap.add_argument("--stations", type=int, default=None,
                    help="polling stations for the electoral bench (25,000, in segments of 250)")
    ap.add_argument("--elections", type=int, default=None, help="elections for the electoral bench (4)")
    ap.add_argument("--candidates", type=int, default=None,
                    help="candidate columns per Form 20 file, NOTA included (20: 19 + NOTA)")
    ap.add_argument("--report", default="bench-report.md", help="Markdown report path")
    ap.add_argument("--exec-rows", type=int, default=5_000_000, help="AI executions for the ledger bench")
    ap.add_argument("--cleanup-rows", type=int, default=1_000_000,
                    help="expired executions for the cleanup bench")
    ap.add_argument("--backup-mb", type=int, default=2048, help="database size for the backup bench (MB)")
    ap.add_argument("--importer-mb", type=int, default=200,
                    help="size of each generated file for the importer memory bench (MB; --quick: 2)")
    args = ap.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    for name, value in sizes.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    if args.posts < 1000:
        ap.error(f"--posts must be at least 1000, got {args.posts}")
    for name in ("rounds", "stations", "elections"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.candidates < 2:
        ap.error(f"--candidates must be at least 2 (a candidate and NOTA), got {args.candidates}")

    started = time.perf_counter()
    results: list[Measurement] = []
    with server() as admin_url:
        if args.only in (None, "deploy"):
            from . import deploy

            console.print("[bold]deploy[/bold]: lokdarpan-db vs sqitch, whole plan …")
            results += deploy.run(admin_url, rounds=args.rounds)
        if args.only in (None, "search"):
            from . import search_setup
            from .search import stages

            sizes = ", ".join(f"{n:,}" for n in stages(args.posts))
            console.print(f"[bold]search[/bold]: {sizes} posts over 150 wards …")
            results += search_setup.run(admin_url, posts=args.posts)
        if args.only in (None, "electoral"):
            from . import electoral

            console.print(f"[bold]electoral[/bold]: SYNTHETIC Form 20, {args.stations:,} stations x "
                          f"{args.elections} elections x {args.candidates} candidate columns …")
            results += electoral.run(admin_url, stations=args.stations, elections=args.elections,
                                     candidates=args.candidates, segment_size=args.segment_size,
                                     say=lambda text: console.print(text, markup=False))
        if args.only in (None, "analytics"):
            from . import analytics

            quick = bool(getattr(args, "quick", False))
            console.print(f"[bold]analytics[/bold]: {args.posts:,} posts over 150 wards …")
            results += analytics.run(admin_url, posts=args.posts, quick=quick)
        if args.only in (None, "ledger"):
            from . import ledger

            console.print(f"[bold]ledger[/bold]: budgets, claims, cost views ({args.exec_rows:,} calls) …")
            results += ledger.run(admin_url, rows=args.exec_rows, quick=getattr(args, "quick", False))
        if args.only in (None, "backup"):
            from . import backup

            quick = getattr(args, "quick", False)
            console.print(f"[bold]backup[/bold]: {'quick' if quick else f'{args.backup_mb:,} MB'} database …")
            results += backup.run(admin_url, size_mb=args.backup_mb, quick=quick)
        if args.only in (None, "partitions"):
            from . import partitions

            console.print(f"[bold]partitions[/bold]: {args.posts:,} posts, before and after partitioning …")
            results += partitions.run(admin_url, posts=args.posts, calls=50 if args.quick else 1000)
        if args.only in (None, "vectors"):
            from . import vectors

            quick = getattr(args, "quick", False)
            chunks, queries = (2_000, 50) if quick else (args.chunks, args.queries)
            console.print(f"[bold]vectors[/bold]: {chunks:,} chunks x 3072 dims, {queries} queries …")
            results += vectors.run(admin_url, chunks=chunks, queries=queries, keep=args.keep_vectors_db)
        if args.only in (None, "cleanup"):
            from . import cleanup

            quick = getattr(args, "quick", False)
            console.print(f"[bold]cleanup[/bold]: {'20,000' if quick else f'{args.cleanup_rows:,}'} expired "
                          "executions dropped while the application inserts …")
            results += cleanup.run(admin_url, rows=args.cleanup_rows, quick=quick)
        if args.only in (None, "integrity"):
            from . import integrity

            quick = getattr(args, "quick", False)
            sizes = (2_000, 1_000, 20_000, 100, 2) if quick else (1_000_000, 100_000, 5_000_000, 10_000, 3)
            console.print(f"[bold]integrity[/bold]: validate_data_integrity() over {sizes[0]:,} posts, "
                          f"{sizes[1]:,} embeddings, {sizes[2]:,} executions …")
            results += integrity.run(admin_url, *sizes)
        if args.only in (None, "locks"):
            from . import deploy_locks

            console.print("[bold]locks[/bold]: writers' longest wait while a metadata-only change "
                          "deploys behind an open report, before and after lock retries …")
            results += deploy_locks.run(admin_url, quick=args.quick)
        if args.only in (None, "online"):
            from . import online_migration

            console.print(f"[bold]online[/bold]: writers' longest wait while {args.posts:,} posts move to "
                          "monthly partitions, in place and online …")
            results += online_migration.run(admin_url, posts=args.posts, quick=args.quick)
        if args.only in (None, "replica"):
            from . import replica

            console.print(f"[bold]replica[/bold]: reads on a hot standby beside its primary ({args.posts:,} "
                          "posts), lag during the electoral load …")
            results += replica.run(posts=args.posts, quick=args.quick, calls=50 if args.quick else 1000,
                                   say=lambda text: console.print(text, markup=False))
        if args.only in (None, "keys"):
            from . import keys

            console.print("[bold]keys[/bold]: keys rotate over 100,000 accounts …")
            results += keys.run(admin_url, quick=args.quick)
        if args.only in (None, "importers"):
            from . import importers

            mb = 2 if args.quick else args.importer_mb
            console.print(f"[bold]importers[/bold]: peak memory of each importer on a {mb:,} MB file …")
            results += importers.run(admin_url, size_mb=args.importer_mb, quick=args.quick,
                                     say=lambda text: console.print(text, markup=False))
    elapsed = time.perf_counter() - started

    table = Table(title="lokdarpan-db bench")
    for col in ("section", "measurement", "value", "target", "met"):
        table.add_column(col)
    for m in results:
        met = "" if m.met is None else ("[green]yes[/green]" if m.met else "[red]no[/red]")
        table.add_row(m.section, m.name, _fmt(m), m.target or "", met)
    console.print(table)
    report = render(results, elapsed, quick=args.quick)
    Path(args.report).write_text(report)
    console.print(f"report written to {args.report}")
    missed = [f"{m.section}: {m.name}" for m in results if m.met is False]
    if missed:
        console.print("[yellow]targets not met:[/yellow] " + "; ".join(missed))
    return 0  # a report, not a gate: the table says which targets are met


if __name__ == "__main__":
    sys.exit(main())
