"""Where the project's files are, found once.

`PROJECT` is where this package finds its own `db/sqitch.plan`, scripts and `data/`:
- an installed wheel carries them in `lokdarpan_db/_project/` (setup.py copies db/, data/ and
  sqitch.conf there at build time): `PACKAGED` is then true;
- a source checkout (editable installs, the tests, the demo and the benches) uses the tree itself.

`find_plan()` is how the CLI finds a plan from the working directory, as Sqitch finds its project;
with none there or in a parent, it falls back to the package's own plan (`PLAN`).
"""

from __future__ import annotations

from pathlib import Path

from .errors import BadInputError
from .version import version_of

PLAN_IN_PROJECT = Path("db") / "sqitch.plan"
_PACKAGE = Path(__file__).resolve().parent
_SHIPPED = _PACKAGE / "_project"

PACKAGED = (_SHIPPED / PLAN_IN_PROJECT).is_file()
PROJECT = _SHIPPED if PACKAGED else _PACKAGE.parent
PLAN = PROJECT / PLAN_IN_PROJECT
DATA = PROJECT / "data"
ELECTORAL_DATA = DATA / "electoral"


def plan_near(start: Path) -> Path | None:
    """db/sqitch.plan in `start` or the nearest parent that has one, else None."""
    for d in (start, *start.parents):
        if (d / PLAN_IN_PROJECT).is_file():
            return d / PLAN_IN_PROJECT
    return None


def find_plan(start: Path) -> Path:
    """db/sqitch.plan in `start` or its nearest parent; else the plan this package ships."""
    found = plan_near(start)
    if found is not None:
        return found
    if PLAN.is_file():
        return PLAN
    raise BadInputError(f"no db/sqitch.plan in {start} or its parents; pass --plan FILE")


def is_own_plan(plan: Path) -> bool:
    """Whether `plan` is the plan inside an installed package (not a project directory's)."""
    return PACKAGED and plan.resolve() == PLAN.resolve()


def describe_plan(plan: Path, start: Path | None = None) -> str:
    """One line saying which plan a command uses and why (deploy and plan print it)."""
    if is_own_plan(plan):
        where = start or Path.cwd()
        return (f"plan: {plan} (packaged with lokdarpan-db {version_of(PLAN)}: "
                f"no db/sqitch.plan in {where} or its parents)")
    return f"plan: {plan}"


def project_of(plan: Path) -> Path:
    """The project directory of a plan file (the parent of its db/ folder). For the plan inside an
    installed package it is the working directory: the embedded cluster (.lokdarpan/) and the
    default backup directory belong to where the command runs, never to site-packages."""
    if is_own_plan(plan):
        return Path.cwd()
    return plan.resolve().parent.parent
