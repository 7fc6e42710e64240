"""The Sqitch verbs: deploy, plan, revert, verify, status, log, check."""

from __future__ import annotations

import sys

import click

from .. import connect, paths
from ..errors import BadInputError, DriftError
from ..migrate.engine import (
    DEFAULT_DDL_LOCK_TIMEOUT,
    DEFAULT_MODE,
    DEFAULT_RETRY_FOR,
    MAX_DDL_LOCK_TIMEOUT,
    MAX_LOCK_TIMEOUT,
    MODES,
    Engine,
)
from .context import Context, json_option, pass_ctx
from .numbers import Finite
from .output import Table, out

SECONDS = Finite(0, MAX_LOCK_TIMEOUT, "of seconds")
refuse_if_busy_option = click.option(
    "--refuse-if-busy",
    type=SECONDS,
    default=None,
    metavar="SECONDS",
    help="Refuse to start (exit 3) while another transaction of the database has been open for "
    "longer than this. Transactions open for over 1 s are listed in any case.",
)

TO_HELP = "Sqitch's syntax: name, @tag, name@tag, name@HEAD, @HEAD^, an id."


@click.command()
@click.option("--to", "to", metavar="CHANGE|@TAG", help=f"Deploy up to and including this change ({TO_HELP})")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default=DEFAULT_MODE,
    show_default=True,
    help="What a failure undoes: all = every change this run deployed, tag = back to the "
    "last tag it deployed, change = only the failing change.",
)
@click.option(
    "--verify/--no-verify",
    default=False,
    help="Run each change's verify script inside its transaction before committing.",
)
@click.option(
    "--ddl-lock-timeout",
    type=Finite(0, MAX_DDL_LOCK_TIMEOUT, "of seconds"),
    default=DEFAULT_DDL_LOCK_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="The longest a change waits for a table lock per attempt (its lock_timeout, escalating "
    "from 0.1 s over the attempts) before it rolls back and retries; 0 = wait forever, no "
    "retries. Not --lock-timeout, which is the wait for another deployer.",
)
@click.option(
    "--retry-for",
    type=SECONDS,
    default=DEFAULT_RETRY_FOR,
    show_default=True,
    metavar="SECONDS",
    help="How long to keep retrying a change whose attempts time out on a lock, then fail it.",
)
@refuse_if_busy_option
@click.option("--dry-run", is_flag=True, help="Print what would run, SQL included; touch nothing.")
@json_option
@pass_ctx
def deploy(c: Context, to: str | None, mode: str, verify: bool, ddl_lock_timeout: float,
           retry_for: float, refuse_if_busy: float | None, dry_run: bool) -> None:
    """Deploy pending changes, each in its own transaction with its registry rows.

    \b
    Examples:
      lokdarpan-db deploy
      lokdarpan-db --db postgresql://dba@db.internal/lokdarpan deploy --verify
      lokdarpan-db deploy --to electoral/results --dry-run
      lokdarpan-db deploy --ddl-lock-timeout 0.5 --retry-for 600 --refuse-if-busy 30
    """
    _say_plan(c)
    with c.engine(to) as engine:
        if dry_run:
            _show_pending(c, engine, to, refuse_if_busy)
            return
        engine.set_lock_retries(ddl_lock_timeout, retry_for)
        done = engine.deploy(to=to, verify=verify, mode=mode, refuse_if_busy=refuse_if_busy)
    c.emit(
        {"deployed": done},
        lambda: out.print(f"deployed {len(done)} change(s)" if done else "nothing to deploy"),
    )


@click.command("plan")
@click.option("--to", "to", metavar="CHANGE|@TAG", help=f"Stop at this change ({TO_HELP})")
@refuse_if_busy_option
@json_option
@pass_ctx
def plan_cmd(c: Context, to: str | None, refuse_if_busy: float | None) -> None:
    """Show the changes deploy would run, with their SQL. Touches nothing.

    \b
    Examples:
      lokdarpan-db plan
      lokdarpan-db --json plan --to audit
      lokdarpan-db plan --refuse-if-busy 30   # exit 3 if a transaction is open for over 30 s
    """
    _say_plan(c)
    with c.engine(to) as engine:
        _show_pending(c, engine, to, refuse_if_busy)


def _say_plan(c: Context) -> None:
    """Which plan deploy and plan use (a project's, or the one packaged with lokdarpan-db): the first
    line of their human output (stdout; stderr keeps errors to one line)."""
    if not c.as_json:
        out.print(paths.describe_plan(c.plan_path), markup=False, style="dim")


def _show_pending(c: Context, engine: Engine, to: str | None, refuse_if_busy: float | None) -> None:
    pending = engine.pending(to)
    busy = engine.refuse_if_busy(refuse_if_busy) if pending else []

    def human() -> None:
        for session in busy:
            out.print(f"long transaction: {session.describe()}", markup=False, style="yellow")
        if not pending:
            out.print("nothing to deploy")
        for p in pending:
            mode = "" if p.transactional else " (outside a transaction)"
            out.print(f"[bold]-- {p.change.name}[/bold]{mode}: {p.script}")
            out.print(p.sql.rstrip(), markup=False)
            out.print()

    # long_transactions only when there are some: {"pending": []} stays what it was.
    extra = {"long_transactions": [s.as_dict() for s in busy]} if busy else {}
    c.emit({"pending": [p.as_dict() for p in pending], **extra}, human)


