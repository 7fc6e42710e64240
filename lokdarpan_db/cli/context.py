"""What every command shares: the global options, the plan → connection → engine opening, and
`emit()` (JSON on stdout with --json, else the command's human rendering)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import psycopg

from .. import connect, paths, pooler, replication
from ..errors import ConnectionFailedError
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

    def refuse_on_standby(self, verb: str, into: str | None = None, *, standby: bool = True,
                          pooled: bool = False) -> None:
        """Stop `verb` before it starts when --db (or, for a verb that writes elsewhere, the DSN
        `into`) reaches a hot standby (`standby`: StandbyError) or goes through a connection pooler
        (`pooled`: PoolerError), exit 3 (issue 24). Called by the guard `add_global_options` puts
        on every verb listed in WRITES or SESSIONS (the verb resolves the target again: the
        password warning is left to it, said once)."""
        if into is not None:
            conninfo = connect.normalise(into)
            try:
                conn = connect.connect(conninfo)
            except ConnectionFailedError:  # left to the verb, which says so in its own words
                return
        else:
            conninfo = connect.resolve(
                self.db, self.project_dir,
                lambda m: None if m == connect.PASSWORD_WARNING else notice(m)).conninfo
            conn = connect.connect(conninfo)
        with conn:
            if pooled:
                pooler.refuse_through_pooler(conn, verb, connect.describe(conninfo))
            if standby:
                replication.refuse_on_standby(conn, verb, connect.describe(conninfo))

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


def _always(_params: dict[str, Any]) -> bool:
    return True


# The verbs that write to the database (or, for watch, need LISTEN/NOTIFY) and so refuse on a hot
# standby before they start (issue 24, docs/scaling.md): the command path (a group's name covers
# all its commands) and, where only some forms write, which ones. A new writing verb is added here.
WRITES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "deploy": lambda p: not p.get("dry_run"),
    "revert": _always,
    "import": _always,  # --dry-run too: it loads and rolls back
    "refresh": _always,
    "cleanup": _always,  # --dry-run too: it records its run in maintenance_run
    "partitions": lambda p: bool(p.get("maintain")),
    "schedule": _always,  # list too: it creates pg_cron where missing; jobs run on the primary
    "keys rotate": _always,
    "backup drill": _always,  # restores into a scratch database on the same server
    "pitr setup": _always,  # ALTER SYSTEM, a stanza on this server
    "pitr backup": _always,  # pgBackRest's stanza is set up on the primary (pg_backup_start refuses)
    "backup restore": _always,  # checks --into, the database it writes (INTO below)
    "watch": _always,  # NOTIFY is not replicated
}


# Verbs whose writes go to a database named by one of their own options, not by --db.
INTO: dict[str, str] = {"backup restore": "into"}

# The verbs that need a server session across transactions and so refuse through a transaction
# pooler (issue 24, lokdarpan_db/pooler.py, docs/scaling.md). Same form as WRITES.
SESSIONS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "deploy": lambda p: not p.get("dry_run"),  # Sqitch's session advisory lock
    "revert": _always,
    "watch": _always,  # LISTEN
    "backup create": _always,  # pg_dump's session settings and exported snapshot
    "backup restore": _always,  # the swap's advisory lock (on --into's server)
    "backup drill": _always,
    "pitr setup": _always,
    "pitr backup": _always,
}


def _never(_params: dict[str, Any]) -> bool:
    return False


def _guard_writes(command: click.Command, path: str) -> None:
    rule = WRITES.get(path) or WRITES.get(path.split()[0])
    session = SESSIONS.get(path) or SESSIONS.get(path.split()[0])
    if (rule is None and session is None) or command.callback is None \
            or getattr(command, "_standby_guard", False):
        return
    inner = command.callback
    writes, sessions = rule or _never, session or _never

    @functools.wraps(inner)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        standby, pooled = writes(kwargs), sessions(kwargs)
        if standby or pooled:
            verb = f"{path} {kwargs['action']}" if isinstance(kwargs.get("action"), str) else path
            into = kwargs.get(INTO[path]) if path in INTO else None
            click.get_current_context().find_object(Context).refuse_on_standby(
                verb, into, standby=standby, pooled=pooled)
        return inner(*args, **kwargs)

    command.callback = guarded
    command._standby_guard = True  # type: ignore[attr-defined]


def add_global_options(command: click.Command, path: str | None = None) -> None:
    """Accept --db, --plan, --lock-timeout and --json after the verb too (`lokdarpan-db deploy --db
    URL`, as a DBA types it), and after a group (`backup --json list`); the value given last
    wins. Applied to every command and group. Also puts the standby guard on the verbs listed in
    WRITES."""
    path = path or command.name or ""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            add_global_options(sub, f"{path} {name}")
    else:
        _guard_writes(command, path)
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
