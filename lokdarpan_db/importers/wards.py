"""Load the 150 GHMC wards: numbers, names and zones from a CSV, boundaries from a GeoJSON file.

Policy (docs/wards-import.md): load what is sound, report every defect, write atomically.

- A file that cannot be read as what it claims to be (missing, not UTF-8, malformed CSV or JSON,
  wrong columns, not a FeatureCollection) raises WardImportError naming the file and, where
  possible, the line or feature; nothing is written.
- A ward is loaded when its number and name are sound and unambiguous. A field that is not sound
  (a zone outside the five GHMC zones, a missing or invalid boundary) is left empty and reported.
  Rows whose number or name collides with another row are all skipped and reported.
- Known errata of the published data, each narrow and cited (ERRATA), are corrected and reported
  on every import.
- The import runs in one transaction under a table lock, and is idempotent: wards are upserted by
  ward_id, unchanged wards are not touched, and wards missing from the files are kept and reported.
- Nothing is lost to a defective file: a feature repeated with the same name and geometry is used
  once (reported); a ward with two different features refuses the file, naming the ward and the
  features; an import that would clear a boundary or a zone a ward has (its feature missing,
  invalid or renamed; its zone invalid) is refused unless replace=True (RemovalRefusedError naming
  the wards; a dry run reports them). A zones CSV cut short (last line without a line end) or with
  a NUL byte is refused naming the line.
- Both files stream (docs/wards-import.md, "Memory"): memory does not grow with them.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ..errors import BadInputError
from ..paths import DATA
from .safety import RemovalRefusedError, amount, check_removals, cut_message, removal_text
from .streaming import (
    Collection,
    CopyBatches,
    JSONSyntaxError,
    TextEnd,
    iter_features,
    text_lines,
)

DATA_DIR = DATA
DEFAULT_BOUNDARIES = DATA_DIR / "ghmc-wards.geojson"
DEFAULT_ZONES = DATA_DIR / "ghmc-ward-zones.csv"

WARD_COUNT = 150
ZONES = ("East Zone", "South Zone", "Central Zone", "West Zone", "North Zone")
REQUIRED_COLUMNS = ("ward_no", "ward_name", "zone")

# (number in the source, name in the source) -> GHMC's number, with the reason. Applied to the
# CSV row and the GeoJSON feature that carry exactly that number and name, and only when the
# correct number is not already taken in the same file.
ERRATA: dict[tuple[int, str], tuple[int, str]] = {
    (37, "rein bazar"): (
        31,
        "GHMC numbers Rein Bazar 31; the datameet source repeats 37, which is Kurmaguda",
    ),
}

_FEATURE_NAME = re.compile(r"^\s*Ward\s+(\d+)\s+(\S.*?)\s*$")


class WardImportError(BadInputError, ValueError):
    """A ward file cannot be used at all; str() names the file and, where possible, the place."""


@dataclass
class WardImportReport:
    """What an import did. `problems` lists every defect met, each saying what was done about it."""

    zones_file: Path
    boundaries_file: Path
    rows_read: int = 0
    features_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    with_boundary: int = 0
    without_boundary: int = 0
    features_collapsed: int = 0
    boundaries_removed: list[int] = field(default_factory=list)
    zones_removed: list[int] = field(default_factory=list)
    replace: bool = False
    dry_run: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def removed(self) -> str:
        """What the import cleared (or, refused or in a dry run, would clear), in words; '' if nothing."""

        def part(what: str, wards: list[int]) -> str:
            return f"the {what} of {amount(len(wards), 'ward')} ({_ranges(wards)})" if wards else ""

        return removal_text([part("boundary", self.boundaries_removed), part("zone", self.zones_removed)])

    @property
    def loaded(self) -> int:
        """Wards present in the registry from these files (inserted + updated + unchanged)."""
        return self.inserted + self.updated + self.unchanged

    def as_dict(self) -> dict[str, object]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
                "with_boundary": self.with_boundary, "without_boundary": self.without_boundary,
                "features_collapsed": self.features_collapsed,
                "boundaries_removed": self.boundaries_removed, "zones_removed": self.zones_removed,
                "removed": self.removed, "replace": self.replace, "dry_run": self.dry_run,
                "problems": self.problems}


class WardRemovalRefusedError(WardImportError, RemovalRefusedError):
    """The import would clear boundaries or zones the registry has, and replace was not asked."""


@dataclass
class _Ward:
    ward_no: int
    name: str
    zone: str | None
    line: int
    boundary: int | None = None  # the number of its feature (in pg_temp.stg_ward_feature)
    boundary_source: str | None = None
    extra_rows: int = 0  # further rows of its number not kept (read_zones: ROWS_KEPT_PER_WARD)


@dataclass
class _Feature:
    index: int
    label: str
    ward_no: int
    name: str
    geometry: bytes  # the SHA-256 of the geometry (sorted keys): the geometry itself is staged
    osm: str


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


# Rows of one ward number kept to compare (a number given more often is a collision anyway: the
# further rows are counted, not kept, so a file of any size holds at most 150 x this many rows).
ROWS_KEPT_PER_WARD = 10
# Problems of single zones rows listed; further ones are counted in one line.
ZONES_LISTED = 1000


def _zone_lines(path: Path, end: TextEnd) -> Iterator[tuple[int, str]]:
    """The physical lines of the zones CSV, streamed (streaming.text_lines), with this file's errors."""
    what = "zones CSV"

    def nul(line: int, column: int) -> WardImportError:
        return WardImportError(
            f"{path}:{line}:{column}: a NUL byte: not a text {what} file (a binary or damaged copy?); "
            "nothing imported"
        )

    def undecodable(line: int, offset: int, reason: str) -> WardImportError:
        return WardImportError(f"{path}: not UTF-8 text (byte {offset}: {reason})")

    try:
        yield from text_lines(path, end, on_nul=nul, on_undecodable=undecodable)
    except FileNotFoundError:
        raise WardImportError(f"{path}: {what} file not found") from None
    except IsADirectoryError:
        raise WardImportError(f"{path}: is a directory, not a {what} file") from None
    except OSError as exc:
        raise WardImportError(f"{path}: cannot read {what} file ({exc.strerror})") from None


