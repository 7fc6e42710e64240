"""`lokdarpan-db`: a thin command-line skin over the library. No SQL and no business logic here.

Exit codes: 0 ok, 1 the operation failed, 2 bad usage or input. Errors are one line on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import psycopg

from . import __version__, database
from . import plan as plan_mod
from .cluster import LocalCluster
from .engine import DEFAULT_MODE, MODES, Engine, quiet
from .errors import BadInputError, LokdarpanError

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """rich costs ~40 ms to import; most invocations print one line, so load it on first use."""

    def __init__(self, stderr: bool):
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False, soft_wrap=True)
        return getattr(self._console, name)


def Table(*args: Any, **kwargs: Any) -> Any:
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


out = _LazyConsole(stderr=False)
err = _LazyConsole(stderr=True)


def _notice(message: str) -> None:
    err.print(f"[dim]{message}[/dim]")


def find_plan(start: Path) -> Path:
    for d in (start, *start.parents):
        if (d / "db" / "sqitch.plan").exists():
            return d / "db" / "sqitch.plan"
    raise BadInputError(f"no db/sqitch.plan in {start} or its parents; pass --plan FILE")


class Context:
    def __init__(self, db: str | None, plan_file: str | None, as_json: bool, lock_timeout: float):
        self.db = db
        self.plan_file = Path(plan_file) if plan_file else None
        self.as_json = as_json
        self.lock_timeout = lock_timeout

    @property
    def plan_path(self) -> Path:
        return self.plan_file or find_plan(Path.cwd())

    @property
    def project_dir(self) -> Path:
        return self.plan_path.resolve().parent.parent

    def plan(self) -> plan_mod.Plan:
        return plan_mod.load(self.plan_path)

    def connect(self) -> psycopg.Connection:
        target = database.resolve(self.db, self.project_dir, _notice)
        return database.connect(target.conninfo)

    def engine(self, conn: psycopg.Connection, plan: plan_mod.Plan) -> Engine:
        return Engine(conn, plan, notify=_notice if not self.as_json else quiet,
                      lock_timeout=self.lock_timeout)

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        if self.as_json:
            out.print_json(json.dumps(data, default=str))
        else:
            human()


pass_ctx = click.make_pass_decorator(Context)


def _json_flag(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_object(Context).as_json = True


json_option = click.option("--json", is_flag=True, expose_value=False, callback=_json_flag,
                           help="Machine-readable output on stdout.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", metavar="URL", help="Database URL (postgresql://… or Sqitch's db:pg://…). "
              "Default: $LOKDARPAN_DATABASE_URL, then libpq's PG* variables, then the embedded "
              "cluster in .lokdarpan/.")
@click.option("--plan", "plan_file", metavar="FILE", envvar="LOKDARPAN_PLAN",
              help="Plan file. Default: db/sqitch.plan in this directory or a parent.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option("--lock-timeout", default=60.0, show_default=True, metavar="SECONDS",
              envvar="LOKDARPAN_LOCK_TIMEOUT",
              help="How long to wait for another deploy or revert holding the lock.")
@click.version_option(__version__, prog_name="lokdarpan-db")
@click.pass_context
def cli(ctx: click.Context, db: str | None, plan_file: str | None, as_json: bool,
        lock_timeout: float) -> None:
    """Deploy and operate the LokDarpan PostgreSQL database.

    The plan (db/sqitch.plan) is in Sqitch's format and the registry is Sqitch's own (schema
    sqitch): this tool and Sqitch can take turns on one database.
    """
    ctx.obj = Context(db, plan_file, as_json, lock_timeout)


# ---------------------------------------------------------------------------- deploy family
@cli.command()
@click.option("--to", "to", metavar="CHANGE|@TAG",
              help="Deploy up to and including this change (Sqitch's syntax: name, @tag, name@tag, "
                   "@HEAD^, …).")
@click.option("--mode", type=click.Choice(MODES), default=DEFAULT_MODE, show_default=True,
              help="What a failure undoes: all = every change this run deployed, tag = back to the "
                   "last tag it deployed, change = only the failing change.")
@click.option("--verify/--no-verify", default=False,
              help="Run each change's verify script inside its transaction before committing.")
@click.option("--dry-run", is_flag=True, help="Print what would run, SQL included; touch nothing.")
@json_option
@pass_ctx
def deploy(c: Context, to: str | None, mode: str, verify: bool, dry_run: bool) -> None:
    """Deploy pending changes, each in its own transaction with its registry rows."""
    plan = c.plan()
    if to:
        plan.resolve(to)  # unknown targets are bad input, before connecting
    with c.connect() as conn:
        engine = c.engine(conn, plan)
        if dry_run:
            _show_pending(c, engine, to)
            return
        done = engine.deploy(to=to, verify=verify, mode=mode)
        c.emit({"deployed": done}, lambda: out.print(
            f"deployed {len(done)} change(s)" if done else "nothing to deploy"))


@cli.command("plan")
@click.option("--to", "to", metavar="CHANGE|@TAG", help="Stop at this change.")
@json_option
@pass_ctx
def plan_cmd(c: Context, to: str | None) -> None:
    """Show the changes deploy would run, with their SQL. Touches nothing."""
    plan = c.plan()
    if to:
        plan.resolve(to)
    with c.connect() as conn:
        _show_pending(c, c.engine(conn, plan), to)


def _show_pending(c: Context, engine: Engine, to: str | None) -> None:
    pending = engine.pending(to)
    data = [{"change": p.change.name, "script": str(p.script), "transactional": p.transactional,
             "sql": p.sql} for p in pending]

    def human() -> None:
        if not pending:
            out.print("nothing to deploy")
        for p in pending:
            mode = "" if p.transactional else " (outside a transaction)"
            out.print(f"[bold]-- {p.change.name}[/bold]{mode}: {p.script}")
            out.print(p.sql.rstrip(), markup=False)
            out.print()

    c.emit({"pending": data}, human)


@cli.command()
@click.option("--to", "to", metavar="CHANGE|@TAG",
              help="Revert the changes after this deployed one; it stays (looked up among the "
                   "deployed changes, as Sqitch does).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_ctx
def revert(c: Context, to: str | None, yes: bool) -> None:
    """Revert deployed changes, newest first."""
    plan = c.plan()
    with c.connect() as conn:
        engine = c.engine(conn, plan)
        todo = engine.revertible(to)
        if not todo:
            c.emit({"reverted": []}, lambda: out.print("nothing to revert"))
            return
        if not yes:
            names = ", ".join(ch.name for ch in todo)
            if not sys.stdin.isatty():
                raise BadInputError(f"revert needs confirmation; rerun with -y to revert: {names}")
            click.confirm(f"Revert {len(todo)} change(s) from {conn.info.dbname}: {names}?", abort=True)
        done = engine.revert(to=to)
        c.emit({"reverted": done}, lambda: out.print(f"reverted {len(done)} change(s)"))


@cli.command()
@json_option
@pass_ctx
def verify(c: Context) -> None:
    """Run the verify script of every deployed change (each rolled back). Exit 1 on failure."""
    plan = c.plan()
    with c.connect() as conn:
        result = c.engine(conn, plan).verify(raise_on_failure=False)

    def human() -> None:
        for name in result.ok:
            out.print(f"  [green]ok[/green]   {name}")
        for name, why in result.failed:
            out.print(f"  FAIL {name}: {why}", markup=False, style="red")
        for name in result.not_deployed:
            out.print(f"  [dim]--   {name} (not deployed)[/dim]")

    c.emit({"ok": result.ok, "failed": dict(result.failed), "not_deployed": result.not_deployed},
           human)
    if result.failed:
        raise LokdarpanError(f"verify failed for {len(result.failed)} change(s): "
                             + ", ".join(n for n, _ in result.failed))


@cli.command()
@json_option
@pass_ctx
def status(c: Context) -> None:
    """Show what is deployed, what is pending and which deploy scripts changed since."""
    plan = c.plan()
    with c.connect() as conn:
        st = c.engine(conn, plan).status()
        where = database.describe(conn.info.dsn)
    data = {
        "project": st.project,
        "database": where,
        "deployed": [d.change for d in st.deployed],
        "last_change": st.last.change if st.last else None,
        "last_deployed_at": st.last.committed_at if st.last else None,
        "pending": [ch.name for ch in st.pending],
        "drifted": st.drifted,
        "unknown": [d.change for d in st.unknown],
    }

    def human() -> None:
        table = Table(title=f"project {st.project}, database {where}", show_header=True)
        table.add_column("change")
        table.add_column("state")
        table.add_column("deployed at")
        table.add_column("by")
        for d in st.deployed:
            state = "[yellow]deployed, script edited since[/yellow]" if d.change in st.drifted \
                else "[green]deployed[/green]"
            tags = f" {' '.join(d.tags)}" if d.tags else ""
            table.add_row(d.change + tags, state, f"{d.committed_at:%Y-%m-%d %H:%M:%S %Z}",
                          d.committer_name)
        for ch in st.pending:
            table.add_row(ch.name, "[cyan]pending[/cyan]", "", "")
        for d in st.unknown:
            table.add_row(d.change, "[red]deployed, not in plan[/red]", f"{d.committed_at}", "")
        out.print(table)
        out.print("nothing to deploy" if not st.pending else f"{len(st.pending)} change(s) to deploy")

    c.emit(data, human)


@cli.command()
@click.option("-n", "--limit", default=50, show_default=True, help="Newest N events.")
@json_option
@pass_ctx
def log(c: Context, limit: int) -> None:
    """Show deploy, revert and fail events, newest first."""
    from . import registry

    plan = c.plan()
    with c.connect() as conn:
        events = registry.events(conn, plan.project, limit)

    def human() -> None:
        table = Table(show_header=True)
        for col in ("when", "event", "change", "by"):
            table.add_column(col)
        colours = {"deploy": "green", "revert": "yellow", "fail": "red"}
        for e in events:
            ev = e["event"]
            table.add_row(f"{e['committed_at']:%Y-%m-%d %H:%M:%S %Z}",
                          f"[{colours.get(ev, 'white')}]{ev}[/]", e["change"], e["committer_name"])
        out.print(table)

    c.emit(events, human)


@cli.command()
@json_option
@pass_ctx
def check(c: Context) -> None:
    """Report drift: deploy scripts edited after deploying, verify failures, unknown changes."""
    plan = c.plan()
    with c.connect() as conn:
        res = c.engine(conn, plan).check()
    data = {
        "drifted": [{"change": n, "deployed_hash": a, "current_hash": b} for n, a, b in res.drifted],
        "verify_failed": dict(res.verify_failed),
        "unknown": res.unknown,
        "missing_scripts": res.missing_scripts,
        "clean": res.clean,
    }

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

    c.emit(data, human)
    if not res.clean:
        raise LokdarpanError("check found drift")


# ---------------------------------------------------------------------------- import
@cli.group("import")
def import_group() -> None:
    """Load reference data into a deployed database."""


@import_group.command("wards")
@click.option("--boundaries", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GeoJSON of ward boundaries (features named 'Ward N Name'). "
                   "Default: data/ghmc-wards.geojson.")
@click.option("--zones", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV ward_no,ward_name,zone of all 150 wards. Default: data/ghmc-ward-zones.csv.")
@json_option
@pass_ctx
def import_wards_cmd(c: Context, boundaries: Path | None, zones: Path | None) -> None:
    """Load the GHMC ward registry: numbers, names, zones and boundaries.

    Idempotent (re-running updates in place) and atomic. Defects in single rows or features are
    reported and skipped; the sound rest is loaded (see docs/wards-import.md).
    """
    from .importers import wards as importer

    with c.connect() as conn:
        report = importer.import_wards(conn, boundaries or importer.DEFAULT_BOUNDARIES,
                                       zones or importer.DEFAULT_ZONES)
    data = {"inserted": report.inserted, "updated": report.updated, "unchanged": report.unchanged,
            "with_boundary": report.with_boundary, "without_boundary": report.without_boundary,
            "problems": report.problems}

    def human() -> None:
        out.print(f"wards: {report.inserted} inserted, {report.updated} updated, "
                  f"{report.unchanged} unchanged; {report.with_boundary} with a boundary, "
                  f"{report.without_boundary} without")
        for problem in report.problems:
            out.print(f"  ! {problem}", markup=False, style="yellow")

    c.emit(data, human)


# ---------------------------------------------------------------------------- cluster
@cli.group()
def cluster() -> None:
    """The embedded PostgreSQL under .lokdarpan/ (the default database when none is given)."""


def _local(c: Context) -> LocalCluster:
    return LocalCluster(c.project_dir / ".lokdarpan")


@cluster.command("init")
@pass_ctx
def cluster_init(c: Context) -> None:
    """Create the embedded cluster (initdb) without starting it."""
    lc = _local(c)
    created = lc.init()
    out.print(f"{'created' if created else 'already exists:'} {lc.root} (port {lc.port})")


@cluster.command("start")
@pass_ctx
def cluster_start(c: Context) -> None:
    """Start the embedded cluster, creating it first if needed."""
    lc = _local(c)
    lc.init()
    started = lc.start()
    out.print(f"{'started' if started else 'already running:'} {lc.url()}")


@cluster.command("stop")
@pass_ctx
def cluster_stop(c: Context) -> None:
    """Stop the embedded cluster (fast shutdown)."""
    lc = _local(c)
    out.print("stopped" if lc.stop() else "not running")


@cluster.command("status")
@json_option
@pass_ctx
def cluster_status(c: Context) -> None:
    """Say whether the embedded cluster exists and runs. Exit 1 when it is not running."""
    lc = _local(c)
    data = {"root": str(lc.root), "initialized": lc.initialized, "running": lc.running(),
            "url": lc.url() if lc.initialized else None}
    c.emit(data, lambda: out.print(
        f"{lc.root}: " + ("not initialized" if not lc.initialized else
                          f"{'running' if data['running'] else 'stopped'}, {lc.url()}")))
    if not data["running"]:
        sys.exit(1)


@cluster.command("url")
@click.option("--tcp", is_flag=True, help="Loopback TCP URL with password instead of the socket URL.")
@pass_ctx
def cluster_url(c: Context, tcp: bool) -> None:
    """Print the embedded cluster's connection URL."""
    lc = _local(c)
    if not lc.initialized:
        raise BadInputError(f"no cluster at {lc.root}; run `lokdarpan-db cluster init`")
    out.print(lc.tcp_url() if tcp else lc.url(), markup=False)


# ---------------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> None:
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
        err.print(f"error: database: {' '.join(str(exc).split())}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        err.print(f"error: internal: {type(exc).__name__}: {exc} (set LOKDARPAN_DEBUG=1 for a traceback)",
                  markup=False)
        sys.exit(1)
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
