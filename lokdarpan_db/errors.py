"""Errors the library raises. Each carries the exit code the CLI uses and a one-line message.

Exit codes: 1 = the operation failed (a change failed, verify found a problem, a lock wait timed
out); 2 = bad usage or input (malformed plan, unknown target, unreachable database, missing file).
"""

from __future__ import annotations


class LokdarpanError(Exception):
    """Base class: str(error) is the one line shown to the user."""

    exit_code = 1


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


class ChangeFailedError(LokdarpanError):
    """A change's script failed; the change was rolled back and a 'fail' event recorded."""


class VerifyFailedError(LokdarpanError):
    """One or more verify scripts raised."""


class ClusterError(LokdarpanError):
    """The embedded PostgreSQL could not be initialised, started or stopped."""


class DependencyError(LokdarpanError):
    """A change requires a change that is not deployed, or conflicts with one that is."""
