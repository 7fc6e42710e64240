"""`lokdarpan-db ward`, `watch` and `schedule`: a ward's dashboard in the terminal, live ward
updates, and the project's scheduled jobs. Thin: the work is in lokdarpan_db.analytics."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .. import connect
from ..analytics.dashboard import WardDashboard, ward_dashboard
from ..analytics.watch import WardEvent, WardWatcher
from ..maintenance.schedule import schedule as schedule_jobs
from .context import Context, json_option, pass_ctx
from .output import Table, err, notice, out

BARS = " ▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    """One character per value, scaled to the largest (all blank when all are zero)."""
    top = max(values, default=0)
    if top == 0:
        return BARS[0] * len(values)
    return "".join(BARS[0] if v == 0 else BARS[max(1, round(v / top * (len(BARS) - 1)))] for v in values)


def _fmt(value: Any) -> str:
    return "—" if value is None else str(value)


METHODS = {  # how result_ward_agg.method reads to an analyst (docs/electoral-indices.md)
    "polling_stations": "counted from Form 20 polling stations",
    "areal": "estimated from assembly-constituency results by area",
    "areal_segment": "estimated from assembly-segment results by area",
    "areal_pc": "estimated from parliamentary-constituency results by area (every ward of a PC alike)",
}


def _share(value: Any) -> str:
    return "—" if value is None else f"{float(value):.1f}"


def render_votes(d: WardDashboard) -> None:
    """The ward's Assembly and Lok Sabha shares side by side, each column naming its method."""
    elections = [(kind, e) for kind, e in d.elections.items() if e is not None]
    if not elections:
        return
    table = Table(title="vote share in the ward, %")
    table.add_column("party")
    for _kind, e in elections:
        table.add_column(f"{e['election']} ({e['method']})", justify="right")
    small = 0
    for r in d.votes:
        shares = [r[f"{kind}_share"] for kind, _e in elections]
        if max(float(v or 0) for v in shares) < 1:
            small += 1
            continue
        table.add_row(r["party"], *(_share(v) for v in shares))
    out.print(table)
    if small:
        out.print(f"  {small} more part{'y' if small == 1 else 'ies'} under 1 % in each (--json lists all)")
    for _kind, e in elections:
        out.print(f"  {e['election']}: {e['method']} = {METHODS.get(e['method'], e['method'])}")


def render_dashboard(d: WardDashboard) -> None:
    s = d.summary
    out.print(f"[bold]{s['ward_name']}[/bold] ({s['ward_id']}, ward {s['ward_no']})")
    out.print(
        f"posts {s['total_posts']} (7 days {s['posts_last_7d']}, 30 days {s['posts_last_30d']}, "
        f"{s['activity_level'].replace('_', ' ')}), authors {s['unique_authors']}, "
        f"latest {_fmt(s['latest_post_date'])}"
    )
    out.print(
        f"mood: positive {_fmt(s['positive_pct'])} %, negative {_fmt(s['negative_pct'])} %, "
        f"neutral {_fmt(s['neutral_pct'])} %; most mentioned: {_fmt(s['dominant_party'])} "
        f"(BJP {s['bjp_mentions']}, INC {s['inc_mentions']}, BRS {s['brs_mentions']}, "
        f"AIMIM {s['aimim_mentions']})"
    )
    if s["last_winner_party"]:
        out.print(
            f"last election: {s['last_winner_party']} led in {s['last_winner_year']}; "
            f"votes cast {_fmt(s['votes_cast'])}, turnout {_fmt(s['turnout_pct'])} %"
        )
    render_votes(d)
    if d.trend:
        posts = [int(r["daily_posts"]) for r in d.trend]
        first, last = d.trend[0]["trend_date"], d.trend[-1]["trend_date"]
        out.print(
            f"last {len(posts)} days ({first:%d %b} – {last:%d %b}): {sparkline(posts)}  "
            f"max {max(posts)}/day, 7-day mean now {d.trend[-1]['posts_7d_avg']}"
        )
    table = Table(title=f"parties mentioned, last {d.days} days")
    for col, just in (("party", "left"), ("mentions", "right"), ("share %", "right"),
                      ("sentiment", "right"), ("recent trend", "right")):
        table.add_column(col, justify=just)
    for r in d.competition:
        trend = "—" if r["recent_trend"] is None else f"{float(r['recent_trend']):+.0%}"
        table.add_row(r["party"], str(r["mention_count"]), str(r["mention_share"]),
                      f"{float(r['avg_sentiment']):+.2f}", trend)
    if d.competition:
        out.print(table)
    else:
        out.print(f"no party mentions in the last {d.days} days")


