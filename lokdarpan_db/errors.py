"""Errors the library raises, and the CLI's exit codes: decided here, once (docs/cli.md).

Every error carries the exit code the CLI uses and a one-line message:
  0 OK          the verb did what was asked (a check found nothing);
  1 PROBLEMS    the check found problems (WARN, drift, verify failed) or the operation failed;
  2 BAD_INPUT   bad usage or input (malformed plan, unknown target, a value the database refuses);
  3 CANNOT_RUN  cannot run here (unreachable database, no privilege, a read-only standby, the
                changes not deployed, a busy database under --refuse-if-busy, a missing extra).
`health` and `integrity` keep the monitoring convention 0/1/2/3 = OK/WARN/CRITICAL/UNKNOWN: every
error of theirs, usage errors included, is UNKNOWN (3), so an outage is never read as a finding.
A database error maps by its SQLSTATE through SQLSTATE_EXITS, for every verb alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

OK = 0
PROBLEMS = 1
BAD_INPUT = 2
CANNOT_RUN = 3
INTERRUPTED = 130
# The monitoring convention of `health` and `integrity` (Nagios plugin guidelines).
MONITOR_OK, MONITOR_WARN, MONITOR_CRITICAL, MONITOR_UNKNOWN = 0, 1, 2, 3
MONITORING_VERBS = ("health", "integrity")

# SQLSTATE (a class of two characters, or a full code) -> exit code; the longest match wins, else
# PROBLEMS. https://www.postgresql.org/docs/15/errcodes-appendix.html
SQLSTATE_EXITS: dict[str, int] = {
    "22": BAD_INPUT,  # data exception: a value out of range, invalid (22023), malformed
    "23": BAD_INPUT,  # integrity constraint violation: a check, a key, not null
    "P0001": BAD_INPUT,  # raise_exception: a function refused its input
    "P0002": BAD_INPUT,  # no_data_found: no such ward, election, …
    "08": CANNOT_RUN,  # connection exception
    "28": CANNOT_RUN,  # invalid authorization (wrong password, no such role)
    "3D000": CANNOT_RUN,  # the database does not exist
    "42501": CANNOT_RUN,  # insufficient privilege
    "42P01": CANNOT_RUN,  # undefined table: the changes are not deployed here
    "42883": CANNOT_RUN,  # undefined function: the changes are not deployed here
    "3F000": CANNOT_RUN,  # invalid schema name: the changes are not deployed here
    "25006": CANNOT_RUN,  # read-only transaction: a hot standby
    "53": CANNOT_RUN,  # insufficient resources: disk full, out of memory, too many connections
    "55000": CANNOT_RUN,  # object not in prerequisite state
    "57P01": CANNOT_RUN,  # admin shutdown
    "57P02": CANNOT_RUN,  # crash shutdown
    "57P03": CANNOT_RUN,  # cannot connect now: starting up, or a standby not accepting reads
}


def exit_for_sqlstate(sqlstate: str | None) -> int:
    """The exit code of a database error with this SQLSTATE (SQLSTATE_EXITS; else PROBLEMS)."""
    code = (sqlstate or "").upper()
    for key in (code, code[:2]):
        if key and key in SQLSTATE_EXITS:
            return SQLSTATE_EXITS[key]
    return PROBLEMS

# password=VALUE in a keyword conninfo or a URL's query: a quoted value (maybe unterminated), or an
# unquoted one up to white space (a quote inside it is part of it; a quote just before white space
# or the end is taken as the one closing the text around it).
_UNQUOTED = r"(?:\\.|[^\s\\'\"&])+(?:(?:['&]|\"(?=[^\s:,]))(?:\\.|[^\s\\'\"&])+)*"
_KEYWORD_PASSWORD = re.compile(rf"""(\bpassword\s*=\s*)((?:'(?:\\.|[^'\\])*'?)+|{_UNQUOTED})""", re.I)
# scheme://user:PASSWORD@ (a password with white space in it is found by passwords_in()).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:)[^\s@]*@")
MASK = "***"


