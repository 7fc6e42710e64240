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

Both files stream into staging tables as they are read (read_boundaries, stage_overrides): memory
does not grow with them (docs/electoral.md, "Memory").

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
    counts,
    db_error_line,
    load_transaction,
    refuse_lines,
    split_reservation,
    temp_table,
    title_case,
    where,
)

DEFAULT_BOUNDARIES = DATA_DIR / "telangana-assembly-constituencies.geojson"
DEFAULT_OVERRIDES = DATA_DIR / "ward-constituency-overrides.csv"
BOUNDARY_ATTRIBUTION = "datta07/INDIAN-SHAPEFILES, MIT licence, Copyright (c) 2022"
FRACTION_TOLERANCE = Decimal("0.0005")  # as compute_ward_constituency() checks it


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


# The columns of the staging table of features (pg_temp.stg_ac_feature), in a staged row's order.
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
    """Read the reviewed overrides CSV (`#` lines are comments) into pg_temp.stg_override, checked;
    the number of rows. Refuses the file on any bad row (ElectoralFileError naming every line).

    The file streams (memory bounded whatever its size): scan_text checks it (text, not cut short),
    then its rows go to staging in COPY batches as they are read; a pair given twice and the sum of
    each ward's fractions are asked of the staging table. At most MAX_LISTED errors are listed.
    """
    scan = scan_text(path)
    if scan.cut is not None:
        raise refuse(path, scan.cut[0], cut_message(scan.cut[1]))
    temp_table(
        conn, "stg_override", "line integer, ward text, ac_no integer, ward_fraction numeric, reason text"
    )
    errors: list[tuple[int | None, str]] = []
    omitted = 0
    header: list[str] | None = None
    ward_col = ""
    at: dict[str, int] = {}
    rows = 0
    columns = ("line", "ward", "ac_no", "ward_fraction", "reason")
    with open_text(path) as fh, CopyBatches(conn, "pg_temp.stg_override", columns) as out:
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
    # A (ward, AC) given again, and the sum of each ward's fractions (the first row of each AC).
    found = conn.execute(
        """
        select line, ward, ac_no, first, count(*) over () from (
            select line, ward, ac_no, min(line) over (partition by upper(ward), ac_no) as first
            from pg_temp.stg_override) as o
        where line <> first order by line limit %s
        """,
        (MAX_LISTED,),
    ).fetchall()
    errors.extend(
        (line, f"ward {ward} and AC {ac_no} again (first on line {first})")
        for line, ward, ac_no, first, _ in found
    )
    omitted += max(0, found[0][-1] - MAX_LISTED) if found else 0  # the window counts all; MAX_LISTED listed
    found = conn.execute(
        """
        select min(line), upper(ward), string_agg(line::text, ', ' order by line), sum(ward_fraction),
            count(*) over ()
        from (select distinct on (upper(ward), ac_no) * from pg_temp.stg_override
              order by upper(ward), ac_no, line) as o
        group by upper(ward)
        having abs(sum(ward_fraction) - 1) > %s
        order by 1 limit %s
        """,
        (FRACTION_TOLERANCE, MAX_LISTED),
    ).fetchall()
    errors.extend(
        (first, f"the fractions of ward {ward} (lines {lines}) add up to {total}, not 1")
        for first, ward, lines, total, _ in found
    )
    omitted += max(0, found[0][-1] - MAX_LISTED) if found else 0
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
        temp_table(
            conn,
            "stg_ac_feature",
            "feature integer, ac_no integer, name text, reserved_for text, district text, pc_no integer, "
            "pc_name text, pc_reserved text, geometry jsonb",
        )
        with CopyBatches(conn, "pg_temp.stg_ac_feature", FEATURE_COLUMNS) as staging:
            report.features_read = read_boundaries(
                boundaries, report.problems, lambda row: staging.add(row, len(row[-1])), progress
            )
        if overrides_path is not None:
            report.overrides_read = stage_overrides(conn, overrides_path)
        wards = conn.execute("select count(*) from public.ward").fetchone()
        report.wards = wards[0] if wards else 0
        if report.wards == 0 and require_wards:
            raise ElectoralLoadError(
                "the ward registry is empty: load the wards first (`lokdarpan-db import wards`), "
                "then import constituencies; nothing imported"
            )
        # One loader at a time; readers go on reading.
        conn.execute("lock table public.constituency in share row exclusive mode")
        _load_constituencies(conn, boundaries, state_code, report)
        if report.wards:
            if overrides_path is not None:
                _load_overrides(conn, overrides_path, state_code, report)
            _compute(conn, sliver, report)
        elif report.overrides_read:
            report.problems.append(f"{overrides_path}: the ward registry is empty; overrides not loaded")
    return report


