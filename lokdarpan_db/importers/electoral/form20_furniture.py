"""PDF page furniture left in Form 20 files typed from PDFs (issue 21): page footers merged into
a numeric cell, and unlabelled totals rows at the end of a file.

A page footer merged into a cell: `7 Page 10`, `7 Page: 10`, `7 Page 10 of 12`, `7 - Page No. 10`,
`1,234 Pg 3/12` (any case). The leading number is the cell's count *if* the row's arithmetic proves
it; a footer with no leading number (`Page 10 of 12`) leaves the cell without a count. The Form 20
reader decides, row by row: a station's footer cell must take part in one of its sums (candidates
= total valid; total valid + rejected (+ NOTA) = Total) and every such sum must hold; a totals
row's footer cell must equal the sum it states.

Unlabelled rows: after the last polling station, a row with no serial and no label (the PDF's
grand total, a row of zeros, the grand total again) is recognised when its numbers are the sums of
all stations (or of all stations and the postal ballots) or all zero; it is checked, reported and
not loaded. One that is neither, or one followed by more stations, still refuses the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._common import parse_count

_FOOTER = re.compile(
    r"^(?P<count>\d[\d,]*)?\s*[-,;|]?\s*"
    r"(?P<footer>(?:page|pg)\.?\s*(?:no\.?|number)?\s*[:.#-]?\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Footer:
    """A cell holding a page footer: its slot in the row's vector (candidates, then totals columns
    in TOTAL_KINDS order), the column's name, the cell as typed and its leading count (or None)."""

    slot: int
    name: str
    text: str
    count: int | None


def split_footer(text: str) -> tuple[int | None, str] | None:
    """(leading count or None, the footer) when `text` is a count with a page footer merged in, or
    a footer alone; None when it is not a footer."""
    m = _FOOTER.match(" ".join(text.split()))
    if m is None:
        return None
    count = m.group("count")
    if count is None:
        return None, m.group("footer")
    value = parse_count(count)
    return (None, m.group("footer")) if value is None else (value, m.group("footer"))


def taken(where: str, f: Footer, proof: str) -> str:
    """The warning for a footer cell whose leading count was taken."""
    return (
        f"{where}: {f.name} is {f.text!r}: a page footer merged into the cell; {f.count} taken "
        f"({proof})"
    )


def unproven(where: str, f: Footer, why: str) -> str:
    """The error for a footer cell whose leading count the row's arithmetic does not prove."""
    if f.count is None:
        return f"{where}: {f.name} is {f.text!r}: a page footer and no vote count"
    return (
        f"{where}: {f.name} is {f.text!r}: a vote count with a page footer merged in, and {why}: "
        f"cannot tell the count"
    )


def station_sums(
    votes: list[int],
    total_valid: int | None,
    rejected: int | None,
    nota: int | None,
    total: int | None,
    *,
    n_candidates: int,
    slots: dict[str, int],
    nota_in_valid: bool,
    has_rejected: bool,
) -> list[tuple[set[int], bool]]:
    """The station's sums as (slots taking part, whether it holds), for the sums that can be checked.

    `slots` maps the totals kinds the file has to their slot in the row's vector."""
    sums: list[tuple[set[int], bool]] = []
    if total_valid is not None:
        part = set(range(n_candidates)) | {slots["total_valid"]}
        expected = sum(votes)
        if nota_in_valid and "nota" in slots:
            part.add(slots["nota"])
            expected += nota or 0
        sums.append((part, expected == total_valid))
    if total is not None and total_valid is not None and (rejected is not None or not has_rejected):
        part = {slots["total_valid"], slots["total"]}
        expected = total_valid + (rejected or 0)
        if has_rejected:
            part.add(slots["rejected"])
        if not nota_in_valid and "nota" in slots:
            part.add(slots["nota"])
            expected += nota or 0
        sums.append((part, expected == total))
    return sums


def verdict(footer: Footer, sums: list[tuple[set[int], bool]]) -> str | None:
    """None when the sums prove the footer cell's leading count, else why not."""
    if footer.count is None:
        return "no count"
    covering = [holds for part, holds in sums if footer.slot in part]
    if not covering:
        return "no sum of the row checks this column"
    if not all(covering):
        return "the row's sums do not add up with it"
    return None