def read_zones(path: Path, problems: list[str]) -> tuple[list[_Ward], int]:
    """The sound wards of the zones CSV and the number of data rows; defects go to `problems`.

    The file streams twice (memory bounded whatever its size): a first pass checks it is whole text
    (no NUL byte, UTF-8, not cut short), the second reads its rows. At most ROWS_KEPT_PER_WARD rows
    of one ward number are kept (the rest are counted for the collision's report) and at most
    ZONES_LISTED row problems are listed (the rest counted).
    """
    end = TextEnd()
    for _ in _zone_lines(path, end):
        pass
    if end.cut is not None:
        raise WardImportError(f"{path}:{end.cut[0]}: {cut_message(end.cut[1])}")
    reader = csv.reader((text for _, text in _zone_lines(path, TextEnd())), strict=True)
    row_problems: list[str] = []
    unlisted = 0

    def problem(text: str) -> None:
        nonlocal unlisted
        if len(row_problems) < ZONES_LISTED:
            row_problems.append(text)
        else:
            unlisted += 1

    wards: list[_Ward] = []
    per_number: dict[int, _Ward] = {}  # the first row of each number (it carries the overflow count)
    kept: dict[int, int] = defaultdict(int)
    data_rows = 0
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise WardImportError(f"{path}: empty file, expected a header {','.join(REQUIRED_COLUMNS)}")
        columns = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise WardImportError(
                f"{path}:1: missing column(s) {', '.join(missing)}; found {', '.join(columns)} "
                f"(expected {','.join(REQUIRED_COLUMNS)})"
            )
        at = {c: columns.index(c) for c in REQUIRED_COLUMNS}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            data_rows += 1
            where = f"{path.name} line {line}"
            if len(row) != len(columns):
                problem(f"{where}: {len(row)} fields where the header has {len(columns)}; row skipped")
                continue
            raw_no, name, zone = (row[at[c]].strip() for c in REQUIRED_COLUMNS)
            name = " ".join(name.split())
            try:
                ward_no = int(raw_no)
            except ValueError:
                shown = raw_no if len(raw_no) <= 40 else raw_no[:37] + "..."
                problem(f"{where}: ward_no {shown!r} is not a number; row skipped")
                continue
            if not 1 <= ward_no <= WARD_COUNT:
                problem(f"{where}: ward_no {ward_no} is outside 1-{WARD_COUNT}; row skipped")
                continue
            if not name:
                problem(f"{where}: ward {ward_no} has no name; row skipped")
                continue
            if kept[ward_no] >= ROWS_KEPT_PER_WARD:
                per_number[ward_no].extra_rows += 1
                continue
            if zone not in ZONES:
                problem(
                    f"{where}: ward {ward_no} {name}: zone {zone!r} is not one of {', '.join(ZONES)}; "
                    "loaded without a zone"
                )
                zone = None
            ward = _Ward(ward_no, name, zone or None, line)
            per_number.setdefault(ward_no, ward)
            kept[ward_no] += 1
            wards.append(ward)
    except csv.Error as exc:
        raise WardImportError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None
    problems.extend(row_problems)
    if unlisted:
        problems.append(f"{path.name}: {unlisted:,} more row problems like these (not listed)")
    return wards, data_rows


