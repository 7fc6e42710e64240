"""The exit-code contract (docs/cli.md), as a table of (verb, situation) -> exit code for every verb
group: 0 ok, 1 the check found problems, 2 bad usage or input, 3 cannot run (unreachable database,
no privilege, read-only); `health` and `integrity` 0/1/2/3 = OK/WARN/CRITICAL/UNKNOWN. Every error
is one line on stderr, or with --json one JSON object {code, message, exit} on stderr. In-process
(lokdarpan_db.cli.run) against a real server; the hot standby's rows are in
tests/replica/test_standby_exits.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from lokdarpan_db.cli import run
from lokdarpan_db.errors import SQLSTATE_EXITS, DatabaseError, exit_for_sqlstate

INVALIDATE = "update pg_index set indisvalid = %s where indexrelid = 'public.ix_post_author'::regclass"
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nowhere"
FIELD_KEY = "x6AHmIpzSgOUXyWwQGPKfVq0WAxxoEtXNZBFbpzTzl0="  # a Fernet key, for the keys verbs
BACKUP_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, base64

# One (or more) verb of every group, as a DBA types it.
EVERY_GROUP = [
    ["deploy"], ["plan"], ["revert", "-y"], ["verify"], ["status"], ["log"], ["check"],
    ["import", "wards"], ["refresh"], ["ward", "1"], ["schedule"], ["watch", "1"],
    ["health"], ["integrity"], ["report", "index-usage"], ["partitions"], ["cleanup", "--dry-run"],
    ["keys", "check"], ["backup", "create"], ["backup", "drill"],
]


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("LOKDARPAN_FIELD_KEYS", FIELD_KEY)
    monkeypatch.setenv("LOKDARPAN_BACKUP_KEY", BACKUP_KEY)
    monkeypatch.setenv("LOKDARPAN_BACKUP_DEST", str(tmp_path))
    monkeypatch.delenv("LOKDARPAN_BACKUP_KEY_FILE", raising=False)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The error: one line, the last on stderr (notices such as `plan: FILE` may come before it)."""
    captured = capsys.readouterr()
    err = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert err and "Traceback" not in captured.err, captured.err
    assert [ln for ln in err if ln.startswith("error")] == err[-1:], err
    return err[-1]


def _json_error(capsys: pytest.CaptureFixture[str], exit_code: int) -> dict:
    captured = capsys.readouterr()
    err = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert err and "Traceback" not in captured.err, captured.err
    error = json.loads(err[-1])
    assert set(error) == {"code", "message", "exit"} and error["exit"] == exit_code, error
    assert not any(ln.startswith("error") for ln in err), err
    return error


# ------------------------------------------------------------------------- the database cannot be reached


@pytest.mark.parametrize("argv", EVERY_GROUP, ids=" ".join)
def test_an_unreachable_database_is_exit_3_for_every_verb(argv: list[str], capsys):
    assert run(["--db", UNREACHABLE, *argv]) == 3
    assert _one_error_line(capsys).startswith("error: cannot connect to nowhere at 127.0.0.1:1")
    assert run([*argv, "--json", "--db", UNREACHABLE]) == 3  # --json after the verb, as anywhere
    error = _json_error(capsys, 3)
    assert error["code"] == "connection_failed" and "cannot connect" in error["message"]


# ------------------------------------------------------------------------------------------- the table


@pytest.fixture(scope="module")
def reader(db_url: str) -> Iterator[str]:
    """A login with lokdarpan_readonly only: enough to read, not to write or rebuild."""
    role = f"exits_reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"create role {role} login password '{role}' in role lokdarpan_readonly")
    yield make_conninfo(db_url, user=role, password=role)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"drop owned by {role}")
        conn.execute(f"drop role {role}")


@pytest.fixture()
def files(tmp_path) -> dict[str, str]:
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")
    return {"{csv}": str(csv), "{missing}": str(tmp_path / "nope.csv"), "{tmp}": str(tmp_path),
            "{nodir}": str(tmp_path / "no-such-dir"), "{noplan}": str(tmp_path / "db" / "sqitch.plan")}


