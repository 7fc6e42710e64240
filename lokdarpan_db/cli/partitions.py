"""`lokdarpan-db partitions [--maintain]`: the monthly partitions of post and ai_model_execution."""

from __future__ import annotations

import click

from ..maintenance.partitions import partition_state
from .context import Context, json_option, pass_ctx
from .output import Table, out


@click.command()
@click.option("--maintain", is_flag=True,
              help="Run maintain_partitions() first: months ahead, rows moved out of the default partitions.")
@json_option
@pass_ctx
def partitions(c: Context, maintain: bool) -> None:
    """Show the monthly partitions pg_partman manages; --maintain runs the daily maintenance.

    For post and ai_model_execution: how many monthly partitions, the oldest and newest, how many
    months ahead of this one exist, and rows waiting in the default partition (which --maintain
    moves into their months). --maintain must run as the tables' owner (the role that deploys);
    `lokdarpan-db schedule install` runs it daily.

    \b
    Examples:
      lokdarpan-db partitions
      lokdarpan-db partitions --maintain --json
    """
    with c.connect() as conn:
        report = partition_state(conn, maintain=maintain)

    def human() -> None:
        table = Table(title="monthly partitions" + (" (maintained)" if maintain else ""))
        numbers = ("partitions", "months ahead", "default rows", "moved")
        for col in ("table", "partitions", "oldest", "newest", "months ahead", "default rows", "moved"):
            table.add_column(col, justify="right" if col in numbers else "left")
        for t in report.tables:
            table.add_row(t.parent_table, str(t.partitions), t.oldest or "-", t.newest or "-",
                          str(t.months_ahead), f"{t.default_rows:,}", f"{t.rows_moved_from_default:,}")
        out.print(table)

    c.emit(report.as_dict(), human)


COMMANDS = (partitions,)
