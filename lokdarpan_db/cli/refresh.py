"""`lokdarpan-db refresh`: recompute what the database derives from its data."""

from __future__ import annotations

import click

from .context import Context, json_option, pass_ctx
from .output import Table, out


@click.command()
@click.argument("what", type=click.Choice(["electoral"]), default="electoral")
@json_option
@pass_ctx
def refresh(c: Context, what: str) -> None:
    """Recompute derived tables: `electoral` = ward aggregates, profiles and features.

    Runs the database's own functions (recompute_electoral()), as an application or a schedule
    would.

    \b
    Examples:
      lokdarpan-db refresh
      lokdarpan-db --json refresh electoral
    """
    with c.connect() as conn:
        rows = conn.execute("select step, rows from public.recompute_electoral()").fetchall()

    def human() -> None:
        table = Table(title=f"refreshed {what}")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for step, n in rows:
            table.add_row(step, str(n))
        out.print(table)

    c.emit({step: n for step, n in rows}, human)
