"""`lokdarpan-db refresh`: recompute what the database derives from its data."""

from __future__ import annotations

import click

from ..analytics import refresh as refresh_mod
from .context import Context, json_option, pass_ctx
from .output import Table, out


@click.command()
@click.argument("what", type=click.Choice(["all", *refresh_mod.PARTS]), default="all")
@json_option
@pass_ctx
def refresh(c: Context, what: str) -> None:
    """Rebuild derived tables: `analytics` = the ward rollups behind the dashboards,
    `electoral` = ward aggregates, profiles and features; both by default.

    Runs the database's own functions (refresh_ward_analytics(), recompute_electoral()), as an
    application or a schedule would, and reports time, rows and, for the rollups, how many rows
    the rebuild corrected (0 unless something bypassed the triggers that keep them).

    \b
    Examples:
      lokdarpan-db refresh
      lokdarpan-db refresh analytics
      lokdarpan-db --json refresh electoral
    """
    with c.connect() as conn:
        result = {part: report.as_dict() for part, report in refresh_mod.refresh(conn, what).items()}

    def human() -> None:
        table = Table(title=f"refreshed {what if what != 'all' else ', '.join(result)}")
        for col, just in (("part", "left"), ("table", "left"), ("rows", "right"), ("corrected", "right"),
                          ("seconds", "right")):
            table.add_column(col, justify=just)
        for part, data in result.items():
            for i, (name, t) in enumerate(data["tables"].items()):
                table.add_row(part if i == 0 else "", name, str(t["rows"]), str(t.get("corrected", "")),
                              f"{data['seconds']:.2f}" if i == 0 else "")
        out.print(table)

    c.emit(result, human)
