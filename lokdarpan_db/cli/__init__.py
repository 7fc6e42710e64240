"""`lokdarpan-db`: a thin command-line skin over the library. No SQL and no business logic here:
each verb is a library call that returns a report, which the command renders (rich, or JSON with
--json). One module per domain: migrate (the Sqitch verbs), importing, refresh, cluster.

Exit codes: 0 ok, 1 the operation failed, 2 bad usage or input, 130 interrupted. Errors are one
line on stderr; LOKDARPAN_DEBUG=1 adds a traceback for internal errors.
"""

from __future__ import annotations

import os
import sys

import click
import psycopg

from .. import __version__
from ..errors import LokdarpanError, redact
from . import analytics, importing, integrity, ledger, migrate, partitions, refresh
from . import backup as backup_cmds
from . import cleanup as cleanup_cmds
from . import cluster as cluster_cmds
from . import keys as keys_cmds
from .context import Context, add_global_options
from .numbers import LOCK_TIMEOUT
from .output import err


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    metavar="URL",
    help="Database URL (postgresql://… or Sqitch's db:pg://…). "
    "Default: $LOKDARPAN_DATABASE_URL, then libpq's PG* variables, then the embedded "
    "cluster in .lokdarpan/.",
)
@click.option(
    "--plan",
    "plan_file",
    metavar="FILE",
    envvar="LOKDARPAN_PLAN",
    help="Plan file. Default: db/sqitch.plan in this directory or a parent.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option(
    "--lock-timeout",
    type=LOCK_TIMEOUT,
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    envvar="LOKDARPAN_LOCK_TIMEOUT",
    help="How long to wait for another deploy or revert holding the lock (0 to 86400).",
)
@click.version_option(__version__, prog_name="lokdarpan-db")
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, plan_file: str | None, as_json: bool, lock_timeout: float
) -> None:
    """Deploy and operate the LokDarpan PostgreSQL database.

    The plan (db/sqitch.plan) is in Sqitch's format and the registry is Sqitch's own (schema
    sqitch): this tool and Sqitch can take turns on one database.

    \b
    Examples:
      lokdarpan-db deploy && lokdarpan-db import wards && lokdarpan-db status
      lokdarpan-db --db postgresql://dba@db.internal/lokdarpan --json verify
    """
    ctx.obj = Context(db, plan_file, as_json, lock_timeout)


for command in (*migrate.COMMANDS, importing.import_group, refresh.refresh, cluster_cmds.cluster,
                *analytics.COMMANDS, *ledger.COMMANDS, backup_cmds.backup, backup_cmds.pitr,
                *partitions.COMMANDS, *integrity.COMMANDS):
    cli.add_command(command)
cli.add_command(cleanup_cmds.cleanup)
cli.add_command(keys_cmds.keys)
for command in cli.commands.values():
    add_global_options(command)


def main(argv: list[str] | None = None) -> None:
    """The console script: run the command line and exit with its code."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run one command line in this process; the exit code (tests call this directly)."""
    try:
        return _run(argv)
    except SystemExit as exc:  # click's own exits (--help, --version) and ours
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


def _run(argv: list[str] | None) -> int:
    debug = bool(os.environ.get("LOKDARPAN_DEBUG"))
    try:
        rc = cli.main(args=argv, prog_name="lokdarpan-db", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            err.print("interrupted")
            sys.exit(130)
        err.print("aborted")
        sys.exit(1)
    except click.ClickException as exc:
        err.print(f"error: {exc.format_message()}", markup=False)
        sys.exit(exc.exit_code)
    except LokdarpanError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except psycopg.Error as exc:
        if debug:
            raise
        err.print(redact(f"error: database: {' '.join(str(exc).split())}"), markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        err.print(
            redact(f"error: internal: {type(exc).__name__}: {exc} (set LOKDARPAN_DEBUG=1 for a traceback)"),
            markup=False,
        )
        sys.exit(1)
    return rc if isinstance(rc, int) else 0
