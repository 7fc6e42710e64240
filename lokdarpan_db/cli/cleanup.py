"""`lokdarpan-db cleanup`: retention (ai_cleanup_expired_data()'s rules), one batch per transaction."""

from __future__ import annotations

import click

from ..maintenance import cleanup as cleanup_mod
from .context import Context, json_option, pass_ctx
from .output import Table, out


@click.command()
@click.option("--dry-run", is_flag=True, help="Report what would go; change nothing.")
@click.option("--batch-size", type=int, default=cleanup_mod.DEFAULT_BATCH, show_default=True,
              help=f"Rows per batch (each batch is its own transaction), 1-{cleanup_mod.MAX_BATCH}.")
@json_option
@pass_ctx
def cleanup(c: Context, dry_run: bool, batch_size: int) -> None:
    """Delete, archive and drop what the retention settings say has expired.

    One row per rule: expired and idle embeddings (deleted), expired and idle reports (archived),
    old metrics (deleted), reservations of execution months about to go (folded into
    ai_budget_settled_archive), and execution months wholly past execution_retention (detached
    and dropped under a short lock timeout). Periods live in the maintenance_setting table. Needs
    a login in lokdarpan_admin. Run with --dry-run first.

    \b
    Examples:
      lokdarpan-db cleanup --dry-run
      lokdarpan-db cleanup --batch-size 1000 --json
    """
    cleanup_mod.check_batch_size(batch_size)
    with c.connect() as conn:
        report = cleanup_mod.cleanup(conn, dry_run=dry_run, batch_size=batch_size)

    def human() -> None:
        verb = "would go" if dry_run else "cleaned up"
        table = Table(title=f"cleanup run {report.run_id}{' (dry run)' if dry_run else ''}: "
                            f"{report.total_rows:,} rows in {report.seconds:.1f} s")
        for col in ("rule", "table", "action", "rows", "partitions", "setting"):
            table.add_column(col, justify="right" if col == "rows" else "left", overflow="fold")
        for r in report.rules:
            parts = ", ".join(r.partitions)
            if r.skipped:
                parts = (parts + "; " if parts else "") + "left: " + ", ".join(r.skipped)
            table.add_row(r.rule, r.table, r.action, f"{r.rows:,}", parts, r.setting)
        out.print(table)
        out.print(f"{report.total_rows:,} rows {verb}; the periods are in the table maintenance_setting")

    c.emit(report.as_dict(), human)
