"""`lokdarpan-db import …`: reference and election data into a deployed database. Every importer
is one transaction, idempotent, refuses a bad file naming file, line and reason with nothing
loaded, and reports what it did (`--json` for the whole report); `--dry-run` loads inside a
transaction that is rolled back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..facts import ELECTION_TYPES
from .context import Context, json_option, pass_ctx
from .numbers import Finite
from .output import Progress, notice, out, problems

FILE = click.Path(dir_okay=False, path_type=Path)
dry_run_option = click.option("--dry-run", is_flag=True, help="Load inside a transaction, report, roll back.")
replace_option = click.option(
    "--replace",
    is_flag=True,
    help="The file replaces what earlier imports loaded: remove what it no longer has. Without it an "
    "import that would remove anything is refused (the dry run and the refusal say what would go).",
)


def _report(c: Context, report: Any, summary: list[str]) -> None:
    def human() -> None:
        prefix = "[dry run, rolled back] " if getattr(report, "dry_run", False) else ""
        for i, line in enumerate(summary):
            out.print((prefix if i == 0 else "") + line, markup=False)
        problems(report.problems)

    c.emit(report.as_dict(), human)


def _run(c: Context, what: str, load: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with c.connect() as conn, Progress(what, enabled=not c.as_json) as progress:
        return load(conn, *args, progress=progress, **kwargs)


@click.group("import")
def import_group() -> None:
    """Load reference and election data into a deployed database.

    \b
    Examples:
      lokdarpan-db import wards && lokdarpan-db import constituencies && lokdarpan-db import results
    """


@import_group.command("wards")
@click.option(
    "--boundaries",
    type=FILE,
    default=None,
    help="GeoJSON of ward boundaries (features named 'Ward N Name'). Default: data/ghmc-wards.geojson.",
)
@click.option(
    "--zones",
    type=FILE,
    default=None,
    help="CSV ward_no,ward_name,zone of all 150 wards. Default: data/ghmc-ward-zones.csv.",
)
@replace_option
@dry_run_option
@json_option
@pass_ctx
def wards(c: Context, boundaries: Path | None, zones: Path | None, replace: bool, dry_run: bool) -> None:
    """Load the GHMC ward registry: numbers, names, zones and boundaries.

    Idempotent (re-running updates in place) and atomic. Defects in single rows or features are
    reported and skipped; the sound rest is loaded. An import that would clear a boundary or a
    zone a ward has is refused unless --replace (see docs/wards-import.md).

    \b
    Examples:
      lokdarpan-db import wards
      lokdarpan-db import wards --boundaries my-wards.geojson --zones my-zones.csv --dry-run
    """
    from ..importers import wards as importer

    with c.connect() as conn:
        report = importer.import_wards(
            conn,
            boundaries or importer.DEFAULT_BOUNDARIES,
            zones or importer.DEFAULT_ZONES,
            replace=replace,
            dry_run=dry_run,
        )
    lines = [
        f"wards: {report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged; "
        f"{report.with_boundary} with a boundary, {report.without_boundary} without"
    ]
    if report.removed:
        lines.append(f"{'would clear' if report.dry_run else 'cleared'}: {report.removed}")
    _report(c, report, lines)


@import_group.command("constituencies")
@click.option(
    "--boundaries",
    type=FILE,
    default=None,
    help="GeoJSON of assembly constituencies (AC_NO, AC_NAME, PC_NO, PC_NAME, DIST_NAME). "
    "Default: data/electoral/telangana-assembly-constituencies.geojson.",
)
@click.option(
    "--overrides",
    type=FILE,
    default=None,
    help="Reviewed ward → constituency assignments (CSV) that win over the computed ones. "
    "Default: data/electoral/ward-constituency-overrides.csv.",
)
@click.option("--state-code", default="S29", show_default=True, help="ECI state code of the file.")
@click.option(
    "--sliver",
    type=float,
    default=None,
    help="Overlaps smaller than this share of a ward are slivers of disagreeing layers: dropped. "
    "Default: the shared setting (electoral_setting.sliver_threshold, initially 0.02); giving a "
    "value changes that setting (admins only).",
)
@replace_option
@dry_run_option
@json_option
@pass_ctx
def constituencies(
    c: Context,
    boundaries: Path | None,
    overrides: Path | None,
    state_code: str,
    sliver: float | None,
    replace: bool,
    dry_run: bool,
) -> None:
    """Load assembly and parliamentary constituencies and compute which wards lie in which.

    Needs the wards (`import wards`) first. Reports wards split between constituencies, slivers
    dropped, overrides applied, and every ward named after a constituency that lies mainly in
    another (the name-anchor check, docs/electoral.md).

    \b
    Examples:
      lokdarpan-db import constituencies
      lokdarpan-db import constituencies --sliver 0.05 --dry-run
    """
    from ..importers.electoral import load_constituencies as loader

    report = _run(
        c,
        "constituencies",
        loader.import_constituencies,
        boundaries or loader.DEFAULT_BOUNDARIES,
        overrides or loader.DEFAULT_OVERRIDES,
        state_code=state_code,
        sliver=sliver,
        dry_run=dry_run,
        replace=replace,
    )
    _report(c, report, loader.describe(report)[: -len(report.problems) or None])


@import_group.command("results")
@click.argument("file", type=FILE, required=False)
@click.option(
    "--type",
    "election_type",
    type=click.Choice(ELECTION_TYPES),
    default="ASSEMBLY",
    show_default=True,
    help="Election type.",
)
@click.option("--year", type=int, default=2023, show_default=True, help="Election year.")
@click.option("--state-code", default=None, help="ECI state code (default: from the file's st_code column).")
@click.option(
    "--round", "round_", default=None, help="By-election or phase name; omit for the general election."
)
@click.option(
    "--mapping",
    type=FILE,
    default=None,
    help="Column mapping file ('field = Their Header' lines) for another publisher's file.",
)
@click.option("--delimiter", default=None, help="Field separator (default: sniffed).")
@click.option(
    "--level",
    type=click.Choice(["AC", "PC"], case_sensitive=False),
    default="AC",
    show_default=True,
    help="What a row's constituency is: AC = an assembly constituency (a Lok Sabha election's "
    "assembly segment too), PC = a parliamentary constituency.",
)
@click.option("--pc", "parliamentary", is_flag=True, hidden=True,
              help="Deprecated spelling of --level PC (--pc is a PC number, as in import form20).")
@click.option(
    "--match-by",
    type=click.Choice(["number", "name"]),
    default=None,
    help="How rows find their constituency: number, or name (pg_trgm against the registry; the number "
    "column is not read). Default: number when the file has the number column, else name.",
)
@click.option(
    "--min-similarity",
    type=Finite(0.3, 1.0),
    default=0.5,
    show_default=True,
    help="Matching by name, below this trigram similarity a constituency name matches nothing (refused).",
)
@click.option("--no-recompute", is_flag=True, help="Do not recompute ward aggregates, profiles and features.")
@replace_option
@dry_run_option
@json_option
@pass_ctx
def results(
    c: Context,
    file: Path | None,
    election_type: str,
    year: int,
    state_code: str | None,
    round_: str | None,
    mapping: Path | None,
    delimiter: str | None,
    level: str,
    parliamentary: bool,
    match_by: str | None,
    min_similarity: float,
    no_recompute: bool,
    replace: bool,
    dry_run: bool,
) -> None:
    """Load constituency-wise results (one row per candidate per constituency).

    FILE defaults to ECI's Telangana Assembly 2023 results in data/electoral/. Shares are computed
    in SQL and checked against the published percentages; ward aggregates, profiles and features
    are recomputed afterwards.

    \b
    Examples:
      lokdarpan-db import results
      lokdarpan-db import results other.csv --mapping other-columns.txt --delimiter ';' --year 2018
    """
    from ..importers.electoral import load_results as loader

    if parliamentary:
        notice("warning: `import results --pc` is deprecated: use --level PC (--pc is a parliamentary "
               "constituency number, as in import form20)")
    report = _run(
        c,
        "results",
        loader.import_results,
        file or loader.DEFAULT_RESULTS,
        election_type=election_type,
        year=year,
        state_code=state_code,
        round=round_,
        mapping=mapping,
        delimiter=delimiter,
        constituency_type="PC" if parliamentary else level.upper(),
        match_by=match_by or "auto",
        min_similarity=min_similarity,
        recompute=not no_recompute,
        dry_run=dry_run,
        replace=replace,
    )
    _report(
        c,
        report,
        [
            f"results: {report.rows_read} rows of {report.constituencies} constituencies into election "
            f"{report.election_type} {report.year} (id {report.election_id}): {report.inserted} inserted, "
            f"{report.updated} updated, {report.unchanged} unchanged, {report.removed} "
            f"{'would be removed' if report.dry_run else 'removed'} ({report.votes_removed} votes)",
            f"shares: {report.shares_checked} checked against the published percent, "
            f"{len(report.share_differences)} differ",
            *(
                [f"constituencies matched by name: {len(report.matches)} not exactly (listed below)"]
                if report.match_by == "name"
                else []
            ),
            *(
                [f"parties: {len(report.party_matches)} matched by another spelling (listed below)"]
                if report.party_matches
                else []
            ),
            *(f"recomputed {step}: {rows} rows" for step, rows in report.recomputed.items()),
        ],
    )


@import_group.command("form20")
@click.argument("files", type=FILE, nargs=-1, required=True)
@click.option(
    "--candidates", type=FILE, default=None, help="ECI candidate list (CSV). Default: the Gujarat 2014 list."
)
@click.option("--parties", type=FILE, default=None, help="ECI party list (CSV). Default: the shipped list.")
@click.option(
    "--type",
    "election_type",
    type=click.Choice(ELECTION_TYPES),
    default="LOKSABHA",
    show_default=True,
    help="Election type.",
)
@click.option("--year", type=int, default=2014, show_default=True, help="Election year.")
@click.option("--state-code", default="S06", show_default=True, help="ECI state code of the constituencies.")
@click.option(
    "--ac", "ac_no", type=click.IntRange(1), default=None, metavar="N",
    help="Assembly constituency (segment) number (AC_NO). Default: from the file."
)
@click.option(
    "--pc", "pc_no", type=click.IntRange(1), default=None, metavar="N",
    help="Parliamentary constituency number (PC_NO) of the segments. Default: from the candidates."
)
@click.option(
    "--min-similarity",
    type=float,
    default=0.6,
    show_default=True,
    help="Below this trigram similarity a candidate column is not matched (and the file refused).",
)
@click.option(
    "--each",
    is_flag=True,
    help="Commit each file on its own: a refused file does not stop the others, and every file's "
    "fate is reported. Default: the files are one transaction (all load or none).",
)
@replace_option
@dry_run_option
@json_option
@pass_ctx
def form20(
    c: Context,
    files: tuple[Path, ...],
    candidates: Path | None,
    parties: Path | None,
    election_type: str,
    year: int,
    state_code: str,
    ac_no: int | None,
    pc_no: int | None,
    min_similarity: float,
    each: bool,
    replace: bool,
    dry_run: bool,
) -> None:
    """Load Form 20 polling-station results (one file per assembly segment).

    Header rows, candidate columns, NOTA, totals and summary rows are detected whatever their
    wording; candidate names are matched to the candidate list with pg_trgm; every station's
    arithmetic is checked. The files are one transaction unless --each. A file is the whole set of
    its AC's results: an import that would remove results loaded before is refused unless --replace.

    \b
    Examples:
      lokdarpan-db import form20 data/electoral/form20-gujarat-ls2014/AC00*.csv
      lokdarpan-db --json import form20 AC003.csv --pc 1 --dry-run
      lokdarpan-db import form20 AC001.csv --replace
    """
    from ..importers.electoral import load_form20 as loader

    kwargs: dict[str, Any] = {
        "election_type": election_type,
        "year": year,
        "state_code": state_code,
        "ac_no": ac_no,
        "pc_no": pc_no,
        "min_similarity": min_similarity,
    }
    if candidates:
        kwargs["candidates"] = candidates
    if parties:
        kwargs["parties"] = parties
    batch = _run(
        c, "form20", loader.import_form20_files, files, each=each, dry_run=dry_run, replace=replace, **kwargs
    )

    def human() -> None:
        for f in batch.files:
            r = f.report
            if r is None:
                out.print(f"{f.file.name}: refused, nothing of it imported: {f.error}", markup=False)
                continue
            repeats = len(r.duplicates_collapsed)
            lines = [
                f"{r.file.name}: AC {r.ac_no} {r.ac_name or ''} (PC {r.pc_no}): {r.stations_read} stations "
                f"({r.stations_inserted} new), {r.result_rows} candidate rows ({r.results_inserted} new); "
                f"{len(r.candidates)} candidates matched"
                + (f"; {repeats} repeated row(s) counted once" if repeats else "")
            ]
            if r.removed:
                lines.append(f"{'would remove' if r.dry_run else 'removed'}: {r.removed}")
            _report(c, r, lines)

    c.emit(batch.as_dict(), human)
    batch.check()


@import_group.command("demographics")
@click.argument("file", type=FILE)
@click.option(
    "--scale",
    type=click.Choice(["fraction", "percent"]),
    default="fraction",
    show_default=True,
    help="Values are fractions 0-1 (default) or percentages 0-100.",
)
@dry_run_option
@json_option
@pass_ctx
def demographics(c: Context, file: Path, scale: str, dry_run: bool) -> None:
    """Load ward demographics (literacy, Muslim, SC/ST, SECC deprivation) from your CSV.

    No public ward-level census table exists; data/electoral/demographics-SYNTHETIC.csv is a
    synthetic example, labelled as such in the database.

    \b
    Examples:
      lokdarpan-db import demographics data/electoral/demographics-SYNTHETIC.csv
      lokdarpan-db import demographics ward-census.csv --scale percent
    """
    from ..importers.electoral import load_demographics as loader

    report = _run(c, "demographics", loader.import_demographics, file, scale=scale, dry_run=dry_run)
    _report(
        c,
        report,
        [
            f"demographics{' (SYNTHETIC)' if report.synthetic else ''}: {report.rows_read} rows, "
            f"{report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged"
        ],
    )


@import_group.command("embeddings")
@click.argument("file", type=FILE)
@click.option(
    "--rebuild-index",
    is_flag=True,
    help="Drop the HNSW index of each model in the file and rebuild it after the insert "
    "(for first bulk loads: faster than inserting into the graph row by row; blocks searches meanwhile).",
)
@click.option(
    "--maintenance-work-mem",
    default="1GB",
    show_default=True,
    help="maintenance_work_mem for the index rebuild (the graph must fit to build fast).",
)
@click.option(
    "--parallel-workers",
    type=click.IntRange(0, 16),
    default=1,
    show_default=True,
    help="max_parallel_maintenance_workers for the index rebuild.",
)
@dry_run_option
@json_option
@pass_ctx
def embeddings(
    c: Context,
    file: Path,
    rebuild_index: bool,
    maintenance_work_mem: str,
    parallel_workers: int,
    dry_run: bool,
) -> None:
    """Load embedded chunks from JSON Lines (one object per line) into ai_embedding_store.

    Each line: text, source, vector; optionally model, ward, title, url, published_at, … (see
    docs/vector-search.md). Streamed and batched by COPY in one transaction; any bad line is
    reported by number and nothing is loaded; chunks already stored (same text and model) are
    skipped, so a re-import changes nothing.

    \b
    Examples:
      lokdarpan-db import embeddings chunks.jsonl
      lokdarpan-db import embeddings first-load.jsonl --rebuild-index --maintenance-work-mem 2GB
    """
    from ..vectors import loader

    report = _run(
        c,
        "embeddings",
        loader.import_embeddings,
        file,
        dry_run=dry_run,
        rebuild_index=rebuild_index,
        maintenance_work_mem=maintenance_work_mem,
        parallel_workers=parallel_workers,
    )
    models = ", ".join(f"{m} {n}" for m, n in sorted(report.by_model.items())) or "none"
    lines = [
        f"embeddings: {report.lines} lines, {report.inserted} inserted ({models}), "
        f"{report.duplicates_in_file} duplicates in the file, {report.already_stored} already stored"
    ]
    if report.index_rebuilt:
        lines.append(f"rebuilt {', '.join(report.index_rebuilt)} in {report.index_build_seconds} s")
    _report(c, report, lines)
