"""`lokdarpan-db integrity`: the data integrity checks, rendered from the library's report."""

from __future__ import annotations

import click

from ..maintenance import integrity as integrity_mod
from .context import Context, json_option, pass_ctx
from .output import Table, out

STYLE = {"PASS": "green", "WARN": "yellow", "FAIL": "red"}


@click.command()
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="NAME",
    help="Run only this check (repeatable). An unknown name is an error (exit 3) naming it.",
)
@json_option
@pass_ctx
def integrity(c: Context, only: tuple[str, ...]) -> None:
    """Run validate_data_integrity(): every rule the schema cannot enforce by itself.

    Each check prints PASS, WARN (needs attention) or FAIL (data is wrong), how many rows it found,
    what it cost in ms, and for anything but PASS what to do. The checks and their meaning:
    docs/maintenance.md, "Integrity checks". A readonly login is enough.

    Exit codes, for monitoring (the Nagios convention): 0 every check PASS, 1 a WARN, 2 a FAIL,
    3 the checks could not run (the database cannot be reached, no privilege, an unknown --only
    name, a database error, a mistyped option: never 2, which means FAIL).

    \b
    Examples:
      lokdarpan-db integrity
      lokdarpan-db integrity --only post_ward_mismatch --only ward_day_rollup_drift
      lokdarpan-db integrity --json    # hourly from cron; exit 0 PASS, 1 WARN, 2 FAIL, 3 unknown
    """
    with c.connect() as conn:  # any error: exit 3, UNKNOWN (failures.py)
        report = integrity_mod.run_checks(conn, only)

    def human() -> None:
        status = f"[{STYLE[report.status]}]{report.status}[/]"
        table = Table(title=f"integrity: {status} ({report.elapsed_ms:,.1f} ms)")
        for col in ("check", "status", "count", "ms", "description"):
            table.add_column(col, justify="right" if col in ("count", "ms") else "left", overflow="fold")
        for ch in report.checks:
            text = ch.issue_description
            if ch.status != "PASS":
                text += f"\n[bold]what to do:[/] {ch.hint}"
            table.add_row(
                ch.check_name,
                f"[{STYLE[ch.status]}]{ch.status}[/]",
                f"{ch.record_count:,}",
                f"{ch.elapsed_ms:,.1f}",
                text,
            )
        out.print(table)

    c.emit(report.as_dict(), human)
    raise SystemExit(report.exit_code)


COMMANDS = (integrity,)
