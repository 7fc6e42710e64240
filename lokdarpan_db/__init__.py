"""lokdarpan-db: the PostgreSQL database of LokDarpan, its deployer and operations library.

`__version__` comes from the plan's latest tag (lokdarpan_db.version), read when first asked for."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    if name == "__version__":
        from .paths import PLAN
        from .version import version_of

        return version_of(PLAN)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
