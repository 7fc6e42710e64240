"""Plan parsing and Sqitch-identical change/tag ids, checked against Debian's sqitch itself."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from support import PLAN, ROOT, Project, cli_env

from lokdarpan_db.errors import PlanError
from lokdarpan_db.migrate import plan as plan_mod

needs_sqitch = pytest.mark.skipif(shutil.which("sqitch") is None, reason="sqitch not installed")


def sqitch(top, *args: str) -> str:
    return subprocess.run(["sqitch", *args], cwd=top, env=cli_env(), capture_output=True, text=True,
                          check=True).stdout


def sqitch_change_ids(top) -> list[str]:
    """Change ids in plan order, as `sqitch plan` prints them."""
    out = sqitch(top, "plan", "--no-headers", "--format", "oneline")
    return re.findall(r"^([0-9a-f]{40}) deploy ", out, flags=re.M)


@needs_sqitch
def test_change_ids_of_the_real_plan_match_sqitch():
    plan = plan_mod.load(PLAN)
    assert [c.id for c in plan.changes] == sqitch_change_ids(ROOT)


@needs_sqitch
def test_ids_with_tags_notes_conflicts_and_a_rework_match_sqitch(project: Project):
    project.write_plan(
        r"""
        base 2026-01-01T00:00:00Z Ravi Kumar <ravi@example.org> # first\nwith escaped newline
        feature [base !legacy] 2026-01-01T00:01:00Z Ravi Kumar <ravi@example.org>
        @v1.0 2026-01-01T00:02:00Z Ravi Kumar <ravi@example.org> # release one
        feature [feature@v1.0] 2026-01-01T00:03:00Z Ravi Kumar <ravi@example.org> # reworked
        @v1.1 2026-01-01T00:04:00Z Ravi Kumar <ravi@example.org>
        """
    )
    for name in ("base.sql", "feature.sql", "feature@v1.0.sql"):
        (project.root / "db" / "deploy" / name).write_text("select 1;\n")
    plan = plan_mod.load(project.plan)
    assert [c.id for c in plan.changes] == sqitch_change_ids(project.root)
    for tag in plan.tags:  # a tag's id is the SHA-1 of exactly this text
        shown = sqitch(project.root, "show", "tag", tag.format_name).rstrip("\n")
        assert plan_mod.tag_info(plan, tag) == shown
    first, second = (c for c in plan.changes if c.name == "feature")
    assert plan.script(first, "deploy").name == "feature@v1.0.sql"
    assert plan.script(second, "deploy").name == "feature.sql"
    assert plan.changes[0].note == "first\nwith escaped newline"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("a 2026-01-01T00:00:00Z X <x@y> # ok\nb [nope] 2026-01-01T00:01:00Z X <x@y>\n",
         r'sqitch\.plan:6: change "b" requires "nope", which is not in the plan'),
        ("a [b] 2026-01-01T00:00:00Z X <x@y>\nb [a] 2026-01-01T00:01:00Z X <x@y>\n",
         r'sqitch\.plan:5: change "a" requires "b", which comes later .*cycle: a -> b -> a'),
        ("a 2026-01-01 X <x@y>\n", r"sqitch\.plan:5: malformed plan line"),
        ("a 2026-01-01T00:00:00Z X <x@y>\na 2026-01-01T00:01:00Z X <x@y>\n",
         r'sqitch\.plan:6: change "a" is already in the plan at line 5'),
    ],
    ids=["unknown-dependency", "cycle", "malformed-line", "duplicate-without-tag"],
)
def test_bad_plans_name_file_and_line(project: Project, body: str, message: str):
    project.write_plan(body)
    with pytest.raises(PlanError, match=message):
        plan_mod.load(project.plan)


def test_resolve_targets():
    plan = plan_mod.load(PLAN)
    assert plan.resolve("roles").name == "roles"
    assert plan.resolve("@HEAD") is plan.changes[-1]
    with pytest.raises(PlanError, match='unknown change "nope"'):
        plan.resolve("nope")
    with pytest.raises(PlanError, match='unknown tag "@nope"'):
        plan.resolve("@nope")
