"""Errors the library raises. Each carries the exit code the CLI uses and a one-line message.

Exit codes: 1 = the operation failed (a change failed, verify found a problem, a lock wait timed
out); 2 = bad usage or input (malformed plan, unknown target, unreachable database, missing file).
3 = cannot run here: deploy/plan --refuse-if-busy found a transaction open for longer than allowed,
or a writing verb was pointed at a hot standby (replication.StandbyError).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

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
    URL in it carries replaced by *** (docs/security.md, issue-18 findings)."""

    exit_code = 1

    def __str__(self) -> str:
        return redact(super().__str__())


class BadInputError(LokdarpanError):
    """The user asked for something that cannot be done as asked (exit 2)."""

    exit_code = 2


class PlanError(BadInputError):
    """The plan file is malformed or inconsistent (names file and line)."""


class ScriptMissingError(BadInputError):
    """A deploy/revert/verify script the plan needs does not exist."""


class ScriptEncodingError(BadInputError):
    """A script exists but is not UTF-8 text (PostgreSQL and Sqitch read scripts as UTF-8)."""


class ConnectionFailedError(BadInputError):
    """The database cannot be reached."""


class RegistryError(LokdarpanError):
    """The registry disagrees with the plan (e.g. a deployed change is not in the plan)."""


class LockTimeoutError(LokdarpanError):
    """Another deployer held the lock for longer than the timeout."""


class BusyDatabaseError(LokdarpanError):
    """deploy --refuse-if-busy: a transaction older than the limit is open (exit 3)."""

    exit_code = 3


class ChangeFailedError(LokdarpanError):
    """A change's script failed; the change was rolled back and a 'fail' event recorded."""


class VerifyFailedError(LokdarpanError):
    """One or more verify scripts raised."""


class ClusterError(LokdarpanError):
    """The embedded PostgreSQL could not be initialised, started or stopped."""


class DependencyError(LokdarpanError):
    """A change requires a change that is not deployed, or conflicts with one that is."""
