"""Load ward demographics: literacy, Muslim, SC/ST shares and SECC deprivation per ward.

No public ward-level census table exists, so the file is the user's. CSV (`#` lines are comments;
separator `,` `;` tab or `|`), one row per ward, with:

- the ward: a column ward_id (GHMC-095), ward_no (95) or ward_name / ward (Jubilee Hills),
  each resolved with ward_resolve(); with both a number and a name, they must name the same ward;
- literacy_idx, muslim_idx, scst_idx, secc_deprivation_idx: fractions 0-1 (an empty cell is
  null). Percentages 0-100 only with scale='percent'; otherwise a value above 1 is an error naming
  line and column (a percentage given by mistake, not silently divided);
- optionally source: a note kept with the file name in ward_demographics.source.

ward_demographics.source is '<file name> line <n>' plus the row's source note. A file whose name
or source note says SYNTHETIC is reported as synthetic (and says so in source). Values are stored
to 4 decimals (the column's precision). Bad rows refuse the whole file (every one named); wards
the file does not mention keep what they had and are counted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

import psycopg

from ..safety import cut_message, cut_short
from ._common import read_text, refuse, squeeze
from .load_common import (
    ElectoralLoadError,
    Progress,
    ReportMixin,
    copy_rows,
    counts,
    db_error_line,
    load_transaction,
    refuse_lines,
    temp_table,
)

INDICES = ("literacy_idx", "muslim_idx", "scst_idx", "secc_deprivation_idx")
WARD_COLUMNS = ("ward_id", "ward_no", "ward_name", "ward")
DELIMITERS = ",;\t|"
Scale = Literal["fraction", "percent"]


@dataclass
class DemographicsImportReport(ReportMixin):
    """What import_demographics did (or, with dry_run, would do)."""

    file: Path
    scale: str
    dry_run: bool = False
    synthetic: bool = False
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    wards_not_in_file: int = 0
    nulls: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    ward: str
    values: list[Decimal | None]
    note: str
    name: str = ""


def read_demographics(path: Path, scale: Scale, problems: list[str]) -> tuple[list[_Row], str]:
    """The rows of a demographics CSV, checked; refuses the file on any bad row. (rows, ward column)."""
    text = read_text(path)
    cut = cut_short(text)
    if cut is not None:
        raise refuse(path, cut[0], cut_message(cut[1]))
    lines = [
        (n, raw)
        for n, raw in enumerate(text.splitlines(), start=1)
        if raw.strip() and not raw.lstrip().startswith("#")
    ]
    if not lines:
        raise refuse(path, None, "no header: expected a ward column and " + ", ".join(INDICES))
    header_line, header_raw = lines[0]
    delimiter = max(DELIMITERS, key=header_raw.count)
    header = [squeeze(h).casefold() for h in next(csv.reader([header_raw], delimiter=delimiter))]
    ward_cols = [c for c in WARD_COLUMNS if c in header]
    missing = [c for c in INDICES if c not in header]
    if not ward_cols:
        missing.insert(0, "ward_id, ward_no or ward_name")
    if missing:
        raise refuse(
            path, header_line, f"missing column(s) {', '.join(missing)}; headers found: {', '.join(header)}"
        )
    at = {c: header.index(c) for c in header}
    factor = Decimal(100) if scale == "percent" else Decimal(1)
    errors: list[tuple[int | None, str]] = []
    out: list[_Row] = []
    first: dict[str, int] = {}
    for line, raw in lines[1:]:
        cells = [squeeze(c) for c in next(csv.reader(io.StringIO(raw), delimiter=delimiter))]
        if len(cells) < len(header):
            errors.append((line, f"{len(cells)} cells, the header has {len(header)}"))
            continue
        number = cells[at["ward_no"]] if "ward_no" in at else ""
        name = cells[at["ward_name"]] if "ward_name" in at else cells[at["ward"]] if "ward" in at else ""
        ward_id = cells[at["ward_id"]] if "ward_id" in at else ""
        # What ward_resolve() reads: an id; "95 Jubilee Hills" (number and name must agree); a number; a name.
        ward = ward_id or (f"{number} {name}" if number and name else number or name)
        bad = []
        if not ward:
            bad.append("no ward (" + " / ".join(ward_cols) + " empty)")
        values: list[Decimal | None] = []
        for column in INDICES:
            cell = cells[at[column]].removesuffix("%").strip()
            if not cell:
                values.append(None)
                continue
            try:
                value = Decimal(cell)
            except InvalidOperation:
                bad.append(f"{column} {cell!r} is not a number")
                values.append(None)
                continue
            if not value.is_finite() or value < 0:
                bad.append(f"{column} {cell!r} is negative or not finite")
            elif value > factor:
                if scale == "percent":
                    bad.append(f"{column} {cell} is above 100")
                else:
                    bad.append(
                        f"{column} {cell} is above 1: values are fractions 0-1 "
                        "(pass scale='percent' for a file of percentages)"
                    )
            values.append((value / factor).quantize(Decimal("0.0001")))
        if ward and ward.casefold() in first:
            bad.append(f"ward {ward} again (first on line {first[ward.casefold()]})")
        if bad:
            errors.append((line, "; ".join(bad)))
            continue
        first[ward.casefold()] = line
        note = cells[at["source"]] if "source" in at else ""
        out.append(_Row(line, ward, values, note, name if ward_id else ""))
    if errors:
        raise refuse_lines(path, errors)
    if not out:
        raise refuse(path, header_line, "a header and no ward rows")
    return out, ward_cols[0]


def import_demographics(
    conn: psycopg.Connection,
    path: Path | str,
    *,
    scale: Scale = "fraction",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> DemographicsImportReport:
    """Upsert ward_demographics from `path`; see the module docstring. Raises ElectoralFileError
    (a BadInputError naming file, line and column) for a bad file; nothing is written then."""
    path = Path(path)
    if scale not in ("fraction", "percent"):
        raise ElectoralLoadError(f"scale must be 'fraction' or 'percent', not {scale!r}")
    report = DemographicsImportReport(path, scale, dry_run=dry_run)
    rows, _ = read_demographics(path, scale, report.problems)
    report.rows_read = len(rows)
    report.synthetic = "synthetic" in path.name.casefold() or any(
        "synthetic" in r.note.casefold() for r in rows
    )
    for i, column in enumerate(INDICES):
        nulls = sum(1 for r in rows if r.values[i] is None)
        if nulls:
            report.nulls[column] = nulls
    if report.synthetic:
        report.problems.append(f"{path.name}: SYNTHETIC data, not census figures: for demonstrations only")

    try:
        with load_transaction(conn, dry_run):
            n = conn.execute("select count(*) from public.ward").fetchone()
            if not n or n[0] == 0:
                raise ElectoralLoadError(
                    "the ward registry is empty: load the wards first (`lokdarpan-db import wards`); "
                    "nothing imported"
                )
            temp_table(
                conn,
                "stg_demographics",
                "line integer, ward text, "
                + ", ".join(f"{c} numeric" for c in INDICES)
                + ", note text, name text",
            )
            copy_rows(
                conn,
                "stg_demographics",
                ("line", "ward", *INDICES, "note", "name"),
                ((r.line, r.ward, *r.values, r.note, r.name) for r in rows),
                total=len(rows),
                progress=progress,
            )
            conn.execute("drop table if exists pg_temp.stg_demographics_ward")
            conn.execute(
                "create temporary table stg_demographics_ward on commit drop as "
                "select s.*, public.ward_resolve(s.ward) as ward_id from pg_temp.stg_demographics as s"
            )
            bad = conn.execute(
                "select line, ward from pg_temp.stg_demographics_ward where ward_id is null order by line"
            ).fetchall()
            if bad:
                raise refuse_lines(
                    path, [(line, f"no ward {ward!r} in the registry (ward_resolve)") for line, ward in bad]
                )
            disagree = conn.execute(
                """
                select s.line, s.ward, s.name, w.name from pg_temp.stg_demographics_ward as s
                inner join public.ward as w on w.ward_id = s.ward_id
                where s.name <> '' and lower(s.name) <> lower(w.name) order by s.line
                """
            ).fetchall()
            if disagree:
                raise refuse_lines(
                    path,
                    [
                        (line, f"{ward} is {registry!r} in the registry, not {name!r}")
                        for line, ward, name, registry in disagree
                    ],
                )
            doubled = conn.execute(
                """
                select ward_id, array_agg(line order by line) from pg_temp.stg_demographics_ward
                group by ward_id having count(*) > 1 order by 2
                """
            ).fetchall()
            if doubled:
                raise refuse_lines(
                    path,
                    [
                        (lines[-1], f"ward {ward_id} again (lines {', '.join(map(str, lines))})")
                        for ward_id, lines in doubled
                    ],
                )
            synthetic = "SYNTHETIC data: " if report.synthetic else ""
            result = conn.execute(
                f"""
                insert into public.ward_demographics as d
                    (ward_id, {", ".join(INDICES)}, source, updated_at)
                select s.ward_id, {", ".join("s." + c for c in INDICES)},
                    %s || s.line || case when s.note <> '' then ' (' || s.note || ')' else '' end,
                    public.lokdarpan_now()
                from pg_temp.stg_demographics_ward as s
                order by s.line
                on conflict (ward_id) do update set
                    {", ".join(f"{c} = excluded.{c}" for c in INDICES)},
                    source = excluded.source, updated_at = excluded.updated_at
                where ({", ".join("d." + c for c in INDICES)}, d.source)
                    is distinct from ({", ".join("excluded." + c for c in INDICES)}, excluded.source)
                returning (xmax = 0)
                """,
                (f"{synthetic}{path.name} line ",),
            ).fetchall()
            report.inserted, report.updated, report.unchanged = counts(result, len(rows))
            rest = conn.execute(
                "select count(*) from public.ward as w where w.ward_id not in "
                "(select s.ward_id from pg_temp.stg_demographics_ward as s)"
            ).fetchone()
            report.wards_not_in_file = rest[0] if rest else 0
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
        raise ElectoralLoadError(f"{path}: {db_error_line(exc)}; nothing imported") from None
    if report.wards_not_in_file:
        report.problems.append(
            f"{path.name}: {report.wards_not_in_file} ward(s) of the registry not in the file: "
            "their demographics (if any) were kept"
        )
    return report
