"""The docs stay true to the tree (issue 22 part 4): the README's layout and docs/architecture.md
list every package and every test folder (and nothing that is gone), and every relative link and
every repository path the docs name (README.md, docs/*.md) exists — anchors included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Paths the docs use as examples of a shape, not as files of this tree.
EXAMPLES = {"db/deploy/x.sql", "db/deploy/name.sql", "db/revert/name.sql", "db/verify/name.sql",
            "db/tests/name.sql", "db/verify/b.sql"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
REPO_PATH = re.compile(r"(?<![\w./-])((?:tests|lokdarpan_db|docs|db|scripts|data)/[\w./-]*\w)")


def _packages() -> set[str]:
    return {p.parent.name for p in (ROOT / "lokdarpan_db").glob("*/__init__.py")}


def _test_folders() -> set[str]:
    return {p.name for p in (ROOT / "tests").iterdir()
            if p.is_dir() and (any(p.glob("test_*.py")) or (p / "conftest.py").exists())}


def _readme_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def _subtree(block: str, top: str) -> list[str]:
    """The line starting with `top` and the indented lines under it."""
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(top))
    out = [lines[start]]
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break
        out.append(line)
    return out


def _names(lines: list[str]) -> tuple[set[str], set[str]]:
    first = " ".join(re.split(r"(?<=\S)\s{2,}", line.strip(), maxsplit=1)[0] for line in lines[1:])
    return set(re.findall(r"([\w]+)/", first)), set(re.findall(r"[\w]+\.py", first))


def test_the_readme_layout_lists_every_package() -> None:
    listed, modules = _names(_subtree(_readme_block(), "lokdarpan_db/"))
    actual = _packages()
    assert listed == actual, f"README layout: missing {actual - listed}, gone {listed - actual}"
    gone = [m for m in modules if not (ROOT / "lokdarpan_db" / m).exists()]
    assert not gone, f"README layout names modules that do not exist: {gone}"


def test_the_readme_layout_lists_every_test_folder() -> None:
    listed, modules = _names(_subtree(_readme_block(), "tests/"))
    assert listed == _test_folders(), (
        f"README layout: missing {_test_folders() - listed}, gone {listed - _test_folders()}")
    assert all((ROOT / "tests" / m).exists() for m in modules), modules


def test_architecture_lists_every_package_and_test_folder() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [f"lokdarpan_db/{p}/" for p in sorted(_packages()) if f"`{p}/`" not in text]
    missing += [f"tests/{t}/" for t in sorted(_test_folders()) if f"`tests/{t}/`" not in text]
    assert not missing, f"docs/architecture.md does not list {missing}"


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(md: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", md.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#+\s+(.+?)\s*$", text, flags=re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc: Path) -> None:
    broken = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # http:, https:, mailto:
        path, _, anchor = target.partition("#")
        dest = (doc.parent / path).resolve() if path else doc
        if not dest.exists() or (anchor and dest.suffix == ".md" and anchor not in _anchors(dest)):
            broken.append(target)
    assert not broken, f"{doc.name}: broken links {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_repository_path_the_docs_name_exists(doc: Path) -> None:
    text = re.sub(r"\]\([^)]*\)", "]", doc.read_text(encoding="utf-8"))  # links: the test above
    named = {m.group(1) for m in REPO_PATH.finditer(text) if text[m.end():m.end() + 1] not in "*<"}
    missing = sorted(p for p in named - EXAMPLES
                     if not any((ROOT / f"{p}{ext}").exists() for ext in ("", ".py", ".sql")))
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"