def read_features(
    path: Path, problems: list[str], stage: Callable[[int, str], None]
) -> tuple[list[_Feature], str]:
    """The ward features of a GeoJSON FeatureCollection and its attribution; defects go to `problems`.

    The file streams through an incremental JSON parser (ijson), one feature at a time: each
    feature's geometry goes to stage(feature number, geometry as JSON text) and is not kept (its
    SHA-256 is, to tell a repeated feature); memory holds per feature its number, name and label,
    never the file or its geometries.
    """
    import hashlib

    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise WardImportError(f"{path}: GeoJSON file not found") from None
    except IsADirectoryError:
        raise WardImportError(f"{path}: is a directory, not a GeoJSON file") from None
    except OSError as exc:
        raise WardImportError(f"{path}: cannot read GeoJSON file ({exc.strerror})") from None
    features: list[_Feature] = []
    head = Collection()
    with raw:
        try:
            for index, value in iter_features(raw, head):
                feature = _feature(path, index, value, problems, stage, hashlib)
                if feature is not None:
                    features.append(feature)
        except JSONSyntaxError as exc:
            raise WardImportError(
                f"{path}:{exc.line}:{exc.column}: not valid JSON ({exc.reason}; the fault is at or before "
                "this place)"
            ) from None
        except UnicodeDecodeError as exc:
            raise WardImportError(f"{path}: not UTF-8 text ({exc.reason})") from None
    root, kind = head.root, head.kind
    copyright_ = head.members.get("copyright")
    attribution = str(copyright_).strip() if isinstance(copyright_, (str, int, float)) else ""
    if root != "dict" or kind != "FeatureCollection":
        found = kind if root == "dict" else root
        raise WardImportError(f"{path}: expected a GeoJSON FeatureCollection, found {found!r}")
    if not head.has_array:
        raise WardImportError(f'{path}: the FeatureCollection has no "features" array')
    return features, attribution


