"""Importer memory (issue 19, finding 12): the peak RSS of each importer on a large file.

The importers stream: a results CSV and a Form 20 file are read record by record and COPYed into
staging as they are read; a GeoJSON is read feature by feature (ijson) and each geometry goes to
staging at once. The checks that need the whole file run in SQL over staging or keep bounded
state. So the peak memory must not grow with the file: the target is <= 200 MB whatever the size.

On a scratch database (the plan, the 150 wards, Telangana's constituencies) each importer runs in
a child process (`python -c`, the library call the CLI makes, dry run) on a generated SYNTHETIC
file of about `size_mb` MB, and the child's peak resident set (its VmHWM) is reported
beside the figure measured before streaming (the anchor) and the target:

- results: a results CSV of Telangana's 119 assembly constituencies, each with as many SYNTHETIC
  candidates as the size needs (anchor 4.3 GiB for 200 MB);
- Form 20: one assembly segment, 20,000 stations x 19 candidates + NOTA, each station row typed
  again and again to the size (a row typed twice is one station: the file loads 20,000 stations;
  distinct serials alone cannot make 200 MB, a Form 20 has at most 270,000 of them), anchor 5.8 GiB;
- wards: the real GeoJSON with every ring densified (points added along its edges, the shapes
  unchanged) to the size, anchor 1.5 GiB;
- constituencies: the real assembly-constituency GeoJSON densified the same way, with the shipped
  overrides (anchor about 1.2 GiB, measured with the code before on 33 MB and scaled);
- demographics: the 150 wards' rows again and again to the size (SYNTHETIC values): every row is
  read and staged, then the file is refused (each ward given many times), anchor about 2.4 GiB;
- wards' zones CSV: its real 150 rows typed again to the size (every ward a collision, none
  loaded), anchor about 4.9 GiB;
- embeddings already streamed (53 MiB, vectors bench): the line for comparison.
"""

from __future__ import annotations

import csv
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from ...connect import OPERATOR_OPTIONS
from ...importers.electoral.load_constituencies import DEFAULT_BOUNDARIES as AC_BOUNDARIES
from ...importers.electoral.load_constituencies import DEFAULT_OVERRIDES, import_constituencies
from ...importers.wards import DEFAULT_BOUNDARIES, DEFAULT_ZONES, import_wards
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ..scratch import create_database, drop_database
from . import electoral_data
from .deploy import ROOT
from .report import Measurement

SECTION = "importers"
TARGET_MB = 200
MIB = 1024 * 1024
# Peak memory per importer on a 200 MB file before streaming (issue 19), MiB.
ANCHORS_MIB = {"results": 4.3 * 1024, "form20": 5.8 * 1024, "wards": 1.5 * 1024, "embeddings": 53}
# The importers made to stream later: their peak before, in MiB for 200 MB, from the code before run
# in the same child on the same generated files of 30-33 MB (206 MiB, 368 MiB, 756 MiB; reading
# the whole file grows linearly with it).
ANCHORS_LATER = {"constituencies": 1246.0, "demographics": 2452.0, "zones": 5040.0}
ANCHORS_MIB.update(ANCHORS_LATER)
FORM20_STATIONS = 20_000
FORM20_CANDIDATES = 19  # and NOTA

# --- the files ---------------------------------------------------------------------------------


def write_results(path: Path, size: int, names: dict[int, str]) -> int:
    """A results CSV of about `size` bytes over the constituencies `names` (number -> name); rows."""
    parties = ("Indian National Congress", "Bharatiya Janata Party", "Bharat Rashtra Samithi", "Independent")
    numbers = sorted(names)
    per = max(2, size // (75 * len(numbers)))
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["st_code", "st_name", "ac_no", "ac_name", "candidate", "party", "evm_votes",
                    "postal_votes", "total_votes", "percent_votes"])
        for number in numbers:
            for i in range(per):
                evm, postal = 1000 + (i * 7919 + number) % 90_000, i % 50
                w.writerow(["S29", "Telangana", number, names[number], f"SYNTHETIC Candidate {i:07d}",
                            parties[i % len(parties)], evm, postal, evm + postal, ""])
                rows += 1
    return rows


