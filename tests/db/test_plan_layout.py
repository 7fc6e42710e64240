"""The plan's layout (issue 22): schema changes and code changes.

- Deploying the whole plan gives the same schema as the plan before the split (commit 22a9af5),
  but for the differences listed in EXPECTED, each with its reason.
- No change's deploy script is over 400 lines.
- A code change (code/..., or a table-less change in CODE_ONLY) makes no table or index and writes
  every function and view as `create or replace`.
- A schema change defines no function other than a trigger function, except the few a table needs
  when it is created (TABLE_NEEDS).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from support import ROOT, TEST_COMMITTER, Databases

from lokdarpan_db.devtools.pgtap import libpq_env
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate.engine import Engine
from lokdarpan_db.migrate.sqlsplit import split
from lokdarpan_db.paths import PLAN
from lokdarpan_db.server.cluster import pg_bindir

BEFORE_SPLIT = "22a9af5"
MAX_LINES = 400

# Objects whose pg_dump entry may differ from the plan before the split, and why. Key: (how it
# differs: "added", "removed" or "changed"; the entry's Type; a regex its Name must match in full).
# Every difference must be listed, and every listed difference must happen.
REBUILD_STEPS = r"(check|set_indexes_aside|dependents|grants|set_sequences_aside)"
EXPECTED: dict[tuple[str, str, str], str] = {
    ("added", "FUNCTION", r"touch_updated_at\(\)"):
        "the one generic updated_at trigger function (code/common/helpers)",
    ("added", "COMMENT", r"FUNCTION touch_updated_at\(\)"): "its comment",
    ("added", "ACL", r"FUNCTION touch_updated_at\(\)"): "not executable by PUBLIC",
    ("added", "FUNCTION", r"keep_created_at\(\)"):
        "the generic trigger that keeps created_at (ward's created_at cannot be rewritten, as before)",
    ("added", "COMMENT", r"FUNCTION keep_created_at\(\)"): "its comment",
    ("added", "ACL", r"FUNCTION keep_created_at\(\)"): "not executable by PUBLIC",
    ("added", "FUNCTION", r"input_excerpt\(text\)"):
        "the one way an error message names a user's value (code/common/helpers)",
    ("added", "COMMENT", r"FUNCTION input_excerpt\(p_value text\)"): "its comment",
    # wards: ward_touch compared a hard-coded column list; the generic pair replaces it.
    ("removed", "FUNCTION", r"ward_touch\(\)"): "replaced by keep_created_at() + touch_updated_at()",
    ("removed", "COMMENT", r"FUNCTION ward_touch\(\)"): "its comment went with it",
    ("changed", "TRIGGER", r"ward ward_touch_before_update"): "now executes touch_updated_at()",
    ("added", "TRIGGER", r"ward ward_keep_created_at"):
        "keeps created_at; fires before ward_touch_before_update (name order)",
    ("added", "COMMENT", r"TRIGGER ward_keep_created_at ON ward"): "its comment",
    ("added", "COMMENT", r"TRIGGER ward_touch_before_update ON ward"): "the trigger now says what it does",
    # alerts: alert_set_updated_at had the generic meaning already.
    ("removed", "FUNCTION", r"alert_set_updated_at\(\)"): "replaced by touch_updated_at(), same meaning",
    ("removed", "COMMENT", r"FUNCTION alert_set_updated_at\(\)"): "its comment went with it",
    ("removed", "ACL", r"FUNCTION alert_set_updated_at\(\)"): "its revoke went with it",
    ("changed", "TRIGGER", r"alert alert_set_updated_at"): "now executes touch_updated_at() (same name)",
    # code/news/search: the 218-line search_posts() reads as its argument checks, the newest window
    # and the time slices.
    ("added", "FUNCTION", r"search_posts_(ward|newest|slices)\(.*\)"):
        "search_posts() split into its parts (same statements, same errors)",
    ("added", "COMMENT", r"FUNCTION search_posts_(ward|newest|slices)\(.*\)"): "their comments",
    ("added", "ACL", r"FUNCTION search_posts_(ward|newest|slices)\(.*\)"):
        "readonly and up, like search_posts() (they run as the caller)",
    ("changed", "FUNCTION", r"search_posts\(text, text, integer\)"): "now calls its parts",
    # Issue 27: the seed's full-text index carries the ward (btree_gin), so a ward and a word are one
    # GIN probe; the partitions' index names follow its columns.
    # Issue 27 (code/news/search_scaling, right after code/news/search): a word rare in one ward is
    # ranked in one statement when the statistics estimate few matches.
    ("added", "FUNCTION", r"search_posts_(estimate|every)\(.*\)"):
        "issue 27: the match estimate and the one-statement ward ranking",
    ("added", "COMMENT", r"FUNCTION search_posts_(estimate|every)\(.*\)"): "their comments",
    ("added", "ACL", r"FUNCTION search_posts_(estimate|every)\(.*\)"):
        "readonly and up, like search_posts() (they run as the caller)",
    ("added", "EXTENSION", r"btree_gin"): "issue 27: GIN equality on ward_id for ix_post_search_vector",
    ("added", "COMMENT", r"EXTENSION btree_gin"): "the extension's own comment",
    ("changed", "INDEX", r"ix_post_search_vector"): "issue 27: gin (ward_id, search_vector)",
    ("removed", "INDEX", r"post_\w+_search_vector_idx"): "issue 27: partitions' index named by its columns",
    ("removed", "INDEX ATTACH", r"post_\w+_search_vector_idx"): "issue 27: likewise",
    ("added", "INDEX", r"post_\w+_ward_id_search_vector_idx"): "issue 27: the same index, with the ward",
    ("added", "INDEX ATTACH", r"post_\w+_ward_id_search_vector_idx"): "issue 27: likewise",
    # maintenance/integrity: the 19-row integrity_check_catalog() is now one function per domain.
    ("added", "FUNCTION", r"integrity_checks_(posts|ai|electoral|storage)\(\)"):
        "integrity_check_catalog() split into one function per domain (each row keeps its place)",
    ("added", "COMMENT", r"FUNCTION integrity_checks_(posts|ai|electoral|storage)\(\)"): "their comments",
    ("added", "ACL", r"FUNCTION integrity_checks_(posts|ai|electoral|storage)\(\)"):
        "readonly and up, like integrity_check_catalog()",
    ("changed", "FUNCTION", r"integrity_check_catalog\(\)"): "now the union of the four, in check_order",
    # code/maintenance/table_rebuild: the 215-line table_rebuild() reads as five steps.
    ("added", "FUNCTION", rf"table_rebuild_{REBUILD_STEPS}\(.*\)"):
        "table_rebuild() split into its steps (same statements, same errors)",
    ("added", "COMMENT", rf"FUNCTION table_rebuild_{REBUILD_STEPS}\(.*\)"):
        "their comments",
    ("added", "ACL", rf"FUNCTION table_rebuild_{REBUILD_STEPS}\(.*\)"):
        "not executable by PUBLIC, like table_rebuild()",
    ("changed", "FUNCTION", r"table_rebuild\(regclass, .*\)"): "now calls its steps",
    # Error messages name a user's value through input_excerpt() (quoted, first 20 characters).
    ("changed", "FUNCTION",
     r"(ward_election_shares|ai_report_request|ai_report_transition|find_similar_content|maintenance_interval"
     r"|maintenance_integer|maintenance_cleanup_count|maintenance_cleanup_batch)\(.*\)"):
        "its error message names the bad value with input_excerpt() instead of its own case/left() pattern",
    # The electoral functions' state code and kind checks, said once (code/electoral/constituencies/names).
    ("added", "FUNCTION", r"electoral_check_scope\(text, text(, text)?\)"):
        "the one state code (and kind) check of the electoral functions, naming the caller and the value",
    ("added", "COMMENT", r"FUNCTION electoral_check_scope\(p_fn text, p_state text(, p_kind text)?\)"):
        "its comment",
    ("added", "ACL", r"FUNCTION electoral_check_scope\(p_fn text, p_state text(, p_kind text)?\)"):
        "not PUBLIC's; lokdarpan_readonly, like ward_constituency_name_check()",
    ("changed", "FUNCTION", r"ward_constituency_name_check\(real, boolean, text\)"):
        "its state code check is electoral_check_scope() (the value named with input_excerpt())",
    # Changed on purpose since the split (each names its issue).
    ("changed", "FUNCTION", r"post_rollup_maintain\(\)"):
        "issue 23: a statement appends its net change to ward_post_pending (no hot row updated), "
        "folded now and then",
    ("changed", "COMMENT", r"FUNCTION post_rollup_maintain\(\)"): "issue 23: says so",
    # Issue 23 (writes): writers append to ward_post_pending instead of updating three hot rows; the
    # counts are kept in *_folded tables and read through views under the old names (folded + pending).
    ("removed", "TABLE", r"ward_(day_rollup|day_author|author_rollup)"):
        "issue 23: the rollups are views (folded + pending) under the same names",
    ("removed", "COMMENT", r"TABLE ward_(day_rollup|day_author|author_rollup)"):
        "issue 23: now on the views",
    ("removed", "CONSTRAINT", r"ward_(day_rollup|day_author|author_rollup) ward_\w+_pkey"):
        "issue 23: now on the *_folded tables",
    ("removed", "FK CONSTRAINT", r"ward_(day_rollup|day_author|author_rollup) fk_ward_\w+_ward"):
        "issue 23: now on the *_folded tables",
    ("added", "TABLE", r"ward_(day_rollup|day_author|author_rollup)_folded|ward_post_pending"):
        "issue 23: the folded counts and the pending changes writers append",
    ("added", "ACL", r"TABLE (ward_(day_rollup|day_author|author_rollup)_folded|ward_post_pending)"):
        "issue 23: only the owner writes them",
    ("added", "COMMENT",
     r"(TABLE|COLUMN) (ward_(day_rollup|day_author|author_rollup)_folded|ward_post_pending)\b.*"):
        "issue 23: their comments",
    ("added", "CONSTRAINT", r"ward_(day_rollup|day_author|author_rollup)_folded ward_\w+_folded_pkey"):
        "issue 23: the old keys, renamed with their tables",
    ("added", "FK CONSTRAINT",
     r"ward_(day_rollup|day_author|author_rollup)_folded fk_ward_\w+_folded_ward"):
        "issue 23: the old keys, renamed with their tables",
    ("added", "INDEX", r"ix_ward_post_pending_ward_day"):
        "issue 23: readers look pending rows up by ward and day",
    ("added", "VIEW", r"ward_(day_rollup|day_author|author_rollup)"):
        "issue 23: the rollups as readers see them",
    ("added", "COMMENT", r"VIEW ward_(day_rollup|day_author|author_rollup)"): "issue 23: their comments",
    ("changed", "COMMENT", r"COLUMN ward_day_rollup\.updated_at"):
        "issue 23: a fold also changes the counts",
    ("added", "FUNCTION", r"ward_rollups_fold\(boolean\)"): "issue 23: the fold of pending changes",
    ("added", "COMMENT", r"FUNCTION ward_rollups_fold\(p_wait boolean\)"): "issue 23: its comment",
    ("added", "ACL", r"FUNCTION ward_rollups_fold\(p_wait boolean\)"): "issue 23: not executable by PUBLIC",
    ("changed", "FUNCTION", r"(post_rollup_apply|refresh_ward_analytics)\(.*\)"):
        "issue 23: they write the *_folded tables; the rebuild folds first",
    ("changed", "COMMENT",
     r"(FUNCTION (post_rollup_apply|refresh_ward_analytics)\(.*\)|TYPE ward_post_delta)"):
        "issue 23: say so",
    ("changed", "VIEW", r"daily_ward_trends"):
        "issue 23: daily authors counted from the folded table, then what is pending adds or removes",
    ("changed", "FUNCTION", r"ward_notify_new_rows\(\)"):
        "issue 23: the post channel's name computed inline (a ward_channel() call is planned again in "
        "every transaction)",
    ("changed", "COMMENT", r"FUNCTION find_similar_content\(.*\)"):
        "issue 23: says how it searches now (exact distance once per candidate, Hamming for small wards)",
    ("changed", "INDEX", r"ix_embedding_hnsw_te3_large"):
        "issue 23: the 3072-d graph is built with m = 24, ef_construction = 100 (recall at a low ef_search)",
    # Budget slices (issue 23): made with the budgets' tables, and the budget functions that use them
    # defined once, in place (no later change redefines them).
    ("added", "TABLE", r"ai_budget_slice"): "issue 23: a sliced budget's headroom",
    ("added", "ACL", r"TABLE ai_budget_slice"): "issue 23: admins may not write it by hand",
    ("added", "CONSTRAINT", r"ai_budget_slice ai_budget_slice_pkey"): "issue 23: one row per slice",
    ("added", "FK CONSTRAINT", r"ai_budget_slice fk_ai_budget_slice_budget"): "issue 23: a slice's budget",
    ("added", "COMMENT", r"(TABLE ai_budget_slice|COLUMN ai_budget_slice\..*)"):
        "issue 23: the slices' comments",
    ("changed", "TABLE", r"ai_budget_tracker"): "issue 23: slice_count",
    ("added", "COMMENT", r"COLUMN ai_budget_tracker\.slice_count"): "issue 23: its comment",
    ("changed", "TABLE", r"ai_budget_reservation"): "issue 23: booked (what the budget row holds of it)",
    ("added", "COMMENT", r"COLUMN ai_budget_reservation\.booked"): "issue 23: its comment",
    ("added", "INDEX", r"ix_ai_budget_reservation_unfolded"):
        "issue 23: reservations ai_budget_fold() has to fold",
    ("added", "COMMENT", r"INDEX ix_ai_budget_reservation_unfolded"): "issue 23: its comment",
    ("removed", "INDEX", r"ix_ai_budget_reservation_budget"):
        "issue 23: no reader; every row version of a reservation paid an entry in it",
    ("removed", "COMMENT", r"INDEX ix_ai_budget_reservation_budget"): "issue 23: went with it",
    # The fold and the slices' refill (code/ledger/budgets/slices/fold) come ahead of the reserve and
    # settle code that calls them, so a plan deployed up to any change is consistent.
    ("added", "FUNCTION",
     r"ai_budget_fold\(bigint\)|ai_budget_slices_(take_back\(bigint\)|refill\(bigint, numeric\)|drain\(\))"
     r"|ai_jsonb_merge\(jsonb, jsonb\)"):
        "issue 23: a sliced budget's fold, take-back, refill and drain",
    ("added", "COMMENT",
     r"FUNCTION (ai_budget_fold\(.*\)|ai_budget_slices_(take_back|refill|drain)\(.*\)|ai_jsonb_merge\(.*\))"):
        "issue 23: their comments",
    ("added", "ACL", r"FUNCTION (ai_budget_fold\(.*\)|ai_budget_slices_(take_back|refill|drain)\(.*\))"):
        "issue 23: not executable by PUBLIC (the fold: lokdarpan_app and admins)",
    ("added", "TRIGGER", r"ai_budget_tracker ai_budget_tracker_slices_drain"):
        "issue 23: a changed limit takes the slices' allowance back",
    ("added", "COMMENT", r"TRIGGER ai_budget_tracker_slices_drain ON ai_budget_tracker"):
        "issue 23: its comment",
    ("removed", "INDEX", r"ix_ai_exec_id"):
        "issue 23: the primary key (id, created_at) finds an execution by id; inserts paid a second entry",
    ("removed", "COMMENT", r"INDEX ix_ai_exec_id"): "issue 23: went with it",
    ("removed", "INDEX", r"ai_model_execution_(default|p\d{4}_\d{2})_id_idx\d*"):
        "issue 23: ix_ai_exec_id's partitions went with it",
    ("removed", "INDEX ATTACH", r"ai_model_execution_(default|p\d{4}_\d{2})_id_idx\d*"):
        "issue 23: ix_ai_exec_id's partitions went with it",
    ("changed", "FUNCTION",
     r"ai_budget_(reserve|settle|release|expire_reservations)\(.*\)|ai_budget_consistency\(\)"):
        "issue 23: a sliced budget's reservations taken from and closed through its slices, folded, counted",
    ("changed", "COMMENT",
     r"FUNCTION (ai_budget_(reserve|settle|expire_reservations)\(.*\)|ai_budget_consistency\(\))"):
        "issue 23: they say what a sliced budget does",
    # Issue 21: the votes-add-up check once per transaction, set-based, over a queue of the stations
    # it touched (no no-op update of polling_station_result per station and statement).
    ("added", "TABLE", r"polling_station_result_check_(queue|pending)"):
        "issue 21: the stations a transaction touched, and its one pending check",
    ("added", "ACL", r"TABLE polling_station_result_check_(queue|pending)"): "issue 21: no role writes them",
    ("added", "COMMENT", r"(TABLE|COLUMN) polling_station_result_check_(queue|pending)\b.*"):
        "issue 21: their comments",
    ("added", "CONSTRAINT",
     r"polling_station_result_check_(queue|pending) polling_station_result_check_\w+_pkey"):
        "issue 21: one row per transaction and station; one per transaction",
    ("added", "FUNCTION", r"polling_station_result_queue_check\(\)"):
        "issue 21: the statement trigger that queues the touched stations",
    ("added", "COMMENT", r"FUNCTION polling_station_result_queue_check\(\)"): "issue 21: its comment",
    ("added", "ACL", r"FUNCTION polling_station_result_queue_check\(\)"):
        "issue 21: not executable by PUBLIC",
    ("added", "TRIGGER",
     r"(polling_station_result polling_station_result_queue_check_(insert|update)"
     r"|result_ps result_ps_queue_check_(insert|update|delete))"):
        "issue 21: each statement queues the stations it touched",
    ("added", "TRIGGER", r"polling_station_result_check_pending chk_polling_station_result_votes_add_up"):
        "issue 21: the deferred check, once per transaction, on its pending row (same name)",
    ("removed", "TRIGGER",
     r"(polling_station_result chk_polling_station_result_votes_add_up"
     r"|result_ps result_ps_touch_stations_\w+)"):
        "issue 21: replaced by the queue and the one check per transaction",
    ("removed", "FUNCTION", r"result_ps_touch_stations\(\)"):
        "issue 21: replaced by polling_station_result_queue_check()",
    ("removed", "COMMENT", r"FUNCTION result_ps_touch_stations\(\)"): "issue 21: went with it",
    ("removed", "ACL", r"FUNCTION result_ps_touch_stations\(\)"): "issue 21: went with it",
    ("changed", "FUNCTION", r"polling_station_result_check_sum\(\)"):
        "issue 21: checks the transaction's queued stations set-based (security definer)",
    ("changed", "COMMENT", r"FUNCTION polling_station_result_check_sum\(\)"): "issue 21: says so",
    ("removed", "INDEX", r"ix_result_ps_party"):
        "issue 21: nothing reads result_ps by party; a sixth of a Form 20 load's server CPU",
    ("removed", "COMMENT", r"INDEX ix_result_ps_party"): "issue 21: went with it",
    ("changed", "TABLE", r"result_ps"):
        "issue 21: no surrogate id; a row is its key result_ps_candidate_key (nothing read the id; "
        "its sequence call and index were a quarter of a row's insert CPU)",
    ("removed", "CONSTRAINT", r"result_ps result_ps_pkey"): "issue 21: went with the id",
    ("changed", "CONSTRAINT", r"result_ps result_ps_candidate_key"):
        "issue 21: the natural key is the primary key now (same columns, same single index)",
    ("removed", "SEQUENCE", r"result_ps_id_seq"): "issue 21: went with the id",
    ("removed", "ACL", r"SEQUENCE result_ps_id_seq"): "issue 21: went with the id",
    ("removed", "COMMENT", r"COLUMN result_ps\.id"): "issue 21: went with the id",
}

# Changes without a table that keep their pre-split names (later changes require them): they hold
# code only and follow the code-change rules. change -> reason.
CODE_ONLY: dict[str, str] = {
    "clock": "lokdarpan_now() and its twins, which every created_at default reads; and a role",
    "analytics/ward_dashboards": "the dashboard views and get_ward_competitive_analysis()",
    "analytics/ward_notify": "the NOTIFY trigger on post and alert",
}

# Functions a schema change may define because a table needs them when it is created (a check
# constraint, a default or a generated column calls them): change -> {function name: reason}.
TABLE_NEEDS: dict[str, dict[str, str]] = {
    "users": {
        "password_hash_scheme": "check constraint user_password_hash_format",
        "username_problem": "check constraint user_username_not_blank",
        "fernet_token_problem": "check constraint user_email_fernet_token",
    },
    "wards": {
        "ward_boundary_problem": "check constraint ward_boundary_geojson",
        "ward_boundary_bbox": "generated column ward.bbox",
    },
    "alerts": {
        "jsonb_is_url_array": "check constraint alert_source_articles_urls",
    },
    "electoral/geography": {"geojson_geometry": "index ix_ward_geometry is on geojson_geometry(boundary)"},
    "electoral/parties": {"party_normalise": "check constraint chk_party_alias_normalised"},
    "ledger/executions": {
        "ai_execution_ensure_partitions": "the change makes ai_model_execution's first months with it",
    },
    "ledger/budgets": {"ai_is_usd_map": "the check constraints of ai_budget_tracker's per-key USD maps"},
    "vectors/embedding_store": {"embedding_content_hash": "generated column ai_embedding_store.content_hash"},
    "maintenance/integrity": {
        "integrity_default_partition_rows": "the change has no table: its probes, create or replace",
        "integrity_partition_gaps": "the change has no table: its probes, create or replace",
    },
}


Entries = dict[tuple[str, str], str]
HEADER = re.compile(r"^-- (?:Data for )?Name: (?P<name>.*); Type: (?P<type>[^;]*); Schema: [^;]*;")


def _dump(url: str) -> str:
    env = libpq_env(url)
    res = subprocess.run(
        [str(pg_bindir() / "pg_dump"), "--schema-only", "--no-owner", "--exclude-schema=sqitch"],
        capture_output=True, text=True, env={**_base_env(), **env}, check=True,
    )
    return res.stdout


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def entries(dump: str) -> Entries:
    """pg_dump's entries by (Type, Name), each body without comment lines, blank lines and the
    \\restrict lines of pg_dump 15.14+."""
    out: dict[tuple[str, str], list[str]] = {}
    key = ("PREAMBLE", "")
    for line in dump.splitlines():
        m = HEADER.match(line)
        if m:
            key = (m["type"], m["name"])
            out.setdefault(key, [])
            continue
        if not line.strip() or line.startswith("--") or line.startswith(("\\restrict ", "\\unrestrict ")):
            continue
        out.setdefault(key, []).append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def differences(before: Entries, after: Entries) -> set[tuple[str, str, str]]:
    diff = {("removed", *k) for k in before.keys() - after.keys()}
    diff |= {("added", *k) for k in after.keys() - before.keys()}
    diff |= {("changed", *k) for k in before.keys() & after.keys() if before[k] != after[k]}
    return diff


def explain(diff: set[tuple[str, str, str]]) -> tuple[list[str], list[str]]:
    """(differences nobody expected, expectations that did not happen)."""
    unexpected = [f"{kind} {typ} {name}" for kind, typ, name in sorted(diff)
                  if not any(k == kind and t == typ and re.fullmatch(n, name) for k, t, n in EXPECTED)]
    missing = [f"{k} {t} {n}: {why}" for (k, t, n), why in EXPECTED.items()
               if not any(kind == k and typ == t and re.fullmatch(n, name) for kind, typ, name in diff)]
    return unexpected, missing


@pytest.fixture(scope="module")
def old_db_tree(tmp_path_factory) -> Path:
    git = shutil.which("git")
    if not git or not (ROOT / ".git").exists():
        pytest.skip("git or the repository's history is missing: cannot rebuild the pre-split plan")
    res = subprocess.run([git, "-C", str(ROOT), "archive", BEFORE_SPLIT, "db"],
                         capture_output=True, check=False)
    if res.returncode != 0:
        pytest.skip(f"commit {BEFORE_SPLIT} (the plan before the split) is not in this clone's history")
    dest = tmp_path_factory.mktemp("before-split")
    with tarfile.open(fileobj=io.BytesIO(res.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "db"


def last_split_change(old_names: set[str], plan: plan_mod.Plan) -> str:
    """The last change of the split: the pre-split changes and the code changes among and right after
    them. Changes appended later (new features, with code changes of their own) are not compared."""
    last = ""
    for change in plan.changes:
        if change.name in old_names:
            last = change.name
        elif change.name.startswith("code/"):
            last = last and change.name
        elif last and not any(c.name in old_names for c in plan.changes[change.index:]):
            break
    return last


@pytest.fixture(scope="module")
def two_dumps(databases: Databases, old_db_tree: Path) -> Iterator[tuple[str, str]]:
    urls = [databases.create("before"), databases.create("after")]
    old = plan_mod.load(old_db_tree / "sqitch.plan")
    new = plan_mod.load(PLAN)
    to = last_split_change({c.name for c in old.changes}, new)
    try:
        with psycopg.connect(urls[0], autocommit=True) as conn:
            Engine(conn, old, TEST_COMMITTER).deploy()
        with psycopg.connect(urls[1], autocommit=True) as conn:
            Engine(conn, new, TEST_COMMITTER).deploy(to=to)
        yield _dump(urls[0]), _dump(urls[1])
    finally:
        for url in urls:
            databases.drop(url)


def test_the_split_plan_deploys_the_same_schema(two_dumps):
    before, after = (entries(d) for d in two_dumps)
    unexpected, missing = explain(differences(before, after))
    assert not unexpected, "schema differs from the plan before the split:\n" + "\n".join(unexpected)
    assert not missing, "expected differences that did not happen (update EXPECTED):\n" + "\n".join(missing)


def test_only_the_split_is_compared(tmp_path):
    body = "%syntax-version=1.0.0\n%project=p\n\n" + "".join(
        f"{n} 2026-01-01T00:00:00Z A <a@b.c> # x\n" for n in
        ("a", "code/a/f", "b", "code/b/g", "code/b/h", "new_feature", "code/new_feature/f"))
    (tmp_path / "sqitch.plan").write_text(body)
    assert last_split_change({"a", "b"}, plan_mod.load(tmp_path / "sqitch.plan")) == "code/b/h"


def test_the_comparison_sees_a_changed_body():
    before = entries("-- Name: f(); Type: FUNCTION; Schema: public; Owner: -\ncreate function f() ...;\n")
    after = entries("-- Name: f(); Type: FUNCTION; Schema: public; Owner: -\n\ncreate function f() ..;\n")
    assert differences(before, after) == {("changed", "FUNCTION", "f()")}
    assert differences(before, before) == set()


def _changes() -> list[plan_mod.Change]:
    return [c for c in plan_mod.load(PLAN).changes if not c.is_reworked]


def _is_code(name: str) -> bool:
    return name.startswith("code/") or name in CODE_ONLY


def _deploy_sql(change: plan_mod.Change) -> str:
    return change.script_name(PLAN.parent, "deploy").read_text()


def _statements(sql: str) -> list[str]:
    """The script's top-level statements, lower-cased, as the engine splits them (comments before a
    statement and string or dollar-quoted bodies never start one)."""
    return [stmt.sql.lower() for stmt in split(sql)]


def test_no_change_is_over_400_lines():
    long = {c.name: n for c in _changes() if (n := len(_deploy_sql(c).splitlines())) > MAX_LINES}
    assert not long, f"deploy scripts over {MAX_LINES} lines: {long}"


CREATE_CODE = re.compile(r"create\s+(or\s+replace\s+)?(function|procedure|view)\s+([\w.\"]+)")
CREATE_TABLE = re.compile(r"create\s+((unlogged|temp|temporary)\s+)?table\b|create\s+(unique\s+)?index\b")


def test_code_changes_make_no_tables_and_replace_their_code():
    problems = []
    for change in _changes():
        if not _is_code(change.name):
            continue
        for stmt in _statements(_deploy_sql(change)):
            if CREATE_TABLE.match(stmt):
                problems.append(f"{change.name}: {stmt[:60]!r}: tables and indexes belong in a schema change")
            if (m := CREATE_CODE.match(stmt)) and not m[1]:
                problems.append(f"{change.name}: create {m[2]} {m[3]} without `or replace`")
    assert not problems, "\n".join(problems)


FUNCTION_RETURNS = re.compile(
    r"create\s+(?:or\s+replace\s+)?function\s+(?:public\.)?([\w\"]+)\s*\((?:[^()]|\([^()]*\))*\)\s*returns\s+(\w+)")


def functions_returning(sql: str) -> list[tuple[str, str]]:
    """(name, first word of its return type) of every function the script creates."""
    return [(m[1].strip('"'), m[2]) for stmt in _statements(sql) if (m := FUNCTION_RETURNS.match(stmt))]


def test_schema_changes_hold_only_the_functions_their_tables_need():
    problems = []
    for change in _changes():
        if _is_code(change.name):
            continue
        allowed = TABLE_NEEDS.get(change.name, {})
        for name, returns in functions_returning(_deploy_sql(change)):
            if returns != "trigger" and name not in allowed:
                problems.append(f"{change.name}: function {name} belongs in a code change")
    assert not problems, "\n".join(problems)


def test_the_statement_checks_see_what_they_must():
    sql = ("-- create function h() returns int\n"
           "create function public.f(a text, b numeric(5, 2) default 1)\n"
           "returns table (x int) language sql as $$ select 'create table x (a int)' $$;\n"
           "comment on function f(text, numeric) is 'create index';\n"
           "create or replace function g() returns trigger language plpgsql as $$ begin end $$;")
    assert functions_returning(sql) == [("f", "table"), ("g", "trigger")]
    assert [s for s in _statements(sql) if CREATE_TABLE.match(s)] == []
    assert CREATE_TABLE.match("create unlogged table t (a int)")