TABLE = [
    # bad usage or input: 2
    ("bad input", ["deploy", "--to", "nosuch"], 2),
    ("bad input", ["deploy", "--no-such-option"], 2),
    ("bad input", ["ward", "No Such Ward"], 2),
    ("bad input", ["ward", "1", "--days", "0"], 2),
    ("bad input", ["import", "wards", "--zones", "{missing}"], 2),
    ("bad input", ["import", "form20", "{csv}", "--pc", "0"], 2),
    ("bad input", ["refresh", "everything"], 2),
    ("bad input", ["cleanup", "--batch-size", "0"], 2),
    ("bad input", ["report", "slow-queries", "--limit", "0"], 2),
    ("bad input", ["keys", "rotate", "--batch-size", "0"], 2),
    ("bad input", ["backup", "list", "--dest", "{nodir}"], 2),
    ("bad input", ["cluster", "url", "--plan", "{noplan}"], 2),
    # health and integrity: anything that stops the check is UNKNOWN, never 2 (CRITICAL / FAIL)
    ("bad input", ["health", "--no-such-option"], 3),
    ("bad input", ["integrity", "--only", "no_such_check"], 3),
    ("bad input", ["integrity", "--no-such-option"], 3),
    # the check found problems: 1
    ("check finds", ["cluster", "status", "--plan", "{noplan}"], 1),
    ("check finds", ["integrity"], 1),  # an invalid index: WARN
    ("check finds", ["health"], 1),  # a slow ward query: WARNING
    # (check and verify finding drift: 1, tests/cli/test_cli_inprocess.py)
]