def _feature(
    path: Path,
    index: int,
    feature: Any,
    problems: list[str],
    stage: Callable[[int, str], None],
    hashlib: Any,
) -> _Feature | None:
    props = feature.get("properties") if isinstance(feature, dict) else None
    label = f"{path.name} feature #{index}"
    if not isinstance(props, dict):
        problems.append(f"{label}: not a GeoJSON Feature with properties; skipped")
        return None
    raw_name = props.get("name")
    label = f"{label} {raw_name!r}"
    match = _FEATURE_NAME.match(raw_name) if isinstance(raw_name, str) else None
    if match is None:
        problems.append(f'{label}: name is not "Ward <number> <name>"; skipped')
        return None
    osm = str(props.get("@id") or "").strip()
    geometry = feature.get("geometry")
    digest = hashlib.sha256(json.dumps(geometry, sort_keys=True).encode()).digest()
    stage(index, json.dumps(geometry))
    return _Feature(index, label, int(match[1]), " ".join(match[2].split()), digest, osm)


def _collapse_repeats(features: list[_Feature], problems: list[str]) -> tuple[list[_Feature], int]:
    """A feature repeated with the same name and geometry is one feature; (the rest, how many dropped)."""
    first: dict[tuple[int, str, bytes], _Feature] = {}
    kept: list[_Feature] = []
    for f in features:
        key = (f.ward_no, _norm(f.name), f.geometry)
        if key in first:
            problems.append(
                f"{f.label}: repeats feature #{first[key].index} (same name and geometry); used once"
            )
            continue
        first[key] = f
        kept.append(f)
    return kept, len(features) - len(kept)


def _apply_errata(items: list[Any], where: str, problems: list[str]) -> None:
    """Renumber items (wards or features) that carry a known erratum, when the fix is unambiguous."""
    taken = {item.ward_no for item in items}
    for item in items:
        fix = ERRATA.get((item.ward_no, _norm(item.name)))
        if fix is None:
            continue
        number, reason = fix
        label = item.label if isinstance(item, _Feature) else f"{where} line {item.line}"
        if number in taken:
            problems.append(
                f"{label}: ward {item.ward_no} {item.name} would be renumbered {number} ({reason}), "
                f"but ward {number} is already in the file; left as it is"
            )
            continue
        problems.append(f"{label}: ward {item.ward_no} {item.name} renumbered {number}: {reason}")
        taken.add(number)
        item.ward_no = number


def _drop_collisions(wards: list[_Ward], where: str, problems: list[str]) -> list[_Ward]:
    by_no: dict[int, list[_Ward]] = defaultdict(list)
    by_name: dict[str, list[_Ward]] = defaultdict(list)
    for w in wards:
        by_no[w.ward_no].append(w)
        by_name[_norm(w.name)].append(w)
    bad: set[int] = set()
    for number, group in sorted(by_no.items()):
        extra = sum(w.extra_rows for w in group)
        if len(group) + extra > 1:
            listing = ", ".join(f"{w.name} (line {w.line})" for w in group)
            listing += f" and {extra:,} more rows" if extra else ""
            problems.append(
                f"{where}: ward {number} appears {len(group) + extra:,} times ({listing}); none loaded"
            )
            bad.update(id(w) for w in group)
    for group in by_name.values():
        if len(group) > 1:
            listing = ", ".join(f"ward {w.ward_no} (line {w.line})" for w in group)
            problems.append(f"{where}: name {group[0].name} is used by {listing}; none loaded")
            bad.update(id(w) for w in group)
    return [w for w in wards if id(w) not in bad]


