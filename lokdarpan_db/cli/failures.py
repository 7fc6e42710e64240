"""How every verb fails: one exception becomes one exit code (errors.py decides which) and one line
on stderr, `error: …`, or with --json one JSON object {"code", "message", "exit"} on stderr (stdout
keeps only the verb's report, which a check prints before it exits 1). `health` and `integrity`
keep the monitoring convention: any error of theirs, a usage error included, exits 3 (UNKNOWN).
The contract: docs/cli.md."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import click
import psycopg

from .. import extras
from ..errors import (
    BAD_INPUT,
    INTERRUPTED,
    MONITOR_UNKNOWN,
    MONITORING_VERBS,
    PROBLEMS,
    DatabaseError,
    LokdarpanError,
    redact,
)
from .output import err


@dataclass(frozen=True)
class Failure:
    code: str  # the kind, for machines: "bad_input", "connection_failed", "sqlstate_42501", …
    message: str  # one line, passwords redacted
    exit: int

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "exit": self.exit}


@dataclass(frozen=True)
class Invocation:
    """What a command line asked for, read without click (a usage error stops click early)."""

    path: tuple[str, ...]  # the command path: ("backup", "create")
    as_json: bool

    @property
    def monitoring(self) -> bool:
        return bool(self.path) and self.path[0] in MONITORING_VERBS


EXIT_HELP = (
    "Exit codes: 0 ok; 1 the check found problems (drift, verify failed, WARN) or the operation "
    "failed; 2 bad usage or input; 3 cannot run here (database unreachable, no privilege, read-only "
    "standby). With --json an error is one JSON object {code, message, exit} on stderr. docs/cli.md."
)
MONITOR_HELP = (
    "Exit codes, the monitoring convention: 0 OK; 1 WARN; 2 CRITICAL; 3 UNKNOWN: the checks could "
    "not run (database unreachable, no privilege, any error, a mistyped option too). With --json an "
    "error is one JSON object {code, message, exit} on stderr. docs/cli.md."
)


def add_exit_help(command: click.Command, path: tuple[str, ...] = ()) -> None:
    """Put the exit codes at the end of every command's --help (the monitoring ones for health
    and integrity), where the command has no epilog of its own."""
    path = path or (command.name or "",)
    if not command.epilog:
        command.epilog = MONITOR_HELP if path[0] in MONITORING_VERBS else EXIT_HELP
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            add_exit_help(sub, (*path, name))


def _takes_value(command: click.Command, token: str) -> bool:
    for p in command.params:
        if isinstance(p, click.Option) and token in (*p.opts, *p.secondary_opts):
            return not (p.is_flag or p.count)
    return False


def scan(root: click.Command, args: Sequence[str]) -> Invocation:
    """The command path and whether --json was given, at any level, for the error path."""
    path: list[str] = []
    command, as_json, skip = root, False, False
    for token in args:
        if skip:
            skip = False
        elif token == "--":
            break
        elif token == "--json":
            as_json = True
        elif token.startswith("-"):
            skip = "=" not in token and _takes_value(command, token)
        elif isinstance(command, click.Group) and token in command.commands:
            command = command.commands[token]
            path.append(token)
    return Invocation(tuple(path), as_json)


def _one_line(text: str) -> str:
    return redact(" ".join(text.split()))


def classify(exc: BaseException, debug: bool = False, verb: str = "") -> Failure:
    """The failure an exception means. Unexpected exceptions re-raise under LOKDARPAN_DEBUG=1.

    An optional dependency imported late (boto3 only when an s3:// destination is used) is named
    with the extra that installs it, as the verbs' stand-ins do (extras.py)."""
    if isinstance(exc, ModuleNotFoundError) and extras.is_optional(exc):
        exc = extras.missing(verb or "this command", exc)
    if isinstance(exc, click.exceptions.Abort):
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            return Failure("interrupted", "interrupted", INTERRUPTED)
        return Failure("aborted", "aborted", PROBLEMS)
    if isinstance(exc, KeyboardInterrupt):
        return Failure("interrupted", "interrupted", INTERRUPTED)
    if isinstance(exc, click.ClickException):  # usage, a bad option value, a file click cannot open
        code = "usage" if isinstance(exc, click.UsageError) else "bad_input"
        return Failure(code, _one_line(exc.format_message()), BAD_INPUT)
    if isinstance(exc, psycopg.Error):
        if debug:
            raise exc
        exc = DatabaseError.of(exc, "database: ")
    if isinstance(exc, LokdarpanError):
        return Failure(exc.code, _one_line(str(exc)), exc.exit_code)
    if debug:
        raise exc
    return Failure(
        "internal",
        _one_line(f"internal: {type(exc).__name__}: {exc} (set LOKDARPAN_DEBUG=1 for a traceback)"),
        PROBLEMS,
    )


def report(failure: Failure, invocation: Invocation) -> int:
    """Say the failure on stderr (a line, or JSON with --json); return the exit code."""
    code = failure.exit
    if invocation.monitoring and code not in (INTERRUPTED,):
        code = MONITOR_UNKNOWN
    failure = Failure(failure.code, failure.message, code)
    if invocation.as_json:
        err.file.write(json.dumps(failure.as_dict()) + "\n")
        err.file.flush()
    elif failure.code == "interrupted" or failure.code == "aborted":
        err.print(failure.message, markup=False)
    else:
        err.print(f"error: {failure.message}", markup=False)
    return code
