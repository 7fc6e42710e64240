"""`lokdarpan-db health` and `lokdarpan-db report slow-queries|index-usage`: the AI ledger's and the
database's health, rendered from library reports."""

from __future__ import annotations

import click

from ..facts import REPORT_MAX_LIMIT
from ..ledger import health as health_mod
from ..ledger import reports
from .context import Context, json_option, pass_ctx
from .numbers import MILLISECONDS
from .output import Table, out

STYLE = {"OK": "green", "WARNING": "yellow", "CRITICAL": "red", "UNKNOWN": "dim"}


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


@click.command()
@json_option
@pass_ctx
def health(c: Context) -> None:
    """Check the configured thresholds: OK, WARNING or CRITICAL, exit 0, 1 or 2; 3 when it cannot run.

    Runs check_performance_thresholds(): ward query and vector search latency (the latest samples in
    ai_system_metrics), AI budget utilisation, cache hit ratio, AI error rate, mean statement time,
    active connections, and the execution partitions (default partition empty, months ahead).
    A metric UNKNOWN (no recent value) is shown but does not change the exit code; exit 3
    (UNKNOWN) means the check itself could not run: the database unreachable, no privilege, any
    error, a mistyped option (never 2, which means CRITICAL). Also the role (primary
    or standby): a standby's replication lag in bytes and seconds, a primary's connected standbys
    and their lag, and the WAL replication slots retain (docs/scaling.md).

    \b
    Examples:
      lokdarpan-db health
      lokdarpan-db health --json     # for monitoring: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
    """
    with c.connect() as conn:
        report = health_mod.check_health(conn)

    def human() -> None:
        table = Table(title=f"health ({report.role}): [{STYLE[report.status]}]{report.status}[/]")
        for col in ("metric", "value", "warning", "critical", "unit", "status"):
            table.add_column(col, justify="right" if col in ("value", "warning", "critical") else "left")
        for ch in report.checks:
            table.add_row(
                ch.metric,
                _num(ch.value),
                _num(ch.warning),
                _num(ch.critical),
                ch.unit,
                f"[{STYLE[ch.status]}]{ch.status}[/]",
            )
        out.print(table)

    c.emit(report.as_dict(), human)
    raise SystemExit(report.exit_code)


@click.group()
def report() -> None:
    """Operational reports: slow queries and index usage.

    \b
    Examples:
      lokdarpan-db report slow-queries --min-mean-ms 50
      lokdarpan-db report index-usage --all
    """


def _render(c: Context, rep: reports.TableReport) -> None:
    def human() -> None:
        table = Table(title=rep.title)
        for col in rep.columns:
            table.add_column(col, overflow="fold")
        for row in rep.rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        out.print(table if rep.rows else f"{rep.title}: nothing to report")

    c.emit(rep.as_dict(), human)


@report.command("slow-queries")
@click.option(
    "--min-mean-ms", type=MILLISECONDS, default=100.0, show_default=True,
    help="Report statements slower than this on average."
)
@click.option("--limit", default=20, show_default=True, help=f"At most this many (1-{REPORT_MAX_LIMIT}).")
@json_option
@pass_ctx
def slow_queries(c: Context, min_mean_ms: float, limit: int) -> None:
    """Statements of this database slower than --min-mean-ms on average (pg_stat_statements).

    Needs pg_stat_statements preloaded and an admin (or the owner): statement texts are theirs.

    \b
    Examples:
      lokdarpan-db report slow-queries
      lokdarpan-db --json report slow-queries --min-mean-ms 10 --limit 5
    """
    with c.connect() as conn:
        _render(c, reports.slow_queries(conn, min_mean_ms, limit))


@report.command("index-usage")
@click.option(
    "--all", "all_indexes", is_flag=True, help="Every index, not only those scanned less than their table."
)
@json_option
@pass_ctx
def index_usage(c: Context, all_indexes: bool) -> None:
    """Indexes whose table is scanned sequentially more often than through them.

    \b
    Examples:
      lokdarpan-db report index-usage
      lokdarpan-db --json report index-usage --all
    """
    with c.connect() as conn:
        _render(c, reports.index_usage(conn, all_indexes))


COMMANDS = (health, report)