@click.command()
@click.argument("ward_name", metavar="WARD")
@click.option("--days", default=30, show_default=True, type=int, help="Period of the competitive analysis.")
@click.option("--trend-days", default=14, show_default=True, type=int, help="Days of the chart (1-90).")
@json_option
@pass_ctx
def ward(c: Context, ward_name: str, days: int, trend_days: int) -> None:
    """The dashboard of one ward: summary, daily posts as a small chart, competitive analysis.

    WARD is a ward id, name or number (GHMC-095, "Jubilee Hills", 95). Numbers are live: a
    committed post counts at once. When election results are loaded, the ward's vote shares at
    the latest Assembly and Lok Sabha elections are shown side by side, each with its method
    (counted, or estimated from assembly-constituency, assembly-segment or parliamentary-
    constituency results).

    \b
    Examples:
      lokdarpan-db ward "Jubilee Hills"
      lokdarpan-db ward 95 --days 7 --trend-days 30
      lokdarpan-db --json ward GHMC-095
    """
    with c.connect() as conn:
        report = ward_dashboard(conn, ward_name, trend_days=trend_days, days=days)
    c.emit(report.as_dict(), lambda: render_dashboard(report))


def _print_event(e: WardEvent, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(e.as_dict(), default=str) + "\n")
        sys.stdout.flush()
        return
    when = f"{e.created_at:%d %b %H:%M}"
    if e.kind == "post":
        tags = ", ".join(x for x in (e.party, e.emotion) if x)
        out.print(f"{e.ward_id} post #{e.id} {when} [{tags or '—'}] {e.text}", markup=False)
    else:
        out.print(f"{e.ward_id} ALERT #{e.id} {when} [{e.severity}] {e.text}", markup=False)


@click.command()
@click.argument("wards", nargs=-1, required=True, metavar="WARD...")
@json_option
@pass_ctx
def watch(c: Context, wards: tuple[str, ...]) -> None:
    """Print new posts and alerts of the wards as they are committed, until Ctrl-C.

    LISTEN/NOTIFY, one channel per ward (no polling); a notification is only a hint: watch
    re-reads the wards with its own privileges and prints each row once (a forged or garbled
    notification prints nothing; the latter a warning). After a lost connection or a server
    restart it reconnects and prints what was committed meanwhile. --json prints one JSON object
    per line.

    \b
    Examples:
      lokdarpan-db watch "Jubilee Hills" Khairatabad
      lokdarpan-db --json watch 95 91 | jq .text
    """
    target = connect.resolve(c.db, c.project_dir, notice)
    status = (lambda m: err.print(f"[dim]watch: {m}[/dim]")) if not c.as_json else (lambda _m: None)
    watcher = WardWatcher(target.conninfo, list(wards), status=status,
                          warn=lambda m: err.print(f"watch: {m}", markup=False, style="yellow"))
    try:
        watcher.open()
        for event in watcher.events():
            _print_event(event, c.as_json)
    except KeyboardInterrupt:
        if not c.as_json:
            err.print("[dim]watch: stopped[/dim]")
    finally:
        watcher.close()


@click.command()
@click.argument("action", type=click.Choice(["install", "list", "remove"]), default="list")
@json_option
@pass_ctx
def schedule(c: Context, action: str) -> None:
    """Install, list or remove the project's scheduled jobs (pg_cron), or print crontab lines.

    Today's job: the nightly rebuild of the ward rollups (refresh_ward_analytics()), a
    consistency check. Where the server does not preload pg_cron, every action prints the
    crontab lines that do the same.

    \b
    Examples:
      lokdarpan-db schedule install
      lokdarpan-db schedule
      lokdarpan-db --json schedule remove
    """
    with c.connect() as conn:
        report = schedule_jobs(conn, action)

    def human() -> None:
        if report.backend == "crontab":
            err.print(f"[yellow]{report.note}[/yellow]")
            for line in report.crontab:
                out.print(line, markup=False)
            return
        if not report.jobs:
            out.print(f"no lokdarpan jobs for database {report.database} in pg_cron")
            return
        out.print(f"pg_cron jobs of database {report.database} (schedules in UTC):")
        for j in report.jobs:
            state = "active" if j.active else "inactive"
            out.print(f"  {j.name}  {j.schedule}  {state}  as {j.username}\n    {j.command}", markup=False)

    c.emit(report.as_dict(), human)


COMMANDS = (ward, watch, schedule)
