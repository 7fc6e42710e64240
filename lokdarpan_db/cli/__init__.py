"""`lokdarpan-db`: a thin command-line skin over the library. No SQL and no business logic here:
each verb is a library call that returns a report, which the command renders (rich, or JSON with
--json). One module per domain: migrate (the Sqitch verbs), importing, refresh, cluster.

Exit codes (decided once, in lokdarpan_db/errors.py; the contract is docs/cli.md): 0 ok, 1 the
check found problems (or the operation failed), 2 bad usage or input, 3 cannot run here
(unreachable, no privilege, a standby), 130 interrupted; `health` and `integrity` keep 0/1/2/3 =
OK/WARN/CRITICAL/UNKNOWN. Errors are one line on stderr (one JSON object with --json, failures.py);
LOKDARPAN_DEBUG=1 adds a traceback for internal errors.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from . import analytics, failures, importing, integrity, ledger, migrate, partitions, refresh
from . import cleanup as cleanup_cmds
from . import cluster as cluster_cmds
from .context import Context, add_global_options
from .numbers import LOCK_TIMEOUT
from .optional import commands as optional_commands


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
                *analytics.COMMANDS, *ledger.COMMANDS, *optional_commands("backup", "backup", "pitr"),
                *partitions.COMMANDS, *integrity.COMMANDS):
    cli.add_command(command)
cli.add_command(cleanup_cmds.cleanup)
cli.add_command(*optional_commands("keys", "keys"))  # backup, pitr, keys: extras.py
for command in cli.commands.values():
    add_global_options(command)
    failures.add_exit_help(command)
cli.epilog = failures.EXIT_HELP + " health and integrity: 0/1/2/3 = OK/WARN/CRITICAL/UNKNOWN."


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
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rc = cli.main(args=args, prog_name="lokdarpan-db", standalone_mode=False)
    except (Exception, KeyboardInterrupt) as exc:  # every failure: failures.py, docs/cli.md
        invocation = failures.scan(cli, args)
        verb = invocation.path[0] if invocation.path else ""
        failure = failures.classify(exc, debug=bool(os.environ.get("LOKDARPAN_DEBUG")), verb=verb)
        sys.exit(failures.report(failure, invocation))
    return rc if isinstance(rc, int) else 0
