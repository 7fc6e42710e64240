"""Passwords of the database a command talks to (issue 18, the two Low findings about them):
no error shows one, even for a malformed conninfo or URL; a password given in `--db` (visible in
`ps`) gets a one-line warning; PGPASSFILE, ~/.pgpass and service files work instead."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from lokdarpan_db.connect import PASSWORD_WARNING
from lokdarpan_db.errors import LokdarpanError, redact

# (what is given, the pieces of the password that must not appear anywhere in the output)
MALFORMED = [
    ("host=x password=Sekret-7Q user=y dbname", ["Sekret-7Q"]),  # the reported one
    ("host=x password='Sekret-7Q user=y", ["Sekret-7Q"]),  # unterminated quote
    ("host=x password='Sek ret-7Q' user=y dbname", ["Sek ret-7Q", "ret-7Q"]),
    ("password=Sekret-7Q foo=bar", ["Sekret-7Q"]),  # unknown keyword
    ("host=x password=Sekret\\ 7Q user", ["Sekret", "7Q user"]),  # escaped space
    ("postgresql://u:Sekret-7Q@h:5432/db?bogus=1", ["Sekret-7Q"]),  # unknown query parameter
    ("postgresql://u:Sek ret-7Q@[::1/db", ["Sek ret-7Q", "ret-7Q"]),  # libpq quotes "Sek ret-7Q"
    ("postgresql://u:Sekret%zz7Q@h/db", ["Sekret%zz7Q", "Sekret"]),  # libpq quotes the bad token
    ("postgresql://h/db?password=Sekret-7Q&bogus=1", ["Sekret-7Q"]),
    ("db:pg://u:Sekret-7Q@h/db?sslmode=bogus", ["Sekret-7Q"]),
    ("postgresql://u:Sekret-7Q@/db?host=/nonexistent&port=1", ["Sekret-7Q"]),  # cannot connect
    ("host=/nonexistent port=1 dbname=x password='Sekret 7Q'", ["Sekret 7Q", "Sekret"]),
]


@pytest.mark.parametrize(("dsn", "secrets"), MALFORMED, ids=[d for d, _ in MALFORMED])
@pytest.mark.parametrize("via", ["--db", "LOKDARPAN_DATABASE_URL"])
def test_no_error_shows_the_password_of_a_bad_dsn(run_cli, dsn: str, secrets: list[str], via: str):
    if via == "--db":
        res = run_cli("--db", dsn, "status")
    else:
        res = run_cli("status", env={"LOKDARPAN_DATABASE_URL": dsn})
    # docs/cli.md: a DSN that cannot be parsed is bad input (2); one that parses but cannot be
    # reached cannot run (3). Either way the password is never shown.
    assert res.returncode in (2, 3), (res.stdout, res.stderr)
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, res.stderr
    for secret in secrets:
        assert secret not in res.stdout + res.stderr


def test_every_library_error_is_redacted():
    error = LokdarpanError("bad: 'host=h password=Sekret-7Q user=u'")
    assert str(error) == "bad: 'host=h password=*** user=u'"
    assert redact("see postgresql://ops:Sekret-7Q@db.internal:5432/x now") == (
        "see postgresql://ops:***@db.internal:5432/x now")
    assert redact("postgresql://db.internal/x?user=u&password=Sekret-7Q") == (
        "postgresql://db.internal/x?user=u&password=***")
    assert redact("PASSWORD = 'it''s a secret' host=h") == "PASSWORD = *** host=h"
    assert redact("password='it\\'s a secret' host=h") == "password=*** host=h"
    # no password, nothing changed
    quiet = "cannot connect to lokdarpan at db.internal:5432: timeout; mail dba@example.org"
    assert redact(quiet) == quiet


# ---------------------------------------------------------------- --db with a password, and instead


@pytest.fixture()
def socket_target(pg_admin_url: str) -> dict[str, str]:
    """The test server's address and the password its passfile holds (our own clusters only)."""
    params = {k: str(v) for k, v in conninfo_to_dict(pg_admin_url).items()}
    if not params.get("passfile"):
        pytest.skip("the test server is not one of our clusters (no passfile)")
    password = Path(params["passfile"]).read_text().strip().rsplit(":", 1)[1]
    return {"host": params["host"], "port": params["port"], "password": password}


def _bare(t: dict[str, str]) -> str:
    """The server's socket URL with no password and no passfile."""
    return f"postgresql://postgres@/postgres?host={t['host']}&port={t['port']}"


def _private(path: Path, text: str) -> Path:
    path.write_text(text)
    os.chmod(path, 0o600)
    return path


def test_a_password_in_db_gets_a_warning_not_an_echo(run_cli, socket_target):
    with_password = f"{_bare(socket_target)}&password={socket_target['password']}"
    res = run_cli("--db", with_password, "--json", "status")
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip().splitlines() == [PASSWORD_WARNING]
    assert socket_target["password"] not in res.stdout + res.stderr
    keyword = f"host={socket_target['host']} port={socket_target['port']} user=postgres " \
              f"dbname=postgres password={socket_target['password']}"
    assert run_cli("--db", keyword, "--json", "status").stderr.strip() == PASSWORD_WARNING


def test_without_a_password_the_server_refuses(run_cli, socket_target, tmp_path: Path):
    res = run_cli("--db", _bare(socket_target), "--json", "status", env={"HOME": str(tmp_path)})
    assert res.returncode == 3 and "no password supplied" in res.stderr, res.stderr


def test_pgpassfile_supplies_the_password(run_cli, socket_target, tmp_path: Path):
    passfile = _private(tmp_path / "pgpass", f"*:*:*:postgres:{socket_target['password']}\n")
    res = run_cli("--db", _bare(socket_target), "--json", "status",
                  env={"PGPASSFILE": str(passfile), "HOME": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""  # no warning: no password on the command line


def test_home_pgpass_supplies_the_password(run_cli, socket_target, tmp_path: Path):
    _private(tmp_path / ".pgpass", f"*:*:*:postgres:{socket_target['password']}\n")
    res = run_cli("--db", _bare(socket_target), "--json", "status", env={"HOME": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""


def test_a_service_file_names_the_database(run_cli, socket_target, tmp_path: Path):
    passfile = _private(tmp_path / "pgpass", f"*:*:*:postgres:{socket_target['password']}\n")
    services = _private(tmp_path / "pg_service.conf", (
        "[lokdarpan_test]\n"
        f"host={socket_target['host']}\nport={socket_target['port']}\n"
        f"user=postgres\ndbname=postgres\npassfile={passfile}\n"))
    env = {"PGSERVICEFILE": str(services), "HOME": str(tmp_path)}
    res = run_cli("--db", "service=lokdarpan_test", "--json", "status", env=env)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    res = run_cli("--json", "status", env={**env, "PGSERVICE": "lokdarpan_test"})  # PG* environment
    assert res.returncode == 0, res.stderr
    res = run_cli("--db", "service=no_such_service", "--json", "status", env=env)
    assert res.returncode == 3, res.stderr  # --json: the error is one JSON object on stderr
    assert 'definition of service "no_such_service" not found' in json.loads(res.stderr)["message"]
