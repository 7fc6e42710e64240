"""Load a constituency-wise results file (ECI's, or another publisher's through a column mapping).

The file is read and checked by read_results_csv (results_csv.py: a bad row refuses the file,
naming the line). Then, in one transaction:

- the election row (type, year, state, round) is found or created; a Lok Sabha election is one
  election for the whole country (election.state_code null), its constituencies are the state's;
- every constituency of the file must already be registered (`lokdarpan-db import
  constituencies`): the first unknown one refuses the file, naming its number and line; a name that
  differs from the registry's (other than by case, punctuation or the reservation suffix) is
  reported as a warning with its trigram similarity;
- every party is resolved with party_resolve() (any spelling, TRS is BRS; Independent and None of
  the Above are the registry's pseudo-parties); a party the registry does not know is created
  (kind party) and reported;
- the election's rows for the constituencies in the file are replaced by the file's: rows are
  upserted on (election, constituency, candidate), rows of those constituencies that the file no
  longer has are deleted — only with replace=True (`--replace`): otherwise an import that would
  delete any is refused naming the count of rows and votes (a dry run reports them), so a short
  or cut file never turns into deletions —, rows of other constituencies are not touched; a
  re-import of the same file changes nothing;
- constituency_result_share.vote_share (computed) is compared with the published percent on every
  row that has one, and each difference is reported;
- with recompute=True (default) recompute_electoral() refreshes result_ward_agg, ward_profile and
  ward_features.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psycopg

from ..safety import amount, check_removals
from ._common import MAX_LISTED, Problem
from .load_common import (
    DATA_DIR,
    ElectoralLoadError,
    Progress,
    ReportMixin,
    copy_rows,
    db_error_line,
    load_transaction,
    problem_text,
    refuse_lines,
    temp_table,
    upsert_counts,
)
from .results_csv import ConstituencyType, ResultsReader, duplicate_problem

DEFAULT_RESULTS = DATA_DIR / "telangana-assembly-2023-results.csv"
ElectionType = Literal["GHMC", "ASSEMBLY", "LOKSABHA"]
STATE_CODE = re.compile(r"^[SU][0-9]{2}$")


@dataclass
class ResultsImportReport(ReportMixin):
    """What import_results did (or, with dry_run, would do)."""

    file: Path
    election_type: str
    year: int
    state_code: str | None
    round: str | None
    dry_run: bool = False
    election_id: int | None = None
    election_created: bool = False
    rows_read: int = 0
    constituencies: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    votes_removed: int = 0
    replace: bool = False
    parties_resolved: int = 0
    parties_created: list[str] = field(default_factory=list)
    name_mismatches: list[str] = field(default_factory=list)
    shares_checked: int = 0
    share_differences: list[str] = field(default_factory=list)
    recomputed: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def ensure_election(
    conn: psycopg.Connection,
    election_type: str,
    year: int,
    state_code: str | None,
    round: str | None,
    source: str,
) -> tuple[int, bool]:
    """The election's id, creating the row when missing; (id, created)."""
    row = conn.execute(
        """
        insert into public.election as e (type, year, state_code, round, source)
        values (%s, %s, %s, %s, %s)
        on conflict (type, year, coalesce(state_code, ''), coalesce(round, ''))
        do update set source = coalesce(e.source, excluded.source)
        returning id, (xmax = 0)
        """,
        (election_type, year, state_code, round, source),
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def import_results(
    conn: psycopg.Connection,
    path: Path | str = DEFAULT_RESULTS,
    *,
    election_type: ElectionType = "ASSEMBLY",
    year: int = 2023,
    state_code: str | None = None,
    round: str | None = None,
    mapping: Mapping[str, str] | Path | str | None = None,
    delimiter: str | None = None,
    constituency_type: ConstituencyType = "AC",
    publisher: str | None = None,
    recompute: bool = True,
    dry_run: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> ResultsImportReport:
    """Load a constituency-wise results file for one election; see the module docstring.

    state_code None takes it from the file's state column (one state per file). Raises
    ElectoralFileError (a BadInputError naming file, line and reason) for a bad file or an
    unregistered constituency, ElectoralLoadError for impossible arguments, RemovalRefusedError
    when the file would remove rows of its constituencies that earlier imports loaded and replace
    is False (a dry run reports them instead); nothing is written then.
    """
    path = Path(path)
    if election_type not in ("GHMC", "ASSEMBLY", "LOKSABHA"):
        raise ElectoralLoadError(f"election_type must be GHMC, ASSEMBLY or LOKSABHA, not {election_type!r}")
    if not 1951 <= year <= 2100:
        raise ElectoralLoadError(f"year {year} is not an election year (1951-2100)")
    if round is not None and (round != round.strip() or not round):
        raise ElectoralLoadError(f"round {round!r} must be a trimmed, non-empty name (or None)")
    report = ResultsImportReport(path, election_type, year, None, round, dry_run=dry_run, replace=replace)
    try:
        with (
            ResultsReader(
                path, mapping=mapping, delimiter=delimiter, constituency_type=constituency_type
            ) as reader,
            load_transaction(conn, dry_run),
        ):
            conn.execute("lock table public.constituency_result in share row exclusive mode")
            # The file streams into staging as it is read (memory bounded whatever its size); what
            # needs every row (a candidate given twice) is asked of the staging table.
            temp_table(
                conn,
                "stg_result",
                "line integer, constituency_no integer, constituency_name text, candidate text, "
                "candidate_key text, party text, evm_votes integer, postal_votes integer, "
                "total_votes integer, published_percent numeric",
            )
            copy_rows(
                conn,
                "stg_result",
                (
                    "line",
                    "constituency_no",
                    "constituency_name",
                    "candidate",
                    "candidate_key",
                    "party",
                    "evm_votes",
                    "postal_votes",
                    "total_votes",
                    "published_percent",
                ),
                (
                    (
                        r.line,
                        r.constituency_no,
                        r.constituency_name,
                        r.candidate,
                        r.candidate.casefold(),
                        r.party,
                        r.evm_votes,
                        r.postal_votes,
                        r.total_votes,
                        r.percent_votes,
                    )
                    for r in reader.rows()
                ),
                total=0,
                progress=None if progress is None else lambda _d, _t: progress(reader.position, reader.size),
            )
            duplicates, more = _duplicates(conn)
            reader.finish(duplicates, more)
            state = _state_of(path, reader.states, state_code)
            report.state_code = state
            election_state = None if election_type == "LOKSABHA" else state
            report.problems.extend(problem_text(path, p) for p in reader.problems)
            report.rows_read = reader.rows_read
            report.constituencies = len(reader.names)
            report.election_id, report.election_created = ensure_election(
                conn, election_type, year, election_state, round, path.name
            )
            _constituencies(conn, path, state, constituency_type, report)
            _parties(conn, report)
            _write(conn, path, report, publisher)
            _check_shares(conn, report)
            if recompute:
                report.recomputed = {
                    step: rows for step, rows in conn.execute("select * from public.recompute_electoral()")
                }
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
        raise ElectoralLoadError(f"{path}: {db_error_line(exc)}; nothing imported") from None
    return report


def _duplicates(conn: psycopg.Connection) -> tuple[list[Problem], int]:
    """Rows that repeat a (constituency, candidate) of an earlier row (candidate case-blind), asked of
    the staging table: at most MAX_LISTED listed, and how many more."""
    rows = conn.execute(
        """
        select d.line, d.candidate, d.constituency_no, d.first_line, count(*) over ()
        from (select s.line, s.candidate, s.constituency_no,
                  min(s.line) over (partition by s.constituency_no, s.candidate_key) as first_line
              from pg_temp.stg_result as s) as d
        where d.line > d.first_line
        order by d.line
        limit %s
        """,
        (MAX_LISTED,),
    ).fetchall()
    total = rows[0][4] if rows else 0
    listed = [duplicate_problem(line, cand, number, first) for line, cand, number, first, _ in rows]
    return listed, total - len(rows)


def _state_of(path: Path, states: dict[str, int], given: str | None) -> str:
    errors: list[tuple[int | None, str]] = []
    if given is not None:
        if not STATE_CODE.match(given):
            raise ElectoralLoadError(f"state_code {given!r} is not an ECI state code like S29")
        for code, line in states.items():
            if code != given:
                errors.append((line, f"state {code}, but the load is for state {given}"))
        if errors:
            raise refuse_lines(path, errors)
        return given
    if not states:
        raise refuse_lines(path, [(None, "the file has no state code column: pass state_code (e.g. S29)")])
    if len(states) > 1:
        listing = ", ".join(f"{c} (line {n})" for c, n in states.items())
        raise refuse_lines(
            path, [(None, f"more than one state in the file: {listing}; load one state per file")]
        )
    code, line = next(iter(states.items()))
    if not STATE_CODE.match(code):
        raise refuse_lines(path, [(line, f"state code {code!r} is not an ECI state code like S29")])
    return code


_SUFFIX_SQL = r"regexp_replace(%s, '\s*\(\s*(SC|ST)\s*\)?\s*$', '', 'i')"


def _constituencies(
    conn: psycopg.Connection, path: Path, state: str, kind: str, report: ResultsImportReport
) -> None:
    conn.execute("drop table if exists pg_temp.stg_constituency")
    conn.execute(
        f"""
        create temporary table stg_constituency on commit drop as
        select s.constituency_no, s.constituency_name, min(s.line) as line, c.constituency_id,
            c.name as registry_name, c.reserved_for,
            public.party_normalise({_SUFFIX_SQL % "s.constituency_name"}) as file_key,
            public.party_normalise(c.name) as registry_key,
            upper(substring(s.constituency_name from '\\(\\s*(SC|ST|sc|st)\\s*\\)?\\s*$')) as file_reserved
        from pg_temp.stg_result as s
        left join public.constituency as c
            on c.state_code = %s and c.kind = %s and c.number = s.constituency_no
        group by s.constituency_no, s.constituency_name, c.constituency_id, c.name, c.reserved_for
        """,
        (state, kind),
    )
    unknown = conn.execute(
        "select line, constituency_no, constituency_name from pg_temp.stg_constituency "
        "where constituency_id is null order by line"
    ).fetchall()
    if unknown:
        line, number, name = unknown[0]
        more = f" ({len(unknown) - 1} more unknown)" if len(unknown) > 1 else ""
        raise refuse_lines(
            path,
            [
                (
                    line,
                    f"{kind} {number} {name!r} of state {state} is not in the constituency registry{more}: "
                    "load the constituencies first (`lokdarpan-db import constituencies`)",
                )
            ],
        )
    for line, number, name, registry, sim, file_res, reg_res in conn.execute(
        """
        select line, constituency_no, constituency_name, registry_name,
            round(public.similarity(file_key, registry_key)::numeric, 2), file_reserved, reserved_for
        from pg_temp.stg_constituency
        where file_key <> registry_key
            or (file_reserved is distinct from reserved_for and file_reserved is not null)
        order by line
        """
    ).fetchall():
        if file_res is not None and file_res != reg_res:
            text = (
                f"{path.name} line {line}: {kind} {number} {name!r} is reserved for {file_res} in the file, "
                f"{reg_res or 'not reserved'} in the registry"
            )
        else:
            text = (
                f"{path.name} line {line}: {kind} {number} is {name!r} in the file but {registry!r} in the "
                f"registry (similarity {sim}); loaded as {kind} {number}"
            )
        report.name_mismatches.append(text)
        report.problems.append(text)


def _parties(conn: psycopg.Connection, report: ResultsImportReport) -> None:
    conn.execute("drop table if exists pg_temp.stg_party")
    conn.execute(
        """
        create temporary table stg_party on commit drop as
        select distinct on (public.party_normalise(p.party))
            p.party, public.party_resolve(p.party) as party_id
        from (select s.party, min(s.line) as line from pg_temp.stg_result as s group by s.party) as p
        order by public.party_normalise(p.party), p.line
        """
    )
    created = conn.execute(
        """
        insert into public.party (name, kind)
        select p.party, 'party' from pg_temp.stg_party as p where p.party_id is null
        order by p.party
        returning name
        """
    ).fetchall()
    report.parties_created = [r[0] for r in created]
    n = conn.execute("select count(*) from pg_temp.stg_party").fetchone()
    report.parties_resolved = (n[0] if n else 0) - len(created)
    if created:
        report.problems.append(
            f"{report.file.name}: {len(created)} part{'y' if len(created) == 1 else 'ies'} "
            "not in the registry, "
            f"created (kind party): {', '.join(report.parties_created)}"
        )


_GONE = """
    from public.constituency_result as r
    where r.election_id = %s
        and r.constituency_id in (select c.constituency_id from pg_temp.stg_constituency as c)
        and not exists (
            select from pg_temp.stg_result as s
            inner join pg_temp.stg_constituency as c on c.constituency_no = s.constituency_no
            where c.constituency_id = r.constituency_id and s.candidate = r.candidate
        )
"""


def _write(conn: psycopg.Connection, path: Path, report: ResultsImportReport, publisher: str | None) -> None:
    e = report.election_id
    gone = conn.execute(
        f"select count(*), coalesce(sum(r.total_votes), 0), count(distinct r.constituency_id) {_GONE}", (e,)
    ).fetchone()
    assert gone is not None
    report.removed, report.votes_removed, constituencies = (int(v) for v in gone)
    check_removals(
        path.name,
        amount(report.removed, "candidate row") + f" ({amount(report.votes_removed, 'vote')})"
        if report.removed
        else "",
        f"of {amount(constituencies, 'constituency', 'constituencies')} in election {report.election_type} "
        f"{report.year} that earlier imports loaded and this file no longer has",
        replace=report.replace,
        dry_run=report.dry_run,
        problems=report.problems,
    )
    conn.execute(f"delete {_GONE}", (e,))
    # Each spelling resolved once (party_resolve per spelling, not per row of a large file).
    conn.execute("drop table if exists pg_temp.stg_party_id")
    conn.execute(
        """
        create temporary table stg_party_id on commit drop as
        select p.party, public.party_resolve(p.party) as party_id
        from (select distinct s.party from pg_temp.stg_result as s) as p
        """
    )
    meta = {"file": path.name}
    if publisher:
        meta["publisher"] = publisher
    report.inserted, report.updated, report.unchanged = upsert_counts(
        conn,
        """
        insert into public.constituency_result as r (
            election_id, constituency_id, candidate, party_id, party_as_published,
            evm_votes, postal_votes, total_votes, published_percent, source_meta)
        select %(e)s, c.constituency_id, s.candidate, p.party_id, s.party,
            s.evm_votes, s.postal_votes, s.total_votes, s.published_percent,
            %(meta)s::jsonb || jsonb_build_object('line', s.line)
        from pg_temp.stg_result as s
        inner join pg_temp.stg_constituency as c on c.constituency_no = s.constituency_no
        inner join pg_temp.stg_party_id as p on p.party = s.party
        order by s.line
        on conflict (election_id, constituency_id, candidate) do update set
            party_id = excluded.party_id, party_as_published = excluded.party_as_published,
            evm_votes = excluded.evm_votes, postal_votes = excluded.postal_votes,
            total_votes = excluded.total_votes, published_percent = excluded.published_percent,
            source_meta = excluded.source_meta
        where (r.party_id, r.party_as_published, r.evm_votes, r.postal_votes, r.total_votes,
               r.published_percent, r.source_meta)
            is distinct from
            (excluded.party_id, excluded.party_as_published, excluded.evm_votes, excluded.postal_votes,
             excluded.total_votes, excluded.published_percent, excluded.source_meta)
        returning (xmax = 0)
        """,
        {"e": e, "meta": json.dumps(meta)},
        report.rows_read,
    )


def _check_shares(conn: psycopg.Connection, report: ResultsImportReport) -> None:
    rows = conn.execute(
        """
        with checked as (
            select (r.source_meta ->> 'line')::integer as line, c.number, v.candidate, v.vote_share,
                v.published_percent
            from public.constituency_result_share as v
            inner join public.constituency_result as r on r.id = v.id
            inner join public.constituency as c on c.constituency_id = v.constituency_id
            where v.election_id = %s
                and v.constituency_id in (select s.constituency_id from pg_temp.stg_constituency as s)
                and v.published_percent is not null
        )
        select null::integer, null::integer, null::text, null::numeric, null::numeric,
            (select count(*) from checked),
            (select count(*) from checked where vote_share <> published_percent)
        union all
        (select line, number, candidate, vote_share, published_percent, null, null
         from checked where vote_share <> published_percent order by line limit %s)
        """,
        (report.election_id, MAX_LISTED),
    ).fetchall()
    report.shares_checked = rows[0][5]
    for line, number, candidate, share, published, _, _ in rows[1:]:
        text = (
            f"{report.file.name} line {line}: constituency {number} {candidate!r}: vote share {share} "
            f"computed from the votes, {published} published"
        )
        report.share_differences.append(text)
        report.problems.append(text)
    more = rows[0][6] - (len(rows) - 1)
    if more > 0:
        report.problems.append(f"{report.file.name}: and {more:,} more vote shares differ from the published")


__all__ = ["DEFAULT_RESULTS", "ResultsImportReport", "ensure_election", "import_results"]