def write_form20(root: Path, size: int, stations: int = FORM20_STATIONS) -> tuple[Path, Path, Path]:
    """(Form 20 file, candidates.csv, parties.csv): `stations` stations, rows repeated to ~size bytes."""
    import random

    rnd = random.Random(19)
    names = electoral_data._names(rnd, FORM20_CANDIDATES, set())
    n_parties = min(len(electoral_data.PARTY_CODES), FORM20_CANDIDATES // 2)
    candidates = root / "candidates-SYNTHETIC.csv"
    electoral_data._write_candidates(candidates, [(1, names)], n_parties)
    parties = root / "political-parties-SYNTHETIC.csv"
    with parties.open("w", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(["Party_Code", "Party_name", "Res_Symbol", "Status", "State_1", "State_2", "State_3",
                    "State_4"])
        for code, name in zip(electoral_data.PARTY_CODES, electoral_data.PARTY_NAMES, strict=True):
            w.writerow([code, name, "NA", "SYNTHETIC", electoral_data.STATE, "", "", ""])
        w.writerow([*electoral_data.INDEPENDENT, "NA", "added later", "", "", "", ""])
        w.writerow([*electoral_data.NOTA, "NA", "added later", "", "", "", ""])
    rows = []
    for k in range(stations):  # serials 1-9999, then 1A-9999A, 1B … (a serial has at most 4 digits)
        serial = f"{k % 9999 + 1}{chr(64 + k // 9999) if k >= 9999 else ''}"
        votes = [rnd.randint(0, 400) for _ in names]
        valid, rejected, nota = sum(votes), rnd.randint(0, 6), rnd.randint(0, 9)
        text = ",".join(str(v) for v in [serial, *votes, valid, rejected, nota, valid + rejected + nota, 0])
        rows.append(text + "\n")
    body = sum(len(r) for r in rows)
    repeat = max(1, size // body)
    form = root / "AC001.csv"
    with form.open("w", newline="", encoding="utf-8") as fh:
        blanks = [""] * (len(names) - 1)
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Serial No. of Polling Station", "No. of Valid votes cast in favour of", *blanks,
                    "Total of valid votes", "No.of rejected votes", "NOTA", "Total", "No of tendered votes"])
        w.writerow(["", *names, "", "", "", "", ""])
        for r in rows:
            fh.write(r * repeat)
    return form, candidates, parties


def write_wards(path: Path, size: int, source: Path = DEFAULT_BOUNDARIES) -> None:
    """The real ward GeoJSON (or `source`) with each ring's edges split into more points, to about
    `size` bytes."""
    factor = max(1, round(size / source.stat().st_size))
    _write_dense(path, factor, source)
    written = path.stat().st_size
    if written < size * 0.9:  # the points added are longer to write than the real ones: scale up
        _write_dense(path, max(1, round(factor * size / written)), source)


def write_constituencies(path: Path, size: int) -> None:
    """The real assembly-constituency GeoJSON, rings densified (shapes unchanged) to about `size` bytes."""
    write_wards(path, size, AC_BOUNDARIES)


def write_zones(path: Path, size: int) -> int:
    """The real zones CSV, its 150 rows typed again and again to about `size` bytes; data rows."""
    header, *rows = DEFAULT_ZONES.read_text(encoding="utf-8").splitlines(keepends=True)
    body = "".join(rows)
    repeat = max(1, size // len(body))
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        for _ in range(repeat):
            fh.write(body)
    return repeat * len(rows)


def write_demographics(path: Path, size: int) -> int:
    """A SYNTHETIC demographics CSV of about `size` bytes: the 150 wards, row after row, again and
    again (each ward given many times: the file is refused, every row read and staged first); rows."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("# SYNTHETIC: generated by the importer bench, not census data\n")
        fh.write("ward_id,literacy_idx,muslim_idx,scst_idx,secc_deprivation_idx,source\n")
        written = 0
        while written < size:
            chunk = "".join(
                f"GHMC-{n:03d},0.{(n * 37 + rows) % 9000 + 1000},0.{n % 90 + 10},0.1,0.{n % 9 + 1},"
                "SYNTHETIC bench row\n"
                for n in range(1, 151)
            )
            fh.write(chunk)
            written += len(chunk)
            rows += 150
    return rows


def _write_dense(path: Path, factor: int, source: Path = DEFAULT_BOUNDARIES) -> None:
    doc = json.loads(source.read_text(encoding="utf-8"))

    def dense(ring: list[list[float]]) -> list[list[float]]:
        out: list[list[float]] = []
        for (x0, y0), (x1, y1) in itertools.pairwise(ring):
            out.extend([x0 + (x1 - x0) * k / factor, y0 + (y1 - y0) * k / factor] for k in range(factor))
        out.append(ring[-1])
        return out

    features = doc.pop("features")
    head = json.dumps(doc)[:-1]
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head + ', "features": [\n')
        for i, f in enumerate(features):
            g = f.get("geometry") or {}
            if g.get("type") == "Polygon":
                g["coordinates"] = [dense([p[:2] for p in ring]) for ring in g["coordinates"]]
            elif g.get("type") == "MultiPolygon":
                g["coordinates"] = [
                    [dense([p[:2] for p in ring]) for ring in poly] for poly in g["coordinates"]
                ]
            fh.write(("," if i else "") + json.dumps(f) + "\n")
        fh.write("]}\n")


# --- a child's peak memory -------------------------------------------------------------------------

_CHILD = """
import sys
from pathlib import Path

import psycopg

kind, url, *paths = sys.argv[1:]
with psycopg.connect(url) as conn:
    if kind == "results":
        from lokdarpan_db.importers.electoral.load_results import import_results

        r = import_results(conn, Path(paths[0]), year=2099, recompute=False, dry_run=True)
        print(r.rows_read, r.inserted)
    elif kind == "form20":
        from lokdarpan_db.importers.electoral.load_form20 import import_form20

        r = import_form20(conn, Path(paths[0]), candidates=Path(paths[1]), parties=Path(paths[2]),
                          state_code="S29", year=2099, ac_no=1, dry_run=True)
        print(r.stations_read, r.results_inserted)
    elif kind == "constituencies":
        from lokdarpan_db.importers.electoral.load_constituencies import import_constituencies

        r = import_constituencies(conn, Path(paths[0]), Path(paths[1]), dry_run=True)
        print(r.features_read, r.acs, r.pcs)
    elif kind == "demographics":
        from lokdarpan_db.importers.electoral import ElectoralFileError
        from lokdarpan_db.importers.electoral.load_demographics import import_demographics

        try:
            r = import_demographics(conn, Path(paths[0]), dry_run=True)
            print("loaded", r.rows_read)
        except ElectoralFileError as exc:  # each ward given many times: refused after reading all
            print("refused", len(exc.problems) + exc.omitted)
    else:
        from lokdarpan_db.importers.wards import import_wards

        r = import_wards(conn, Path(paths[0]), Path(paths[1]), dry_run=True)
        if kind == "zones":
            print(r.rows_read, r.loaded)
        else:
            print(r.features_read, r.with_boundary)
# The high-water mark of this process's own memory since its exec (not the parent's it forked from)
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def peak_rss(kind: str, url: str, *paths: Path) -> tuple[float, float, str]:
    """Run one importer in a child process: (peak RSS in MiB, wall seconds, its output line).

    The peak is the child's VmHWM (/proc/self/status, read as it ends): its own memory since its
    exec. Not ru_maxrss: Linux carries into it the high-water mark of the process image before the
    exec, that is of the parent that forked it (a test or bench that has just written a large
    file). Raises RuntimeError when the import fails (with the end of its stderr)."""
    # The session the CLI's imports open (connect(): no 30 s statement timeout for the operator).
    url = make_conninfo(url, options=OPERATOR_OPTIONS)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, kind, url, *map(str, paths)],
            cwd=ROOT, stdout=out, stderr=err,
        )
        proc.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{kind} import failed: {err.read().decode(errors='replace')[-1500:]}")
        line, hwm_kib = out.read().decode().strip().splitlines()[-2:]
        return int(hwm_kib) / 1024, seconds, line


