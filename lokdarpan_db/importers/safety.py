"""What every "the file is the whole set" importer shares so that a short or cut file never turns
into deletions (docs/electoral.md, docs/wards-import.md):

- cut_short(text): a text file whose last line has no line end while the lines before it have
  one was cut (an interrupted copy, download or upload): the importers refuse it, naming the line.
- Removals: an import that would remove what earlier imports loaded (stations, candidate rows,
  results, overrides, boundaries) is refused unless the caller says replace=True (`--replace`);
  the counts of what would go are in the report, in a dry run too, and in the refusal.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import BadInputError

REPLACE_HINT = "check that the file is complete, or pass --replace to remove them"


class RemovalRefusedError(BadInputError, ValueError):
    """An import would remove rows earlier imports loaded, and replace was not asked (exit 2).

    str() is one line: the file, what would be removed (counts), nothing imported, what to do.
    """


def cut_short(text: str) -> tuple[int, str] | None:
    """(line number, the line) of a last line without a line end in a file of several lines, else None.

    A file whose other lines all end with a line end and whose last line does not was cut (a
    single-line file, or a last line that is blank, is not judged).
    """
    if not text or text.endswith(("\n", "\r")):
        return None
    lines = text.splitlines()
    if len(lines) < 2 or not lines[-1].strip():
        return None
    return len(lines), lines[-1]


def cut_message(last_line: str) -> str:
    """The reason a cut file is refused (the caller names the file and the line)."""
    shown = last_line if len(last_line) <= 60 else last_line[:57] + "..."
    return (
        f"the last line ({shown!r}) has no line end: the file looks cut short (an interrupted copy or "
        "download); nothing imported. If the file is complete, end its last line with a newline"
    )


def amount(n: int, singular: str, plural: str | None = None) -> str:
    """'1 station result', '161 station results', with thousands separators."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def removal_text(parts: Sequence[str]) -> str:
    """'a, b and c' of the non-empty parts."""
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def check_removals(
    source: str, removing: str, scope: str, *, replace: bool, dry_run: bool, problems: list[str]
) -> None:
    """Refuse (RemovalRefusedError) an import that would remove `removing` (a phrase of counts;
    empty when nothing would go) unless replace; a dry run reports it in `problems` instead."""
    if not removing:
        return
    if replace:
        problems.append(f"{source}: removed {removing} {scope} (--replace)")
        return
    if dry_run:
        problems.append(
            f"{source}: would remove {removing} {scope}: without --replace this import is refused"
        )
        return
    raise RemovalRefusedError(
        f"{source}: this import would remove {removing} {scope}; nothing imported: {REPLACE_HINT}"
    )