def _attach_boundaries(
    conn: psycopg.Connection,
    wards: list[_Ward],
    features: list[_Feature],
    boundaries: Path,
    attribution: str,
    problems: list[str],
) -> set[int]:
    """Give each ward the boundary of its one matching, valid feature; returns wards whose boundary
    defect has been reported."""
    by_no = {w.ward_no: w for w in wards}
    reported: set[int] = set()
    by_name = {_norm(w.name): w for w in wards}
    claimed: dict[int, list[_Feature]] = defaultdict(list)
    for f in features:
        ward = by_no.get(f.ward_no)
        if ward is None:
            other = by_name.get(_norm(f.name))
            hint = f" (the zones file has {f.name} as ward {other.ward_no})" if other else ""
            problems.append(f"{f.label}: no ward {f.ward_no} in the zones file{hint}; boundary not used")
        elif _norm(ward.name) != _norm(f.name):
            problems.append(
                f"{f.label}: ward {f.ward_no} is {ward.name} in the zones file, not {f.name}; "
                "boundary not used"
            )
        else:
            claimed[f.ward_no].append(f)
    conflicting = [(number, group) for number, group in sorted(claimed.items()) if len(group) > 1]
    if conflicting:
        listing = "; ".join(
            f"ward {number} in features {', '.join(f'#{f.index}' for f in group)}"
            for number, group in conflicting[:5]
        ) + (f"; and {len(conflicting) - 5} more" if len(conflicting) > 5 else "")
        raise WardImportError(
            f"{boundaries}: {len(conflicting)} ward(s) drawn by more than one feature with different "
            f"geometries ({listing}): which boundary is right cannot be told; nothing imported. "
            "Keep one feature per ward"
        )
    with conn.cursor() as cur:
        for number, group in sorted(claimed.items()):
            f = group[0]
            cur.execute(
                "select public.ward_boundary_problem(s.geometry) from pg_temp.stg_ward_feature as s "
                "where s.feature = %s",
                (f.index,),
            )
            row = cur.fetchone()
            defect = row[0] if row else None
            if defect is not None:
                problems.append(f"{f.label}: {defect}; ward {number} loaded without a boundary")
                reported.add(number)
                continue
            ward = by_no[number]
            ward.boundary = f.index
            origin = f"OpenStreetMap {f.osm}" if f.osm else f"feature #{f.index}"
            ward.boundary_source = f"{origin} via {boundaries.name}" + (
                f"; {attribution}" if attribution else ""
            )
    return reported


_UPSERT = """
insert into public.ward as w (ward_id, ward_no, name, zone, boundary, source, boundary_source)
values (%(ward_id)s, %(ward_no)s, %(name)s, %(zone)s,
    (select s.geometry from pg_temp.stg_ward_feature as s where s.feature = %(boundary)s),
    %(source)s, %(boundary_source)s)
on conflict (ward_id) do update set
    name = excluded.name,
    zone = excluded.zone,
    boundary = excluded.boundary,
    source = excluded.source,
    boundary_source = excluded.boundary_source
where (w.name, w.zone, w.boundary, w.source, w.boundary_source)
    is distinct from
    (excluded.name, excluded.zone, excluded.boundary, excluded.source, excluded.boundary_source)
returning (xmax = 0) as inserted
"""


