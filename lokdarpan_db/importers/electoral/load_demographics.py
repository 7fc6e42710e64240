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
to 4 decimals (the column's precision). Bad rows refuse the whole file (every one named, up to
1,000, the rest counted); wards the file does not mention keep what they had and are counted. The
file streams into staging as it is read (stage_demographics: ward_demographics_stage()): memory
does not grow with it. The database does the rest in one call, ward_demographics_merge()
(code change code/electoral/demographics_merge/merge, its pgTAP suite beside it in db/tests/):
it resolves each ward (ward_resolve), refuses unknown wards, a name that is another ward's and a
ward given twice (every line named), and upserts, counting inserted / updated / unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

import psycopg

from ..safety import cut_message
from ..streaming import CopyBatches
from ._common import MAX_LISTED, ElectoralFileError, Problem, open_text, refuse, scan_text, squeeze
from .load_common import (
    PROGRESS_STEP,
    ElectoralLoadError,
    Progress,
    ReportMixin,
    db_error_line,
    load_transaction,
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
class _Read:
    """What stage_demographics saw: rows staged, the ward column, nulls per index, a SYNTHETIC note."""

    rows: int = 0
    ward_column: str = ""
    nulls: dict[str, int] = field(default_factory=dict)
    synthetic_note: bool = False


STAGING_COLUMNS = ("line", "ward", *INDICES, "note", "name")


def stage_demographics(
    conn: psycopg.Connection, path: Path, scale: Scale, progress: Progress | None = None
) -> _Read:
    """Read a demographics CSV into pg_temp.ward_demographics_stage (ward_demographics_stage()),
    checked; refuses the file on any bad row (ElectoralFileError naming every line, at most
    MAX_LISTED listed).

    The file streams (memory bounded whatever its size): scan_text checks it (text, not cut short),
    then each row goes to staging in COPY batches as it is read; a ward given twice is asked of
    the staging table.
    """
    scan = scan_text(path)
    if scan.cut is not None:
        raise refuse(path, scan.cut[0], cut_message(scan.cut[1]))
    conn.execute("select public.ward_demographics_stage()")  # code/electoral/demographics_merge/merge
    read = _Read()
    errors: list[tuple[int | None, str]] = []
    omitted = 0
    header: list[str] | None = None
    header_line = 0
    delimiter = ","
    ward_cols: list[str] = []
    at: dict[str, int] = {}
    factor = Decimal(100) if scale == "percent" else Decimal(1)
    with open_text(path) as fh, CopyBatches(conn, "pg_temp.ward_demographics_stage", STAGING_COLUMNS) as out:
        for line, raw in enumerate(fh, start=1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            if header is None:
                header_line = line
                delimiter = max(DELIMITERS, key=raw.count)
                header = [squeeze(h).casefold() for h in next(csv.reader([raw], delimiter=delimiter))]
                ward_cols = [c for c in WARD_COLUMNS if c in header]
                missing = [c for c in INDICES if c not in header]
                if not ward_cols:
                    missing.insert(0, "ward_id, ward_no or ward_name")
                if missing:
                    found = f"missing column(s) {', '.join(missing)}; headers found: {', '.join(header)}"
                    raise refuse(path, header_line, found)
                at = {c: header.index(c) for c in header}
                continue
            row = _row(raw, delimiter, header, ward_cols, at, scale, factor)
            if isinstance(row, str):
                if len(errors) < MAX_LISTED:
                    errors.append((line, row))
                else:
                    omitted += 1
                continue
            ward, values, note, name = row
            read.rows += 1
            for column, value in zip(INDICES, values, strict=True):
                if value is None:
                    read.nulls[column] = read.nulls.get(column, 0) + 1
            read.synthetic_note = read.synthetic_note or "synthetic" in note.casefold()
            out.add((line, ward, *values, note, name), len(raw))
            if progress is not None and read.rows % PROGRESS_STEP == 0:
                progress(fh.buffer.tell(), scan.size)
    if header is None:
        raise refuse(path, None, "no header: expected a ward column and " + ", ".join(INDICES))
    # A ward written again (case-blind): its later rows are errors, with the others, in line order.
    found = conn.execute(
        "select * from public.ward_demographics_stage_duplicates(%s)", (MAX_LISTED,)
    ).fetchall()
    errors.extend((line, message) for line, message, _ in found)
    omitted += max(0, found[0][-1] - MAX_LISTED) if found else 0  # the window counts all; MAX_LISTED listed
    if errors or omitted:
        errors.sort(key=lambda e: e[0] or 0)
        listed = [Problem(line, message, "error") for line, message in errors[:MAX_LISTED]]
        raise ElectoralFileError(path, listed, omitted + max(0, len(errors) - MAX_LISTED))
    if not read.rows:
        raise refuse(path, header_line, "a header and no ward rows")
    read.ward_column = ward_cols[0]
    return read


def _row(
    raw: str,
    delimiter: str,
    header: list[str],
    ward_cols: list[str],
    at: dict[str, int],
    scale: Scale,
    factor: Decimal,
) -> tuple[str, list[Decimal | None], str, str] | str:
    """A data row as (ward, values, note, name to check), or what is wrong with it."""
    cells = [squeeze(c) for c in next(csv.reader(io.StringIO(raw), delimiter=delimiter))]
    if len(cells) < len(header):
        return f"{len(cells)} cells, the header has {len(header)}"
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
        values.append((value / factor).quantize(Decimal("0.0001")) if value.is_finite() else None)
    if bad:
        return "; ".join(bad)
    note = cells[at["source"]] if "source" in at else ""
    return ward, values, note, name if ward_id else ""


def _merge(conn: psycopg.Connection, path: Path, source_prefix: str) -> dict[str, int]:
    """ward_demographics_merge()'s report (code/electoral/demographics_merge/merge); its refusals as
    this file's errors (LDI01: the file's problems with their lines; 55000: no wards yet)."""
    try:
        row = conn.execute(
            "select public.ward_demographics_merge(%s, %s)", (source_prefix, MAX_LISTED)
        ).fetchone()
    except psycopg.Error as exc:
        if exc.sqlstate == "LDI01":
            detail = json.loads(exc.diag.message_detail or "{}")
            problems = [Problem(p["line"], p["message"], "error") for p in detail.get("problems", [])]
            raise ElectoralFileError(path, problems, int(detail.get("total", 0)) - len(problems)) from None
        if exc.sqlstate == "55000" and "ward registry is empty" in (exc.diag.message_primary or ""):
            raise ElectoralLoadError(f"{exc.diag.message_primary}; nothing imported") from None
        raise
    assert row is not None
    return dict(row[0])


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
    try:
        with load_transaction(conn, dry_run):
            read = stage_demographics(conn, path, scale, progress)
            report.rows_read = read.rows
            report.nulls = read.nulls
            report.synthetic = "synthetic" in path.name.casefold() or read.synthetic_note
            synthetic = "SYNTHETIC data: " if report.synthetic else ""
            merged = _merge(conn, path, f"{synthetic}{path.name} line ")
            report.inserted, report.updated = merged["inserted"], merged["updated"]
            report.unchanged, report.wards_not_in_file = merged["unchanged"], merged["wards_not_in_file"]
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
        raise ElectoralLoadError(f"{path}: {db_error_line(exc)}; nothing imported") from None
    if report.synthetic:
        report.problems.append(f"{path.name}: SYNTHETIC data, not census figures: for demonstrations only")
    if report.wards_not_in_file:
        report.problems.append(
            f"{path.name}: {report.wards_not_in_file} ward(s) of the registry not in the file: "
            "their demographics (if any) were kept"
        )
    return report
