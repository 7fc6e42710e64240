"""Maintenance of a running database: integrity checks (integrity.py)."""
