"""The package version is the plan's latest version tag (lokdarpan_db/version.py; docs/architecture.md)."""

from __future__ import annotations

import pytest

from lokdarpan_db.version import plan_version

HEAD = "%syntax-version=1.0.0\n%project=lokdarpan\n\n"
A = "a 2025-01-01T00:00:00Z Dev <dev@example.org> # a\n"
B = "b [a] 2025-01-02T00:00:00Z Dev <dev@example.org> # b\n"
TAG = "@{} 2025-01-03T00:00:00Z Dev <dev@example.org> # release\n"


@pytest.mark.parametrize(("plan", "version"), [
    (HEAD + A + B, "0.0.0.dev0+2"),
    (HEAD, "0.0.0.dev0+0"),
    (HEAD + A + B + TAG.format("v1.0"), "1.0"),
    (HEAD + A + TAG.format("v1.0") + B, "1.0+1"),
    (HEAD + A + TAG.format("v1.0") + B + TAG.format("v1.1.2"), "1.1.2"),
    (HEAD + A + TAG.format("v2.0rc1"), "2.0rc1"),
    (HEAD + A + TAG.format("before_split") + B, "0.0.0.dev0+2"),  # not a version: skipped
    (HEAD + A + TAG.format("v1.0") + B + TAG.format("alpha") + A, "1.0+2"),  # a rework counts
    (HEAD + "# @v9.9 in a comment\n" + A, "0.0.0.dev0+1"),
])
def test_the_version_is_the_latest_version_tag(plan: str, version: str) -> None:
    assert plan_version(plan) == version
