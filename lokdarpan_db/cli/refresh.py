"""`lokdarpan-db refresh`: recompute what the database derives from its data."""

from __future__ import annotations

import time

import click

from ..analytics.refresh import refresh_ward_analytics
from .context import Context, json_option, pass_ctx
from .output import Table, out

WHAT = ("analytics", "electoral")


@click.command()
@click.argument("what", type=click.Choice(["all", *WHAT]), default="all")
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
    result: dict[str, dict] = {}
    with c.connect() as conn:
        if what in ("all", "electoral"):
            started = time.perf_counter()
            rows = conn.execute("select step, rows from public.recompute_electoral()").fetchall()
            result["electoral"] = {"seconds": round(time.perf_counter() - started, 3),
                                   "tables": {step: {"rows": n} for step, n in rows}}
        if what in ("all", "analytics"):
            result["analytics"] = refresh_ward_analytics(conn).as_dict()

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
