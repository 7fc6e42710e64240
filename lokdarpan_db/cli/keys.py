"""`lokdarpan-db keys`: which key the encrypted personal data is under, and rotation to the newest."""

from __future__ import annotations

import click

from .. import fieldkeys
from ..errors import PROBLEMS
from ..fieldcrypt import FieldKeys
from .context import Context, json_option, pass_ctx
from .output import Table, out


@click.group()
def keys() -> None:
    """Field-encryption keys of personal data ("user".email): check and rotate.

    Keys come from $LOKDARPAN_FIELD_KEYS (comma-separated Fernet keys, newest first) or the 0600
    file named by $LOKDARPAN_FIELD_KEY_FILE, never from arguments. See docs/security.md.

    \b
    Examples:
      lokdarpan-db keys check
      LOKDARPAN_FIELD_KEYS="$NEW,$OLD" lokdarpan-db keys rotate
    """


def _render(report: fieldkeys.KeysReport, title: str) -> None:
    table = Table(title=title)
    for col in ("column", "rows", "newest key", "older keys", "no key"):
        table.add_column(col, justify="left" if col == "column" else "right")
    for c in report.columns:
        table.add_row(c.column, f"{c.rows:,}", f"{c.by_key[0]:,}" if c.by_key else "0",
                      f"{c.under_old_keys:,}", f"{c.undecryptable:,}")
    out.print(table)


@keys.command("check")
@json_option
@pass_ctx
def check(c: Context) -> None:
    """Report how many encrypted values are under each key.

    Fernet tokens carry no key id, so each value is tried with each key, newest first. Exit 0 when
    every value is under the newest key, 1 when some are under older keys or under none (a wrong or
    missing key). Reads only.

    \b
    Examples:
      LOKDARPAN_FIELD_KEY_FILE=/etc/lokdarpan/field.keys lokdarpan-db keys check
    """
    field_keys = FieldKeys.load()
    with c.connect() as conn:
        report = fieldkeys.check(conn, field_keys)

    def human() -> None:
        _render(report, f"field keys: {report.keys} key(s)")
        if report.undecryptable:
            out.print(f"{report.undecryptable:,} value(s) decrypt with no key: a key is missing or wrong")
        elif report.under_old_keys:
            out.print(f"{report.under_old_keys:,} value(s) under older keys: run lokdarpan-db keys rotate")
        else:
            out.print("every value is under the newest key")

    c.emit(report.as_dict(), human)
    if report.undecryptable or report.under_old_keys:
        raise SystemExit(PROBLEMS)


@keys.command("rotate")
@click.option("--batch-size", type=int, default=fieldkeys.DEFAULT_BATCH, show_default=True,
              help=f"Rows per batch (each batch its own transaction), 1-{fieldkeys.MAX_BATCH}.")
@json_option
@pass_ctx
def rotate(c: Context, batch_size: int) -> None:
    """Re-encrypt every value under the newest key, in batches, beside live sign-ins.

    Put the new key first in the key list, keep the old ones after it, run this, then `keys check`;
    drop an old key only when check shows no value under it. Every value is checked first: if any
    decrypts with none of the keys, nothing is written. Each batch locks its rows with FOR UPDATE
    SKIP LOCKED (a row a sign-in holds is retried later, never waited for) and commits; an
    interrupted run is resumed by running it again. Needs UPDATE on "user" (lokdarpan_admin).

    \b
    Examples:
      LOKDARPAN_FIELD_KEYS="$NEW,$OLD" lokdarpan-db keys rotate && lokdarpan-db keys check
    """
    fieldkeys.check_batch_size(batch_size)
    field_keys = FieldKeys.load()
    with c.connect() as conn:
        report = fieldkeys.rotate(conn, field_keys, batch_size=batch_size)

    def human() -> None:
        rate = f", {report.rotated / report.seconds:,.0f} rows/s" if report.rotated and report.seconds else ""
        _render(report, f"rotated {report.rotated:,} value(s) in {report.seconds:.1f} s{rate}")
        if report.under_old_keys:
            out.print(f"{report.under_old_keys:,} value(s) still under older keys (held by other "
                      "transactions throughout): run keys rotate again")

    c.emit(report.as_dict(), human)
    if report.under_old_keys:
        raise SystemExit(PROBLEMS)


COMMANDS = (keys,)