def _load_constituencies(
    conn: psycopg.Connection,
    path: Path,
    state_code: str,
    report: ConstituencyImportReport,
) -> None:
    """Constituencies from the staged features (pg_temp.stg_ac_feature)."""
    source = f"{path.name} ({BOUNDARY_ATTRIBUTION})"
    # One geometry per AC: the feature's own, or the union of its pieces.
    conn.execute("drop table if exists pg_temp.stg_ac")
    conn.execute(
        """
        create temporary table stg_ac on commit drop as
        select
            s.ac_no, min(s.name) as name, min(s.reserved_for) as reserved_for, min(s.district) as district,
            min(s.pc_no) as pc_no, count(*) as pieces, array_agg(s.feature order by s.feature) as features,
            case when count(*) = 1 then (array_agg(public.geojson_geometry(s.geometry)))[1]
                else public.st_multi(public.st_collectionextract(public.st_makevalid(
                    public.st_union(public.geojson_geometry(s.geometry))), 3))
            end::public.geometry(multipolygon, 4326) as boundary
        from pg_temp.stg_ac_feature as s
        group by s.ac_no
        """
    )
    for ac_no, name, reserved, pieces, feats in conn.execute(
        "select ac_no, name, reserved_for, pieces, features from pg_temp.stg_ac "
        "where pieces > 1 order by ac_no"
    ).fetchall():
        suffix = f" ({reserved})" if reserved else ""
        report.multi_part.append(
            f"AC {ac_no} {name}{suffix}: {pieces} features ({', '.join(f'#{f}' for f in feats)}) "
            "loaded as one MultiPolygon"
        )
    try:
        pc_rows = conn.execute(
            """
            insert into public.constituency as c
                (state_code, kind, number, name, reserved_for, boundary, source)
            select %(state)s, 'PC', p.pc_no, p.pc_name, p.pc_reserved,
                (select public.st_multi(public.st_collectionextract(
                    public.st_makevalid(public.st_union(a.boundary)), 3))
                 from pg_temp.stg_ac as a where a.pc_no = p.pc_no)::public.geometry(multipolygon, 4326),
                %(source)s || '; boundary: the union of its assembly segments'
            from (select distinct pc_no, pc_name, pc_reserved from pg_temp.stg_ac_feature) as p
            order by p.pc_no
            on conflict (state_code, kind, number) do update set
                name = excluded.name, reserved_for = excluded.reserved_for,
                boundary = excluded.boundary, source = excluded.source
            where (c.name, c.reserved_for, c.source) is distinct from
                (excluded.name, excluded.reserved_for, excluded.source)
                or not public.st_orderingequals(c.boundary, excluded.boundary)
                or (c.boundary is null)
            returning (xmax = 0)
            """,
            {"state": state_code, "source": source},
        ).fetchall()
        n_pc = conn.execute("select count(distinct pc_no) from pg_temp.stg_ac_feature").fetchone()
        report.pcs = n_pc[0] if n_pc else 0
        report.pc_inserted, report.pc_updated, report.pc_unchanged = counts(pc_rows, report.pcs)
        ac_rows = conn.execute(
            """
            insert into public.constituency as c
                (state_code, kind, number, name, reserved_for, district, pc_id, boundary, source)
            select %(state)s, 'AC', a.ac_no, a.name, a.reserved_for, a.district, pc.constituency_id,
                a.boundary,
                %(source)s || case when a.pieces > 1
                    then '; features ' || array_to_string(a.features, ', ') || ' joined' else '' end
            from pg_temp.stg_ac as a
            inner join public.constituency as pc
                on pc.state_code = %(state)s and pc.kind = 'PC' and pc.number = a.pc_no
            order by a.ac_no
            on conflict (state_code, kind, number) do update set
                name = excluded.name, reserved_for = excluded.reserved_for, district = excluded.district,
                pc_id = excluded.pc_id, boundary = excluded.boundary, source = excluded.source
            where (c.name, c.reserved_for, c.district, c.pc_id, c.source) is distinct from
                (excluded.name, excluded.reserved_for, excluded.district, excluded.pc_id, excluded.source)
                or c.boundary is null
                or not public.st_orderingequals(c.boundary, excluded.boundary)
            returning (xmax = 0)
            """,
            {"state": state_code, "source": source},
        ).fetchall()
    except psycopg.errors.IntegrityError as exc:
        raise ElectoralLoadError(f"{path}: {db_error_line(exc)}; nothing imported") from None
    n_ac = conn.execute("select count(*) from pg_temp.stg_ac").fetchone()
    report.acs = n_ac[0] if n_ac else 0
    report.ac_inserted, report.ac_updated, report.ac_unchanged = counts(ac_rows, report.acs)


