"""What every command shares: the global options, the plan → connection → engine opening, and
`emit()` (JSON on stdout with --json, else the command's human rendering)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import psycopg

from .. import connect, paths
from ..migrate import plan as plan_mod
from ..migrate.engine import Engine, quiet
from .numbers import LOCK_TIMEOUT
from .output import notice, out


class Context:
    def __init__(self, db: str | None, plan_file: str | None, as_json: bool, lock_timeout: float):
        self.db = db
        self.plan_file = Path(plan_file) if plan_file else None
        self.as_json = as_json
        self.lock_timeout = lock_timeout

    @property
    def plan_path(self) -> Path:
        return self.plan_file or paths.find_plan(Path.cwd())

    @property
    def project_dir(self) -> Path:
        return paths.project_of(self.plan_path)

    def plan(self, to: str | None = None) -> plan_mod.Plan:
        """The plan; an unknown `--to` target is bad input before anything connects."""
        plan = plan_mod.load(self.plan_path)
        if to:
            plan.resolve(to)
        return plan

    def connect(self) -> psycopg.Connection:
        target = connect.resolve(self.db, self.project_dir, notice)
        return connect.connect(target.conninfo)

    @contextmanager
    def engine(self, to: str | None = None) -> Iterator[Engine]:
        """Plan, connection and engine, opened the one way every migrate verb needs them."""
        plan = self.plan(to)
        with self.connect() as conn:
            yield Engine(conn, plan, notify=quiet if self.as_json else notice, lock_timeout=self.lock_timeout)

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        if self.as_json:
            out.print_json(json.dumps(data, default=str))
        else:
            human()


pass_ctx = click.make_pass_decorator(Context)


def _json_flag(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_object(Context).as_json = True


json_option = click.option(
    "--json", is_flag=True, expose_value=False, callback=_json_flag, help="Machine-readable output on stdout."
)


def _setter(attr: str, convert: Callable[[Any], Any] = lambda v: v) -> Callable[..., None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is not None:
            setattr(ctx.find_object(Context), attr, convert(value))

    return callback


def add_global_options(command: click.Command) -> None:
    """Accept --db, --plan, --lock-timeout and --json after the verb too (`lokdarpan-db deploy --db
    URL`, as a DBA types it); the value given after the verb wins. Applied to every command."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_global_options(sub)
        return
    have = {p.name for p in command.params}
    extra = [
        click.Option(
            ["--db"],
            metavar="URL",
            expose_value=False,
            callback=_setter("db"),
            help="Database URL (as before the verb).",
        ),
        click.Option(
            ["--plan", "plan_file"],
            metavar="FILE",
            expose_value=False,
            callback=_setter("plan_file", Path),
            help="Plan file (as before the verb).",
        ),
        click.Option(
            ["--lock-timeout"],
            type=LOCK_TIMEOUT,
            metavar="SECONDS",
            expose_value=False,
            callback=_setter("lock_timeout"),
            help="Lock wait (as before the verb).",
        ),
        click.Option(
            ["--json"],
            is_flag=True,
            expose_value=False,
            callback=_json_flag,
            help="Machine-readable output on stdout (as before the verb).",
        ),
    ]
    command.params.extend(o for o in extra if o.name not in have)