def import_wards(
    conn: psycopg.Connection,
    boundaries: Path = DEFAULT_BOUNDARIES,
    zones: Path = DEFAULT_ZONES,
    *,
    replace: bool = False,
    dry_run: bool = False,
) -> WardImportReport:
    """Load the wards of `zones` with the boundaries of `boundaries` into table ward, in one transaction.

    Raises WardImportError when a file cannot be used (nothing is written), and
    WardRemovalRefusedError when the files would clear a boundary or a zone a ward has, unless
    replace=True. Defects of single rows or features are reported in the returned report's
    `problems`, and the sound rest is loaded. The writes commit before this returns, unless the
    caller already has a transaction open on `conn` (then they are a savepoint in it, and the
    caller commits); dry_run rolls them back (and reports what would be cleared instead of refusing).
    """
    boundaries, zones = Path(boundaries), Path(zones)
    report = WardImportReport(zones_file=zones, boundaries_file=boundaries, replace=replace, dry_run=dry_run)
    problems = report.problems
    wards, report.rows_read = read_zones(zones, problems)

    with conn.transaction() as tx:
        with conn.cursor() as cur:
            # One importer at a time; readers go on reading.
            cur.execute("lock table public.ward in share row exclusive mode")
            cur.execute("drop table if exists pg_temp.stg_ward_feature")
            cur.execute(
                "create temporary table stg_ward_feature (feature integer, geometry jsonb) on commit drop"
            )
        # Each feature's geometry goes to staging as the GeoJSON is read, in COPYs of at most
        # STAGE_BYTES of geometry (memory bounded; no statement lasts as long as the reading).
        with CopyBatches(conn, "pg_temp.stg_ward_feature", ("feature", "geometry")) as staging:
            features, attribution = read_features(
                boundaries, problems, lambda index, geometry: staging.add((index, geometry), len(geometry))
            )
        report.features_read = len(features)
        features, report.features_collapsed = _collapse_repeats(features, problems)
        _apply_errata(wards, zones.name, problems)
        _apply_errata(features, boundaries.name, problems)
        wards = _drop_collisions(wards, zones.name, problems)
        present = {w.ward_no for w in wards}
        missing = [n for n in range(1, WARD_COUNT + 1) if n not in present]
        if missing:
            problems.append(f"{zones.name}: no usable row for ward(s) {_ranges(missing)}")
        reported = _attach_boundaries(conn, wards, features, boundaries, attribution, problems)
        for w in sorted(wards, key=lambda w: w.ward_no):
            if w.boundary is None and w.ward_no not in reported:
                problems.append(
                    f"{boundaries.name}: no feature for ward {w.ward_no} {w.name}; loaded without a boundary"
                )
        _check_removals(conn, wards, boundaries, zones, report)
        with conn.cursor() as cur:
            for w in sorted(wards, key=lambda w: w.ward_no):
                try:
                    cur.execute(
                        _UPSERT,
                        {
                            "ward_id": f"GHMC-{w.ward_no:03d}",
                            "ward_no": w.ward_no,
                            "name": w.name,
                            "zone": w.zone,
                            "boundary": w.boundary,
                            "source": f"{zones.name} line {w.line}",
                            "boundary_source": w.boundary_source,
                        },
                    )
                except psycopg.errors.UniqueViolation as exc:
                    detail = exc.diag.message_detail or exc.diag.message_primary or str(exc)
                    raise WardImportError(
                        f"{zones.name} line {w.line}: ward {w.ward_no} {w.name} conflicts with a ward "
                        f"already in the database ({detail}); nothing imported"
                    ) from None
                row = cur.fetchone()
                if row is None:
                    report.unchanged += 1
                elif row[0]:
                    report.inserted += 1
                else:
                    report.updated += 1
                if w.boundary is None:
                    report.without_boundary += 1
                else:
                    report.with_boundary += 1
            cur.execute(
                "select ward_no, name from public.ward where ward_no <> all(%s) order by ward_no",
                (sorted(present),),
            )
            for number, name in cur.fetchall():
                problems.append(f"ward {number} {name} is in the database but not in {zones.name}; kept")
        if dry_run:
            raise psycopg.Rollback(tx)
    return report


def _check_removals(
    conn: psycopg.Connection, wards: list[_Ward], boundaries: Path, zones: Path, report: WardImportReport
) -> None:
    """Wards whose boundary or zone the import would clear; refused unless replace (a dry run reports)."""
    have = {
        number: (has_boundary, has_zone)
        for number, has_boundary, has_zone in conn.execute(
            "select ward_no, boundary is not null, zone is not null from public.ward"
        ).fetchall()
    }
    for w in sorted(wards, key=lambda w: w.ward_no):
        has_boundary, has_zone = have.get(w.ward_no, (False, False))
        if has_boundary and w.boundary is None:
            report.boundaries_removed.append(w.ward_no)
        if has_zone and w.zone is None:
            report.zones_removed.append(w.ward_no)
    try:
        check_removals(
            f"{boundaries.name} and {zones.name}",
            report.removed,
            "that earlier imports loaded and these files no longer give (--dry-run lists why, ward by ward)",
            replace=report.replace,
            dry_run=report.dry_run,
            problems=report.problems,
        )
    except RemovalRefusedError as exc:
        raise WardRemovalRefusedError(str(exc)) from None


def _ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)