@click.command()
@click.option(
    "--to",
    "to",
    metavar="CHANGE|@TAG",
    help="Revert the changes after this deployed one; it stays (looked up among the "
    "deployed changes, as Sqitch does).",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_ctx
def revert(c: Context, to: str | None, yes: bool) -> None:
    """Revert deployed changes, newest first.

    \b
    Examples:
      lokdarpan-db revert --to audit -y
      lokdarpan-db revert -y            # everything
    """
    with c.engine() as engine:
        todo = engine.revertible(to)
        if not todo:
            c.emit({"reverted": []}, lambda: out.print("nothing to revert"))
            return
        if not yes:
            names = ", ".join(ch.name for ch in todo)
            if not sys.stdin.isatty():
                raise BadInputError(f"revert needs confirmation; rerun with -y to revert: {names}")
            click.confirm(
                f"Revert {len(todo)} change(s) from {engine.conn.info.dbname}: {names}?", abort=True
            )
        done = engine.revert(to=to)
    c.emit({"reverted": done}, lambda: out.print(f"reverted {len(done)} change(s)"))


@click.command()
@json_option
@pass_ctx
def verify(c: Context) -> None:
    """Run the verify script of every deployed change (each rolled back). Exit 1 on failure.

    As in Sqitch, an instance reworked later is not verified, and a missing verify script is a
    warning (listed, exit 0).

    \b
    Examples:
      lokdarpan-db verify
      lokdarpan-db --json verify
    """
    with c.engine() as engine:
        result = engine.verify()

    def human() -> None:
        for name in result.ok:
            out.print(f"  [green]ok[/green]   {name}")
        for name in result.reworked:
            out.print(f"  ok   {name} (reworked later: its verify is not run, as in Sqitch)",
                      markup=False, style="green")
        for name, path in result.missing:
            out.print(f"  ok   {name} (not verified: {path} does not exist)", markup=False, style="yellow")
        for name, why in result.failed:
            out.print(f"  FAIL {name}: {why}", markup=False, style="red")
        for name in result.not_deployed:
            out.print(f"  [dim]--   {name} (not deployed)[/dim]")

    c.emit(result.as_dict(), human)
    result.raise_if_failed()


@click.command()
@json_option
@pass_ctx
def status(c: Context) -> None:
    """Show what is deployed, what is pending and which deploy scripts changed since.

    \b
    Examples:
      lokdarpan-db status
      lokdarpan-db --json status
    """
    with c.engine() as engine:
        st = engine.status()
        where = connect.describe(engine.conn.info.dsn)

    def human() -> None:
        table = Table(title=f"project {st.project}, database {where}", show_header=True)
        for col in ("change", "state", "deployed at", "by"):
            table.add_column(col)
        for d in st.deployed:
            state = (
                "[yellow]deployed, script edited since[/yellow]"
                if d.change in st.drifted
                else "[green]deployed[/green]"
            )
            tags = f" {' '.join(d.tags)}" if d.tags else ""
            table.add_row(d.change + tags, state, f"{d.committed_at:%Y-%m-%d %H:%M:%S %Z}", d.committer_name)
        for ch in st.pending:
            table.add_row(ch.name, "[cyan]pending[/cyan]", "", "")
        for d in st.unknown:
            table.add_row(d.change, "[red]deployed, not in plan[/red]", f"{d.committed_at}", "")
        out.print(table)
        out.print("nothing to deploy" if not st.pending else f"{len(st.pending)} change(s) to deploy")

    c.emit({**st.as_dict(), "database": where}, human)


@click.command()
@click.option("-n", "--limit", type=click.IntRange(1, 1_000_000_000), default=50, show_default=True,
              help="Newest N events.")
@json_option
@pass_ctx
def log(c: Context, limit: int) -> None:
    """Show deploy, revert and fail events, newest first.

    \b
    Examples:
      lokdarpan-db log -n 10
    """
    with c.engine() as engine:
        events = engine.log(limit)

    def human() -> None:
        table = Table(show_header=True)
        for col in ("when", "event", "change", "by"):
            table.add_column(col)
        colours = {"deploy": "green", "revert": "yellow", "fail": "red"}
        for e in events:
            ev = e["event"]
            table.add_row(
                f"{e['committed_at']:%Y-%m-%d %H:%M:%S %Z}",
                f"[{colours.get(ev, 'white')}]{ev}[/]",
                e["change"],
                e["committer_name"],
            )
        out.print(table)

    c.emit(events, human)


@click.command()
@json_option
@pass_ctx
def check(c: Context) -> None:
    """Report drift: deploy scripts edited after deploying, verify failures, unknown changes.

    Exit 1 when anything drifted.

    \b
    Examples:
      lokdarpan-db check
      lokdarpan-db --json check
    """
    with c.engine() as engine:
        res = engine.check()

    def human() -> None:
        for n, a, b in res.drifted:
            now = b[:12] if b else "missing"
            out.print(f"[yellow]drift[/yellow]  {n}: deployed script {a and a[:12]}, file now {now}")
        for n, why in res.verify_failed:
            out.print(f"schema {n}: {why}", markup=False, style="red")
        for n in res.unknown:
            out.print(f"[red]unknown[/red] {n}: deployed but not in the plan")
        for p in res.missing_scripts:
            out.print(f"[red]missing[/red] {p}")
        if res.clean:
            out.print("no drift: deployed scripts match the files and every verify passes")

    c.emit(res.as_dict(), human)
    if not res.clean:
        raise DriftError("check found drift")


COMMANDS = (deploy, plan_cmd, revert, verify, status, log, check)
