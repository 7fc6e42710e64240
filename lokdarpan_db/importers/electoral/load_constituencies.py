"""Load assembly and parliamentary constituencies from a boundary GeoJSON, the reviewed
ward-constituency overrides, and compute which wards lie in which constituency.

The boundary file (data/electoral/telangana-assembly-constituencies.geojson) has one feature per
assembly constituency (AC) with properties AC_NO, AC_NAME, PC_NO, PC_NAME, DIST_NAME; one AC may be
drawn in several features (AC 119 Bhadrachalam is two): they become one MultiPolygon and the report
says which. A reservation suffix "(SC)" / "(ST)" becomes reserved_for (a suffix whose ")" is
missing, as "Secunderabad Cantt. (SC" in the real file, is read the same and reported). Names
written in capitals (PC_NAME, DIST_NAME) are title-cased; mixed-case names are kept as written.
The file's ST_CODE is the census code (36), not ECI's (S29): the state is the `state_code`
argument. A PC's boundary is the union of its ACs' (the 2008 delimitation builds PCs from whole
ACs).

The overrides file (data/electoral/ward-constituency-overrides.csv; `#` lines are comments) has
columns ward_id or ward_no, ac_no, ward_fraction, reason: the file is the whole reviewed set,
so ward_constituency_override is made equal to it (rows not in the file are removed — only with
replace=True, `--replace`: otherwise an import that would remove an override is refused, naming
them; a dry run reports them). An overrides file whose last line has no line end was cut short:
refused. A ward's
fractions must add up to 1. Then compute_ward_constituency(sliver) recomputes ward_constituency,
and the report lists the wards split between constituencies, the slivers dropped, the wards
without any constituency and the overrides applied.

Both files stream into the database's staging tables as they are read (read_boundaries,
stage_overrides): memory does not grow with them (docs/electoral.md, "Memory"). This module parses and
checks lines; the database resolves, checks, upserts and recomputes in one call, constituency_merge()
(db/deploy/code/electoral/constituencies/{staging,merge,load}.sql, pgTAP beside them in db/tests/), which
reports what was inserted, updated, unchanged and removed. Then the name-anchor check
(ward_constituency_name_check) runs.

Wards must be loaded first (`lokdarpan-db import wards`): with an empty ward table the load is
refused unless require_wards=False (then constituencies load and nothing is computed for wards).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import psycopg

from ..safety import amount, check_removals, cut_message
from ..streaming import Collection, CopyBatches, JSONSyntaxError, iter_features
from ._common import MAX_LISTED, ElectoralFileError, Problem, open_text, refuse, scan_text
from .load_common import (
    DATA_DIR,
    ElectoralLoadError,
    Progress,
    ReportMixin,
    db_error_line,
    load_transaction,
    refuse_lines,
    split_reservation,
    title_case,
    where,
)

DEFAULT_BOUNDARIES = DATA_DIR / "telangana-assembly-constituencies.geojson"
DEFAULT_OVERRIDES = DATA_DIR / "ward-constituency-overrides.csv"
BOUNDARY_ATTRIBUTION = "datta07/INDIAN-SHAPEFILES, MIT licence, Copyright (c) 2022"


@dataclass
class ConstituencyImportReport(ReportMixin):
    """What import_constituencies did (or, with dry_run, would do)."""

    boundaries_file: Path
    overrides_file: Path | None
    state_code: str
    dry_run: bool = False
    features_read: int = 0
    acs: int = 0
    pcs: int = 0
    ac_inserted: int = 0
    ac_updated: int = 0
    ac_unchanged: int = 0
    pc_inserted: int = 0
    pc_updated: int = 0
    pc_unchanged: int = 0
    multi_part: list[str] = field(default_factory=list)
    overrides_read: int = 0
    overrides_inserted: int = 0
    overrides_updated: int = 0
    overrides_unchanged: int = 0
    overrides_removed: int = 0
    replace: bool = False
    sliver: float | None = None
    wards: int = 0
    wards_assigned: int = 0
    wards_split: dict[str, list[int]] = field(default_factory=dict)
    slivers_dropped: int = 0
    wards_with_slivers: dict[str, int] = field(default_factory=dict)
    wards_without_constituency: list[str] = field(default_factory=list)
    overrides_applied: list[str] = field(default_factory=list)
    assignments_changed: int = 0
    # ward_constituency_name_check(): wards named after an AC whose largest share is another AC.
    name_anchor_disagreements: list[str] = field(default_factory=list)
    name_anchor_reviewed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


# The columns of the staging table of features (pg_temp.constituency_boundary_stage), in a row's order.
FEATURE_COLUMNS = (
    "feature", "ac_no", "name", "reserved_for", "district", "pc_no", "pc_name", "pc_reserved", "geometry",
)


def read_boundaries(
    path: Path,
    problems: list[str],
    stage: Callable[[tuple[Any, ...]], None],
    progress: Progress | None = None,
) -> int:
    """Check the features of the constituency GeoJSON and stage each (stage(row): FEATURE_COLUMNS,
    the geometry as JSON text); the number of features. Refuses the file on any bad feature.

    The file streams (memory bounded whatever its size): scan_text checks it is text, then an
    incremental JSON parser (streaming.iter_features) hands one feature at a time; its geometry goes
    to stage() and is not kept. What is kept per AC and PC number (at most 999 each) is its first
    feature's description; at most MAX_LISTED errors are listed (the rest counted).
    """
    scan = scan_text(path)
    errors: list[tuple[int | None, str]] = []
    omitted = 0

    def error(message: str) -> None:
        nonlocal omitted
        if len(errors) < MAX_LISTED:
            errors.append((None, message))
        else:
            omitted += 1

    consistency: list[tuple[int | None, str]] = []  # pieces or PCs that disagree (after feature errors)
    first_ac: dict[int, tuple[tuple[Any, ...], int]] = {}
    pc_names: dict[int, tuple[str, str | None, int]] = {}
    head = Collection()
    count = 0
    with path.open("rb") as raw:
        try:
            for index, feature in iter_features(raw, head):
                count = index
                if progress is not None:
                    progress(raw.tell(), scan.size)
                row = _check_feature(path, index, feature, problems, error)
                if row is None:
                    continue
                ac_no, pc_no = row[1], row[5]
                description = (row[2], row[3], row[4], pc_no)
                first = first_ac.setdefault(ac_no, (description, index))
                if first[0] != description and len(consistency) < MAX_LISTED:
                    consistency.append(
                        (
                            None,
                            f"feature #{index}: AC {ac_no} is described differently than in feature "
                            f"#{first[1]} (name, reservation, district or PC)",
                        )
                    )
                pc = pc_names.setdefault(pc_no, (row[6], row[7], index))
                if pc[:2] != (row[6], row[7]) and len(consistency) < MAX_LISTED:
                    consistency.append(
                        (
                            None,
                            f"feature #{index}: PC {pc_no} is named {row[6]!r} here but {pc[0]!r} "
                            f"in feature #{pc[2]}",
                        )
                    )
                if not errors:
                    stage(row)
        except JSONSyntaxError as exc:
            place = f"the fault is at or before this line, column {exc.column}"
            reason = f"not valid JSON ({exc.reason}); {place}"
            raise refuse(path, exc.line, reason) from None
    if head.root != "dict" or head.kind != "FeatureCollection" or not head.has_array:
        raise refuse(path, None, "not a GeoJSON FeatureCollection with a features array")
    if errors:
        raise ElectoralFileError(path, [Problem(line, m, "error") for line, m in errors], omitted)
    if consistency:
        raise refuse_lines(path, consistency)
    return count


def _check_feature(
    path: Path, index: int, feature: Any, problems: list[str], error: Callable[[str], None]
) -> tuple[Any, ...] | None:
    """A feature's staging row (FEATURE_COLUMNS), or None after error() when it is not sound."""
    label = f"feature #{index}"
    props = feature.get("properties") if isinstance(feature, dict) else None
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    if not isinstance(props, dict):
        error(f"{label}: no properties")
        return None
    ac_no, pc_no = _int(props.get("AC_NO")), _int(props.get("PC_NO"))
    ac_name = props.get("AC_NAME")
    pc_name = props.get("PC_NAME")
    bad = []
    if ac_no is None or not 1 <= ac_no <= 999:
        bad.append(f"AC_NO {props.get('AC_NO')!r} is not a constituency number")
    if pc_no is None or not 1 <= pc_no <= 999:
        bad.append(f"PC_NO {props.get('PC_NO')!r} is not a constituency number")
    if not isinstance(ac_name, str) or not ac_name.strip():
        bad.append("AC_NAME is empty")
    if not isinstance(pc_name, str) or not pc_name.strip():
        bad.append("PC_NAME is empty")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else geometry
        bad.append(f"geometry {kind!r} is not a Polygon or MultiPolygon")
    if bad:
        error(f"{label} (AC_NO {props.get('AC_NO')!r}): {'; '.join(bad)}")
        return None
    assert isinstance(ac_name, str) and isinstance(pc_name, str) and ac_no and pc_no
    name, reserved, closed = split_reservation(ac_name)
    if not closed:
        problems.append(
            f"{path.name} {label}: AC {ac_no} name {ac_name!r} has an unclosed reservation suffix: "
            f"read as {name!r} reserved for {reserved}"
        )
    pname, preserved, pclosed = split_reservation(pc_name)
    if not pclosed:
        problems.append(
            f"{path.name} {label}: PC {pc_no} name {pc_name!r} has an unclosed reservation suffix"
        )
    district = props.get("DIST_NAME")
    return (
        index,
        ac_no,
        title_case(name),
        reserved,
        title_case(district) if isinstance(district, str) and district.strip() else None,
        pc_no,
        title_case(pname),
        preserved,
        json.dumps(geometry),
    )