def _load_overrides(
    conn: psycopg.Connection,
    path: Path,
    state_code: str,
    report: ConstituencyImportReport,
) -> None:
    """The staged overrides (stage_overrides) resolved, checked and made the registry's set."""
    conn.execute("drop table if exists pg_temp.stg_override_resolved")
    conn.execute(
        """
        create temporary table stg_override_resolved on commit drop as
        select o.*, public.ward_resolve(o.ward) as ward_id, c.constituency_id
        from pg_temp.stg_override as o
        left join public.constituency as c on c.state_code = %s and c.kind = 'AC' and c.number = o.ac_no
        """,
        (state_code,),
    )
    bad = conn.execute(
        """
        select line, case when ward_id is null then format('no ward %%s in the registry', ward)
            else format('no assembly constituency %%s in state %%s', ac_no, %s::text) end
        from pg_temp.stg_override_resolved
        where ward_id is null or constituency_id is null
        order by line
        """,
        (state_code,),
    ).fetchall()
    if bad:
        raise refuse_lines(path, [(line, msg) for line, msg in bad])
    doubled = conn.execute(
        """
        select min(line), ward_id, count(*) from pg_temp.stg_override_resolved
        group by ward_id, constituency_id having count(*) > 1 order by 1 limit 1
        """
    ).fetchone()
    if doubled:
        raise refuse_lines(path, [(doubled[0], f"ward {doubled[1]} and its AC appear {doubled[2]} times")])
    gone = conn.execute(
        """
        select count(*), array_agg(distinct v.ward_id order by v.ward_id)
        from public.ward_constituency_override as v
        where not exists (select from pg_temp.stg_override_resolved as o
                          where o.ward_id = v.ward_id and o.constituency_id = v.constituency_id)
        """
    ).fetchone()
    assert gone is not None
    report.overrides_removed = int(gone[0])
    wards = gone[1] or []
    shown = ", ".join(wards[:10]) + (f" and {len(wards) - 10} more" if len(wards) > 10 else "")
    check_removals(
        path.name,
        f"{amount(report.overrides_removed, 'override')} (ward {shown})" if report.overrides_removed else "",
        "that earlier imports loaded and this file no longer has",
        replace=report.replace,
        dry_run=report.dry_run,
        problems=report.problems,
    )
    conn.execute(
        """
        delete from public.ward_constituency_override as v
        where not exists (select from pg_temp.stg_override_resolved as o
                          where o.ward_id = v.ward_id and o.constituency_id = v.constituency_id)
        """
    )
    rows_back = conn.execute(
        """
        insert into public.ward_constituency_override as v
            (ward_id, constituency_id, ward_fraction, reason, source)
        select o.ward_id, o.constituency_id, o.ward_fraction, o.reason, %s || ' line ' || o.line
        from pg_temp.stg_override_resolved as o
        on conflict (ward_id, constituency_id) do update set
            ward_fraction = excluded.ward_fraction, reason = excluded.reason, source = excluded.source
        where (v.ward_fraction, v.reason, v.source) is distinct from
            (excluded.ward_fraction, excluded.reason, excluded.source)
        returning (xmax = 0)
        """,
        (path.name,),
    ).fetchall()
    report.overrides_inserted, report.overrides_updated, report.overrides_unchanged = counts(
        rows_back, report.overrides_read
    )


