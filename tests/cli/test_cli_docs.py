"""Every command explains itself: `--help` has an example, and the README's CLI table has a row."""

from __future__ import annotations

import re

import click
import pytest
from support import ROOT

from lokdarpan_db.cli import cli


def commands(
    group: click.Group = cli, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, cmd in sorted(group.commands.items()):
        path = (*prefix, name)
        found.append((path, cmd))
        if isinstance(cmd, click.Group):
            found.extend(commands(cmd, path))
    return found


ALL = commands()
LEAVES = [path for path, cmd in ALL if not isinstance(cmd, click.Group)]


def readme_rows() -> set[tuple[str, ...]]:
    """Command paths named in the first cell of the README's CLI table (`cluster init|start` is two)."""
    text = (ROOT / "README.md").read_text()
    rows = set()
    for cell in re.findall(r"^\| `([^`]+)`", text, flags=re.M):
        words = cell.split()
        head: list[str] = []
        for w in words:
            if w.startswith(("-", "[", "FILE", "<")):
                break
            head.append(w)
        if not head:
            continue
        *parents, last = head
        for alt in last.replace("\\", "").split("|"):
            rows.add((*parents, alt))
    return rows


@pytest.mark.parametrize(("path", "cmd"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_has_an_example(path: tuple[str, ...], cmd: click.Command):
    help_text = cmd.help or ""
    assert "Examples:" in help_text, f"lokdarpan-db {' '.join(path)} --help has no Examples: section"
    assert f"lokdarpan-db {' '.join(path)}" in help_text or f"lokdarpan-db {path[0]}" in help_text


@pytest.mark.parametrize("path", LEAVES, ids=[" ".join(p) for p in LEAVES])
def test_readme_has_a_row(path: tuple[str, ...]):
    assert path in readme_rows(), f"README.md's CLI table has no row for `{' '.join(path)}`"


def test_the_cli_has_the_commands_the_docs_promise():
    assert {
        ("deploy",),
        ("revert",),
        ("verify",),
        ("status",),
        ("log",),
        ("plan",),
        ("check",),
        ("refresh",),
        ("import", "results"),
        ("cluster", "url"),
    } <= set(LEAVES)


@pytest.mark.parametrize(("path", "cmd"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_says_the_exit_codes(path: tuple[str, ...], cmd: click.Command):
    text = cmd.get_help(click.Context(cmd, info_name=" ".join(path)))
    flat = " ".join(text.split())
    if path[0] in ("health", "integrity"):
        assert "0 OK; 1 WARN; 2 CRITICAL; 3 UNKNOWN" in flat, text
    else:
        assert "Exit codes: 0 ok; 1 the check found problems" in flat and "3 cannot run here" in flat, text


def test_the_readme_links_the_cli_contract():
    readme = (ROOT / "README.md").read_text()
    assert "(docs/cli.md)" in readme
    contract = (ROOT / "docs" / "cli.md").read_text()
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert code in contract
