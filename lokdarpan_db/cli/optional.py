"""Verbs whose modules need an optional dependency (lokdarpan_db/extras.py): loaded when it is
installed; otherwise a stand-in of the same name that says which extra to install (one line,
exit 3), for every form of the verb, `--help` included."""

from __future__ import annotations

import importlib
from typing import Any

import click

from .. import extras


def commands(module: str, *names: str) -> list[click.Command]:
    """The commands `names` of cli/<module>.py, or their stand-ins when an extra is missing."""
    try:
        loaded = importlib.import_module(f"{__package__}.{module}")
    except ModuleNotFoundError as exc:
        if not extras.is_optional(exc):
            raise
        return [_stand_in(name, extras.missing(name, exc)) for name in names]
    return [getattr(loaded, name) for name in names]


def _stand_in(name: str, error: extras.MissingExtraError) -> click.Command:
    def refuse(**_: Any) -> None:
        raise error

    command = click.Command(
        name,
        callback=refuse,
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        help=f"Needs the '{error.extra}' extra: pip install 'lokdarpan-db[{error.extra}]'.",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )
    command._standby_guard = True  # type: ignore[attr-defined]  # nothing to guard: it never connects
    return command
