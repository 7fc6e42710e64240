"""The package version, read from the plan's latest tag (one fact: the plan says what is released).

- the plan ends at a tag `@vX.Y[.Z]`         -> "X.Y[.Z]"
- N changes were added after that tag        -> "X.Y[.Z]+N" (a local version: after X.Y, before the next)
- no version tag yet                         -> "0.0.0.dev0+N", N the number of changes

Tags that are not versions (`@alpha`, `@before_split`) are skipped. Standard library only:
setup.py loads this file by path to set the version of a build, without importing the package.
"""

from __future__ import annotations

import re
from pathlib import Path

# PEP 440 release segment with an optional pre-release (v1.0, v1.0.2, v2.0rc1), as Sqitch tag names.
_VERSION_TAG = re.compile(r"^@v?(\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?)(?=\s)")
_CHANGE = re.compile(r"^[^\s@%#]")  # a change line starts with its name (Sqitch's plan syntax)


def plan_version(plan_text: str) -> str:
    """The version of a plan's text (see the module docstring)."""
    release: str | None = None
    since = 0
    for raw in plan_text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "%")):
            continue
        tag = _VERSION_TAG.match(line + " ")
        if tag:
            release, since = tag.group(1), 0
        elif _CHANGE.match(line):
            since += 1
    if release is None:
        return f"0.0.0.dev0+{since}"
    return release if since == 0 else f"{release}+{since}"


def version_of(plan: Path) -> str:
    try:
        return plan_version(plan.read_text(encoding="utf-8"))
    except OSError:
        return "0.0.0.dev0+unknown"
