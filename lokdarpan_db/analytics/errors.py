"""Turning the database's answers about bad input into the library's errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors

from ..errors import BadInputError, CannotRunError


class AnalyticsNotDeployedError(CannotRunError):
    """The analytics changes are not deployed in this database (exit 3, as SQLSTATE 42P01 is)."""


@contextmanager
def database_says() -> Iterator[None]:
    """A 22023 from a database function (unknown ward, days out of range) is bad input (exit 2);
    a missing relation or function means the analytics changes are not deployed, and a missing
    privilege is the owner's job (both exit 3: errors.SQLSTATE_EXITS)."""
    try:
        yield
    except pg_errors.InvalidParameterValue as exc:
        raise BadInputError(exc.diag.message_primary or str(exc)) from exc
    except (pg_errors.UndefinedTable, pg_errors.UndefinedFunction) as exc:
        raise AnalyticsNotDeployedError(
            f"{exc.diag.message_primary}: deploy the analytics changes first (lokdarpan-db deploy)"
        ) from exc
    except psycopg.errors.InsufficientPrivilege as exc:
        raise CannotRunError(f"{exc.diag.message_primary} (the rebuild is the database owner's job)") from exc