def passwords_in(conninfo: str) -> list[str]:
    """Every string that may be a password in a conninfo or URL, malformed ones included: the
    value of each password=…, the userinfo password of a URL (raw and percent-decoded), and their
    pieces, so that a parser's message quoting part of one can be redacted too."""
    found: list[str] = []
    for m in _KEYWORD_PASSWORD.finditer(conninfo):
        value = m.group(2)
        found += [value, value.strip("'"), re.sub(r"\\(.)", r"\1", value.strip("'"))]
    m = re.search(r"://[^:/@\s]*:(.*)@", conninfo, flags=re.S)
    if m:
        found += [m.group(1), unquote(m.group(1))]
    pieces = [piece for value in found for piece in re.split(r"[\s/?#&@']+", value)]
    return sorted({s for s in found if len(s) >= 3} | {s for s in pieces if len(s) >= 4},
                  key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every password a conninfo or URL in it carries replaced by ***: password=…
    (keyword or query form, quoted or not) and user:…@ of a URL, plus each of `secrets` (the
    `passwords_in()` of the conninfo the message is about) wherever it appears."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _KEYWORD_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)


class LokdarpanError(Exception):
    """Base class: str(error) is the one line shown to the user, with any password a conninfo or
    URL in it carries replaced by *** (docs/security.md, issue-18 findings). `code` names the kind
    of error for machines (`--json`): the class name in snake case without "Error"."""

    exit_code = PROBLEMS

    @property
    def code(self) -> str:
        name = type(self).__name__.removesuffix("Error")
        return "failed" if name == "Lokdarpan" else re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

    def __str__(self) -> str:
        return redact(super().__str__())


class BadInputError(LokdarpanError):
    """The user asked for something that cannot be done as asked (exit 2)."""

    exit_code = BAD_INPUT


class CannotRunError(LokdarpanError):
    """The verb cannot run here: the database is unreachable, the login lacks a privilege, the
    server is a read-only standby, the changes are not deployed, an extra is not installed (exit 3)."""

    exit_code = CANNOT_RUN


class DatabaseError(LokdarpanError):
    """A database error, its exit code from its SQLSTATE (SQLSTATE_EXITS), its message one line."""

    def __init__(self, message: str, sqlstate: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.exit_code = exit_for_sqlstate(sqlstate)

    @property
    def code(self) -> str:
        return f"sqlstate_{self.sqlstate}" if self.sqlstate else "database"

    @classmethod
    def of(cls, exc: BaseException, prefix: str = "") -> DatabaseError:
        """The error for a psycopg error: its SQLSTATE and its text on one line (the primary message
        when it has none). An OperationalError with no SQLSTATE (the connection was lost) cannot
        run: exit 3."""
        diag: Any = getattr(exc, "diag", None)
        sqlstate = getattr(exc, "sqlstate", None) or getattr(diag, "sqlstate", None)
        text = " ".join(str(exc).split()) or getattr(diag, "message_primary", None) or type(exc).__name__
        error = cls(f"{prefix}{text}", sqlstate)
        if sqlstate is None and type(exc).__name__ == "OperationalError":
            error.exit_code = CANNOT_RUN
        return error


class PlanError(BadInputError):
    """The plan file is malformed or inconsistent (names file and line)."""


class ScriptMissingError(BadInputError):
    """A deploy/revert/verify script the plan needs does not exist."""


class ScriptEncodingError(BadInputError):
    """A script exists but is not UTF-8 text (PostgreSQL and Sqitch read scripts as UTF-8)."""


class ConnectionFailedError(CannotRunError):
    """The database cannot be reached (exit 3)."""


class RegistryError(LokdarpanError):
    """The registry disagrees with the plan (e.g. a deployed change is not in the plan)."""


class LockTimeoutError(LokdarpanError):
    """Another deployer held the lock for longer than the timeout."""


class BusyDatabaseError(CannotRunError):
    """deploy --refuse-if-busy: a transaction older than the limit is open (exit 3)."""


class ChangeFailedError(LokdarpanError):
    """A change's script failed; the change was rolled back and a 'fail' event recorded."""


class VerifyFailedError(LokdarpanError):
    """One or more verify scripts raised."""


class DriftError(LokdarpanError):
    """`check` found drift: edited deploy scripts, failing verifies, unknown changes (exit 1)."""


class ClusterError(LokdarpanError):
    """The embedded PostgreSQL could not be initialised, started or stopped."""


class DependencyError(LokdarpanError):
    """A change requires a change that is not deployed, or conflicts with one that is."""
