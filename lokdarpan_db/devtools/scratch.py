"""Scratch databases for tests and benchmarks: the library's own (lokdarpan_db/scratch.py, which `backup
drill` restores into), re-exported here where the benches and tests have always found them."""

from ..scratch import create_database, drop_database

__all__ = ["create_database", "drop_database"]
