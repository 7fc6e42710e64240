"""Where the project's files are, found once.

`PROJECT` is the source tree this package was installed from (editable installs, the tests, the
demo and the benches run from it): its `db/sqitch.plan` and `data/`. `find_plan()` is how the CLI
finds a plan from the working directory, as Sqitch finds its project.
"""

from __future__ import annotations

from pathlib import Path

from .errors import BadInputError

PROJECT = Path(__file__).resolve().parent.parent
PLAN = PROJECT / "db" / "sqitch.plan"
DATA = PROJECT / "data"
ELECTORAL_DATA = DATA / "electoral"


def find_plan(start: Path) -> Path:
    """db/sqitch.plan in `start` or the nearest parent that has one; BadInputError otherwise."""
    for d in (start, *start.parents):
        if (d / "db" / "sqitch.plan").exists():
            return d / "db" / "sqitch.plan"
    raise BadInputError(f"no db/sqitch.plan in {start} or its parents; pass --plan FILE")


def project_of(plan: Path) -> Path:
    """The project directory of a plan file (the parent of its db/ folder)."""
    return plan.resolve().parent.parent