def stage_overrides(conn: psycopg.Connection, path: Path) -> int:
    """Read the reviewed overrides CSV (`#` lines are comments) into the database's staging table
    (ward_constituency_override_stage()), checked; the number of rows. Refuses the file on any bad row
    (ElectoralFileError naming every line).

    The file streams (memory bounded whatever its size): scan_text checks it (text, not cut short),
    then its rows go to staging in COPY batches as they are read; a pair given twice and the sum of
    each ward's fractions are asked of the database (ward_constituency_override_stage_problems()).
    At most MAX_LISTED errors are listed.
    """
    scan = scan_text(path)
    if scan.cut is not None:
        raise refuse(path, scan.cut[0], cut_message(scan.cut[1]))
    conn.execute("select public.ward_constituency_override_stage()")
    errors: list[tuple[int | None, str]] = []
    omitted = 0
    header: list[str] | None = None
    ward_col = ""
    at: dict[str, int] = {}
    rows = 0
    columns = ("line", "ward", "ac_no", "ward_fraction", "reason")
    with open_text(path) as fh, CopyBatches(conn, "pg_temp.ward_constituency_override_stage", columns) as out:
        for line, raw in enumerate(fh, start=1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            if header is None:
                header = [h.strip().casefold() for h in next(csv.reader([raw]))]
                ward_col = "ward_id" if "ward_id" in header else "ward_no" if "ward_no" in header else ""
                missing = [c for c in ("ac_no", "ward_fraction", "reason") if c not in header]
                if not ward_col:
                    missing.insert(0, "ward_id or ward_no")
                if missing:
                    found = f"missing column(s) {', '.join(missing)}; headers found: {', '.join(header)}"
                    raise refuse(path, line, found)
                at = {c: header.index(c) for c in (ward_col, "ac_no", "ward_fraction", "reason")}
                continue
            row = _override_row(raw, header, ward_col, at)
            if isinstance(row, str):
                if len(errors) < MAX_LISTED:
                    errors.append((line, row))
                else:
                    omitted += 1
                continue
            out.add((line, *row), len(raw))
            rows += 1
    if header is None:
        raise refuse(path, None, "no header: expected ward_id (or ward_no), ac_no, ward_fraction, reason")
    found = conn.execute(
        "select line, message, total from public.ward_constituency_override_stage_problems(%s)", (MAX_LISTED,)
    ).fetchall()
    errors.extend((line, message) for line, message, _ in found)
    omitted += max(0, found[0][-1] - MAX_LISTED) if found else 0  # the total counts all; MAX_LISTED listed
    if errors or omitted:
        errors.sort(key=lambda e: e[0] or 0)
        listed = [Problem(line, message, "error") for line, message in errors[:MAX_LISTED]]
        raise ElectoralFileError(path, listed, omitted + max(0, len(errors) - MAX_LISTED))
    return rows


def _override_row(raw: str, header: list[str], ward_col: str, at: dict[str, int]) -> tuple[Any, ...] | str:
    """A row of the overrides CSV as (ward, ac_no, fraction, reason), or what is wrong with it."""
    cells = next(csv.reader(io.StringIO(raw)))
    if len(cells) < len(header):
        return f"{len(cells)} cells, the header has {len(header)}"
    ward = cells[at[ward_col]].strip()
    ac_text = cells[at["ac_no"]].strip()
    frac_text = cells[at["ward_fraction"]].strip()
    reason = " ".join(cells[at["reason"]].split())
    bad = []
    if not ward:
        bad.append(f"{ward_col} is empty")
    elif ward_col == "ward_no" and not ward.isdigit():
        bad.append(f"ward_no {ward!r} is not a number")
    if not ac_text.isdigit():
        bad.append(f"ac_no {ac_text!r} is not a number")
    try:
        fraction = Decimal(frac_text)
        if not fraction.is_finite() or not 0 < fraction <= 1:
            bad.append(f"ward_fraction {frac_text!r} is not in (0, 1]")
    except InvalidOperation:
        fraction = Decimal(0)
        bad.append(f"ward_fraction {frac_text!r} is not a number")
    if not reason:
        bad.append("reason is empty (every override says why)")
    if bad:
        return "; ".join(bad)
    return (ward, int(ac_text), fraction, reason)


def import_constituencies(
    conn: psycopg.Connection,
    boundaries: Path | str = DEFAULT_BOUNDARIES,
    overrides: Path | str | None = DEFAULT_OVERRIDES,
    *,
    state_code: str = "S29",
    sliver: float | None = None,
    dry_run: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
    require_wards: bool = True,
) -> ConstituencyImportReport:
    """Load the ACs and PCs of `boundaries`, the overrides, then recompute ward_constituency.

    Raises ElectoralFileError (a BadInputError) for a bad file, ElectoralLoadError when the ward
    registry is empty (unless require_wards=False) or an override names an unknown ward or AC;
    nothing is written then. overrides=None leaves ward_constituency_override as it is. The
    overrides file is the whole reviewed set: overrides it no longer has are removed only with
    replace=True; otherwise such an import is refused (RemovalRefusedError naming the count and
    the wards; a dry run reports them). sliver=None keeps the shared threshold
    (electoral_setting.sliver_threshold); a value changes that setting first (admins only).
    """
    boundaries = Path(boundaries)
    overrides_path = Path(overrides) if overrides is not None else None
    report = ConstituencyImportReport(
        boundaries, overrides_path, state_code, dry_run=dry_run, sliver=sliver, replace=replace
    )
    if sliver is not None and not (0 <= sliver < 0.5):
        raise ElectoralLoadError(f"sliver must be in [0, 0.5), got {sliver}")
    with load_transaction(conn, dry_run):
        # The files stream into staging as they are read (memory bounded whatever their size); a
        # bad file raises here and the transaction writes nothing.
        conn.execute("select public.constituency_boundary_stage()")
        with CopyBatches(conn, "pg_temp.constituency_boundary_stage", FEATURE_COLUMNS) as staging:
            report.features_read = read_boundaries(
                boundaries, report.problems, lambda row: staging.add(row, len(row[-1])), progress
            )
        if overrides_path is not None:
            report.overrides_read = stage_overrides(conn, overrides_path)
        # The database does the rest in one call (code/electoral/constituencies/load).
        merged = _merge(conn, report, require_wards)
        _fill(report, merged)
        if merged["recompute"] is not None:
            _name_anchor_check(conn, report)
        if report.wards_without_constituency:
            report.problems.append(
                f"{len(report.wards_without_constituency)} ward(s) lie in no constituency: "
                + ", ".join(report.wards_without_constituency)
            )
        if not report.wards and report.overrides_read:
            report.problems.append(f"{overrides_path}: the ward registry is empty; overrides not loaded")
    return report


def _merge(conn: psycopg.Connection, report: ConstituencyImportReport, require_wards: bool) -> dict[str, Any]:
    """constituency_merge()'s report; its refusals as this import's errors: LDI01 the overrides file's
    problems with their lines, LDI02 overrides it would remove without --replace, 55000 no wards yet,
    a constituency the table refuses, a --sliver that only an admin may set."""
    boundaries, overrides = report.boundaries_file, report.overrides_file
    try:
        row = conn.execute(
            "select public.constituency_merge(%s, %s, %s, %s, %s, %s, %s)",
            (
                report.state_code,
                f"{boundaries.name} ({BOUNDARY_ATTRIBUTION})",
                overrides.name if overrides is not None else None,
                report.replace or report.dry_run,
                report.sliver,
                require_wards,
                MAX_LISTED,
            ),
        ).fetchone()
    except psycopg.Error as exc:
        _refusal(exc, report)
        raise
    assert row is not None
    merged: dict[str, Any] = row[0]
    gone = merged["overrides"] or {}
    _check_override_removals(report, int(gone.get("removed", 0)), gone.get("removed_wards", []))
    return merged


def _refusal(exc: psycopg.Error, report: ConstituencyImportReport) -> None:
    """Raise the import's own error for a refusal of constituency_merge(); return for any other."""
    code = exc.sqlstate or ""
    message = exc.diag.message_primary or ""
    detail = json.loads(exc.diag.message_detail or "{}") if code in ("LDI01", "LDI02") else {}
    if code == "LDI01" and report.overrides_file is not None:
        problems = [Problem(p["line"], p["message"], "error") for p in detail.get("problems", [])]
        raise ElectoralFileError(
            report.overrides_file, problems, int(detail.get("total", 0)) - len(problems)
        ) from None
    if code == "LDI02":
        _check_override_removals(report, int(detail.get("removed", 0)), detail.get("wards", []))
    if code == "55000" and "ward registry is empty" in message:
        raise ElectoralLoadError(f"{message}; nothing imported") from None
    if isinstance(exc, psycopg.errors.InsufficientPrivilege) and report.sliver is not None:
        raise ElectoralLoadError(f"--sliver changes the shared threshold: {db_error_line(exc)}") from None
    if isinstance(exc, psycopg.errors.IntegrityError):
        if "compute_ward_constituency" in (exc.diag.context or ""):
            raise ElectoralLoadError(f"compute_ward_constituency: {db_error_line(exc)}") from None
        where_ = report.boundaries_file
        raise ElectoralLoadError(f"{where_}: {db_error_line(exc)}; nothing imported") from None


def _check_override_removals(report: ConstituencyImportReport, removed: int, wards: list[str]) -> None:
    """Overrides the file no longer has: refused without --replace (RemovalRefusedError), reported
    with it and in a dry run."""
    report.overrides_removed = removed
    shown = ", ".join(wards[:10]) + (f" and {len(wards) - 10} more" if len(wards) > 10 else "")
    check_removals(
        report.overrides_file.name if report.overrides_file is not None else "overrides",
        f"{amount(removed, 'override')} (ward {shown})" if removed else "",
        "that earlier imports loaded and this file no longer has",
        replace=report.replace,
        dry_run=report.dry_run,
        problems=report.problems,
    )


CHANGES = ("inserted", "updated", "unchanged")


def _fill(report: ConstituencyImportReport, merged: dict[str, Any]) -> None:
    """The report's counts from constituency_merge()'s JSON."""
    report.wards = int(merged["wards"])
    b = merged["boundaries"]
    report.acs, report.pcs = b["acs"], b["pcs"]
    report.ac_inserted, report.ac_updated, report.ac_unchanged = (b[f"ac_{k}"] for k in CHANGES)
    report.pc_inserted, report.pc_updated, report.pc_unchanged = (b[f"pc_{k}"] for k in CHANGES)
    for m in b["multi_part"]:
        suffix = f" ({m['reserved_for']})" if m["reserved_for"] else ""
        features = ", ".join(f"#{f}" for f in m["features"])
        report.multi_part.append(
            f"AC {m['ac_no']} {m['name']}{suffix}: {m['pieces']} features ({features}) "
            "loaded as one MultiPolygon"
        )
    if (o := merged["overrides"]) is not None:
        report.overrides_inserted, report.overrides_updated = o["inserted"], o["updated"]
        report.overrides_unchanged = o["unchanged"]
    if (r := merged["recompute"]) is not None:
        report.sliver = float(r["sliver"])
        report.wards_assigned = r["wards_assigned"]
        report.wards_split = {ward: list(acs) for ward, acs in r["wards_split"].items()}
        report.slivers_dropped = r["slivers_dropped"]
        report.wards_with_slivers = dict(r["wards_with_slivers"])
        report.overrides_applied = list(r["overrides_applied"])
        report.wards_without_constituency = list(r["wards_without_constituency"])
        report.assignments_changed = r["assignments_changed"]


def _name_anchor_check(conn: psycopg.Connection, report: ConstituencyImportReport) -> None:
    """Every ward named after an AC but lying mainly in another (issue 21): unreviewed ones are
    problems; those an override placed are listed as reviewed."""
    for ward_id, ward_name, ns_no, ns_name, ns_share, big_no, big_name, big_share, method in conn.execute(
        "select ward_id, ward_name, namesake_no, namesake_name, namesake_share, largest_no, largest_name, "
        "largest_share, method from public.ward_constituency_name_check("
        "p_include_reviewed => true, p_state_code => %s)",
        (report.state_code,),
    ).fetchall():
        line = (
            f"{ward_id} {ward_name}: {float(ns_share):.0%} in its namesake AC {ns_no} {ns_name}, "
            f"{float(big_share):.0%} in AC {big_no} {big_name}"
        )
        if method == "override":
            report.name_anchor_reviewed.append(f"{line} (reviewed override)")
        else:
            report.name_anchor_disagreements.append(line)
    if report.name_anchor_disagreements:
        report.problems.append(
            f"name-anchor check: {len(report.name_anchor_disagreements)} ward(s) named after an assembly "
            "constituency lie mainly in another (review the AC layer; docs/electoral.md): "
            + "; ".join(report.name_anchor_disagreements)
        )


def describe(report: ConstituencyImportReport) -> list[str]:
    """Human-readable lines of a report (the CLI prints them)."""
    lines = [
        f"{where(report.boundaries_file, None)}: {report.features_read} features -> {report.acs} ACs, "
        f"{report.pcs} PCs (AC {report.ac_inserted} new, {report.ac_updated} updated, {report.ac_unchanged} "
        f"unchanged; PC {report.pc_inserted} new, {report.pc_updated} updated, "
        f"{report.pc_unchanged} unchanged)",
        *report.multi_part,
        f"wards: {report.wards_assigned} of {report.wards} assigned, {len(report.wards_split)} split between "
        f"constituencies, {report.slivers_dropped} sliver(s) dropped, "
        f"{len(report.overrides_applied)} by override",
    ]
    if report.wards_assigned:
        lines.append(
            f"name-anchor check: {len(report.name_anchor_disagreements)} ward(s) named after an AC lie "
            f"mainly in another, {len(report.name_anchor_reviewed)} more placed by a reviewed override"
        )
        lines.extend(f"  {r}" for r in report.name_anchor_reviewed)
    return lines + report.problems