@pytest.fixture()
def warned(db_url: str) -> Iterator[str]:
    """The database with an invalid index (integrity WARN, a failing verify) and a slow sample
    (health WARNING)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(INVALIDATE % "false")
        conn.execute(
            """insert into ai_system_metrics (metric_name, metric_category, metric_scope, metric_value,
                   metric_unit, period_start, period_end, aggregation_type)
               values ('ward_query_latency', 'performance', 'system', 150, 'ms', lokdarpan_now(),
                       lokdarpan_now(), 'p95')""")
    yield db_url
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(INVALIDATE % "true")
        conn.execute("delete from ai_system_metrics where metric_name = 'ward_query_latency'")


@pytest.mark.parametrize(("situation", "argv", "code"), TABLE, ids=[" ".join(a) for _s, a, _c in TABLE])
def test_exit_code_table(situation: str, argv: list[str], code: int, warned: str, files, capsys):
    args = [files.get(a, a) for a in argv]
    assert run(["--db", warned, *args]) == code, capsys.readouterr().err
    if situation == "bad input":
        assert _one_error_line(capsys).startswith("error: ")
        assert run(["--db", warned, "--json", *args]) == code
        _json_error(capsys, code)


# ----------------------------------------------------------------------------- no privilege: 3

PRIVILEGED = [
    ["refresh"],
    ["refresh", "electoral"],
    ["partitions", "--maintain"],
    ["cleanup", "--dry-run"],
    ["import", "wards"],
    ["report", "slow-queries"],
    ["deploy"],
    ["schedule", "install"],
    ["status"],  # the registry (schema sqitch) is the deployer's
    ["partitions"],  # pg_partman's configuration is the owner's
]


@pytest.mark.parametrize("argv", PRIVILEGED, ids=" ".join)
def test_no_privilege_is_exit_3(argv: list[str], reader: str, capsys):
    assert run(["--db", reader, *argv]) == 3, capsys.readouterr().err
    assert _one_error_line(capsys).startswith("error: ")
    assert run(["--db", reader, "--json", *argv]) == 3
    _json_error(capsys, 3)


READS = [["integrity"], ["keys", "check"], ["report", "index-usage"], ["health"]]


@pytest.mark.parametrize("argv", READS, ids=" ".join)
def test_a_readonly_login_reads(argv: list[str], reader: str, capsys):
    assert run(["--db", reader, *argv]) == 0, capsys.readouterr().err


# ------------------------------------------------------- a read-only database: SQLSTATE 25006 is 3 too


@pytest.fixture()
def read_only(databases) -> Iterator[str]:
    url = databases.create("ro")
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"alter database {name} set default_transaction_read_only = on")
    yield url
    databases.drop(url)


def test_a_read_only_database_is_exit_3(read_only: str, capsys):
    assert run(["--db", read_only, "deploy", "--to", "clock"]) == 3
    line = _one_error_line(capsys)
    assert line.startswith("error: ") and "read-only" in line, line


# ------------------------------------------------------------------------ the SQLSTATE table, itself


@pytest.mark.parametrize(("error", "code"), [
    (psycopg.errors.InvalidParameterValue, 2),  # 22023: a function refused a value
    (psycopg.errors.NumericValueOutOfRange, 2),  # 22003
    (psycopg.errors.CheckViolation, 2),  # 23514
    (psycopg.errors.UniqueViolation, 2),  # 23505
    (psycopg.errors.RaiseException, 2),  # P0001
    (psycopg.errors.NoDataFound, 2),  # P0002
    (psycopg.errors.InsufficientPrivilege, 3),  # 42501
    (psycopg.errors.ConnectionFailure, 3),  # 08006
    (psycopg.errors.ReadOnlySqlTransaction, 3),  # 25006: a standby
    (psycopg.errors.CannotConnectNow, 3),  # 57P03
    (psycopg.errors.InvalidPassword, 3),  # 28P01
    (psycopg.errors.UndefinedTable, 3),  # 42P01: not deployed here
    (psycopg.errors.DiskFull, 3),  # 53100
    (psycopg.errors.DeadlockDetected, 1),  # 40P01: the operation failed; retry
    (psycopg.errors.SyntaxError, 1),  # 42601: a bug
    (psycopg.errors.LockNotAvailable, 1),  # 55P03
])
def test_sqlstates_map_to_exit_codes_in_one_table(error: type[psycopg.Error], code: int):
    assert exit_for_sqlstate(error.sqlstate) == code
    failure = DatabaseError.of(error("boom"))
    assert failure.exit_code == code and failure.code == f"sqlstate_{error.sqlstate}"


def test_an_unknown_sqlstate_is_a_failed_operation():
    assert exit_for_sqlstate("XX000") == 1 and exit_for_sqlstate(None) == 1
    assert all(len(k) in (2, 5) for k in SQLSTATE_EXITS)
    assert DatabaseError.of(psycopg.OperationalError("server closed the connection")).exit_code == 3


# --------------------------------------------------- options mean the same at any level, --json everywhere


def test_backup_options_are_accepted_after_the_subcommand_and_win(db_url: str, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = tmp_path / "missing"
    argv = ["--db", db_url, "backup", "--dest", str(missing), "list", "--dest", str(empty), "--json"]
    assert run(argv) == 0
    assert json.loads(capsys.readouterr().out) == {"backups": [], "leftovers": []}
    assert run(["backup", "--json", "--db", db_url, "list", "--dest", str(missing)]) == 2
    assert str(missing) in _json_error(capsys, 2)["message"]
    assert run(["--db", db_url, "backup", "list", "--dest", str(empty), "--key-file", str(missing)]) == 2
    assert str(missing) in _one_error_line(capsys)


def test_cluster_honours_json_at_any_level(files, capsys):
    assert run(["cluster", "--json", "status", "--plan", files["{noplan}"]]) == 1
    status = json.loads(capsys.readouterr().out)
    assert status["initialized"] is False and status["running"] is False
    assert run(["--plan", files["{noplan}"], "cluster", "url", "--json"]) == 2
    assert "cluster init" in _json_error(capsys, 2)["message"]


def test_pc_is_a_number_in_both_importers(db_url: str, files, capsys):
    from lokdarpan_db.cli import cli

    imports = cli.commands["import"].commands  # type: ignore[attr-defined]
    def shown_pc(verb: str) -> list:
        return [p for p in imports[verb].params if "--pc" in getattr(p, "opts", ()) and not p.hidden]

    assert shown_pc("form20")[0].type.name == "integer range" and not shown_pc("results")
    assert run(["--db", db_url, "import", "form20", files["{csv}"], "--pc", "x"]) == 2
    assert "'x' is not a valid integer" in _one_error_line(capsys)
    # `import results --pc` (the old flag) still works, and says it is deprecated: --level PC
    assert run(["--db", db_url, "import", "results", files["{missing}"], "--pc"]) == 2
    err = capsys.readouterr().err
    assert "--pc` is deprecated: use --level PC" in err and "nope.csv" in err.splitlines()[-1]