def _compute(conn: psycopg.Connection, sliver: float | None, report: ConstituencyImportReport) -> None:
    # The threshold is shared by everybody who recomputes: giving one changes the setting, which
    # only admins may (an analyst gets permission denied, issue 18).
    if sliver is not None:
        try:
            conn.execute("update public.electoral_setting set sliver_threshold = %s", (sliver,))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ElectoralLoadError(f"--sliver changes the shared threshold: {db_error_line(exc)}") from None
    row = conn.execute("select sliver_threshold from public.electoral_setting").fetchone()
    report.sliver = float(row[0]) if row else None
    conn.execute("drop table if exists pg_temp.wc_before")
    conn.execute(
        "create temporary table wc_before on commit drop as "
        "select ward_id, constituency_id, ward_fraction, method from public.ward_constituency"
    )
    try:
        result = conn.execute(
            """
            select r.ward_id, r.constituencies, r.dropped_slivers, r.method
            from public.compute_ward_constituency() as r
            order by r.ward_id
            """
        ).fetchall()
    except psycopg.errors.CheckViolation as exc:
        raise ElectoralLoadError(f"compute_ward_constituency: {db_error_line(exc)}") from None
    report.wards_assigned = len(result)
    # The constituencies of each ward, largest share first (a statement after the computation:
    # the one that calls it sees the table as it was before).
    acs_of = dict(
        conn.execute(
            """
            select wc.ward_id, array_agg(c.number order by wc.ward_fraction desc, c.number)
            from public.ward_constituency as wc
            inner join public.constituency as c on c.constituency_id = wc.constituency_id
            group by wc.ward_id
            """
        ).fetchall()
    )
    for ward_id, n, dropped, method in result:
        if n > 1:
            report.wards_split[ward_id] = list(acs_of.get(ward_id, []))
        if dropped:
            report.slivers_dropped += dropped
            report.wards_with_slivers[ward_id] = dropped
        if method == "override":
            report.overrides_applied.append(ward_id)
    report.wards_without_constituency = [
        f"{ward_id} {name}" + ("" if has_boundary else " (no boundary)")
        for ward_id, name, has_boundary in conn.execute(
            """
            select w.ward_id, w.name, w.boundary is not null from public.ward as w
            where not exists (select from public.ward_constituency as wc where wc.ward_id = w.ward_id)
            order by w.ward_id
            """
        ).fetchall()
    ]
    changed = conn.execute(
        """
        select count(distinct coalesce(a.ward_id, b.ward_id))
        from public.ward_constituency as a
        full join pg_temp.wc_before as b on a.ward_id = b.ward_id and a.constituency_id = b.constituency_id
        where a.ward_id is null or b.ward_id is null
            or (a.ward_fraction, a.method) is distinct from (b.ward_fraction, b.method)
        """
    ).fetchone()
    report.assignments_changed = changed[0] if changed else 0
    _name_anchor_check(conn, report)
    if report.wards_without_constituency:
        report.problems.append(
            f"{len(report.wards_without_constituency)} ward(s) lie in no constituency: "
            + ", ".join(report.wards_without_constituency)
        )


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