def _m(kind: str, label: str, size: int, mib: float, seconds: float, note: str) -> Measurement:
    anchor = ANCHORS_MIB[kind]
    return Measurement(
        SECTION, f"peak RSS, {label}, {size / MIB:,.0f} MiB file", round(mib, 1), "MiB",
        target=f"<= {TARGET_MB} MB", met=mib * MIB <= TARGET_MB * 1_000_000,
        note=f"before streaming {anchor / 1024:.1f} GiB on 200 MB (the embeddings loader: "
        f"{ANCHORS_MIB['embeddings']} MiB); {note}",
        details={"seconds": round(seconds, 1)},
    )


def run(admin_url: str, size_mb: int = 200, quick: bool = False, say: Any = print) -> list[Measurement]:
    size = (2 if quick else size_mb) * 1_000_000
    stations = 50 if quick else FORM20_STATIONS
    url = create_database(admin_url, "bench_importers", operator=True)
    out: list[Measurement] = []
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(conn, plan_mod.load(ROOT / "db" / "sqitch.plan"),
                   Committer("bench", "bench@lokdarpan.in")).deploy()
            import_wards(conn)
            import_constituencies(conn)
            names = dict(conn.execute(
                "select number, name from public.constituency where state_code = 'S29' and kind = 'AC'"
            ).fetchall())
        with tempfile.TemporaryDirectory(prefix="lokdarpan-bench-SYNTHETIC-") as tmp:
            root = Path(tmp)
            results = root / "results-SYNTHETIC.csv"
            rows = write_results(results, size, names)
            say(f"  results: {results.stat().st_size / MIB:,.0f} MiB, {rows:,} rows …")
            mib, seconds, line = peak_rss("results", url, results)
            out.append(_m("results", "import results", results.stat().st_size, mib, seconds,
                          f"{rows:,} candidate rows, dry run (read, read/inserted: {line})"))
            results.unlink()

            form, candidates, parties = write_form20(root, size, stations)
            say(f"  Form 20: {form.stat().st_size / MIB:,.0f} MiB …")
            mib, seconds, line = peak_rss("form20", url, form, candidates, parties)
            out.append(_m("form20", "import form20", form.stat().st_size, mib, seconds,
                          f"{stations:,} stations x {FORM20_CANDIDATES} candidates, each row typed "
                          f"again to the size (stations, result rows: {line})"))
            form.unlink()

            wards = root / "wards-SYNTHETIC-dense.geojson"
            write_wards(wards, size)
            say(f"  wards GeoJSON: {wards.stat().st_size / MIB:,.0f} MiB …")
            mib, seconds, line = peak_rss("wards", url, wards, DEFAULT_ZONES)
            out.append(_m("wards", "import wards (GeoJSON)", wards.stat().st_size, mib, seconds,
                          f"the real 145 features, edges densified (features, with boundary: {line})"))
            wards.unlink()

            acs = root / "constituencies-SYNTHETIC-dense.geojson"
            write_constituencies(acs, size)
            say(f"  constituencies GeoJSON: {acs.stat().st_size / MIB:,.0f} MiB …")
            mib, seconds, line = peak_rss("constituencies", url, acs, DEFAULT_OVERRIDES)
            out.append(_m("constituencies", "import constituencies", acs.stat().st_size, mib, seconds,
                          f"the real AC features, edges densified, with the overrides (features, ACs, "
                          f"PCs: {line})"))
            acs.unlink()

            demographics = root / "demographics-SYNTHETIC.csv"
            rows = write_demographics(demographics, size)
            say(f"  demographics: {demographics.stat().st_size / MIB:,.0f} MiB …")
            mib, seconds, line = peak_rss("demographics", url, demographics)
            out.append(_m("demographics", "import demographics", demographics.stat().st_size, mib, seconds,
                          f"{rows:,} rows, the 150 wards again and again: refused after every row is "
                          f"read and staged ({line} errors)"))
            demographics.unlink()

            zones = root / "ward-zones-SYNTHETIC.csv"
            rows = write_zones(zones, size)
            say(f"  wards zones CSV: {zones.stat().st_size / MIB:,.0f} MiB …")
            mib, seconds, line = peak_rss("zones", url, DEFAULT_BOUNDARIES, zones)
            out.append(_m("zones", "import wards (zones CSV)", zones.stat().st_size, mib, seconds,
                          f"the real 150 rows typed again to the size: {rows:,} rows, every ward a "
                          f"collision (rows read, wards loaded: {line})"))
    finally:
        drop_database(admin_url, url)
    return out
