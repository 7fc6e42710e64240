"""Maintenance: partitions made ahead, integrity checks, retention and cleanup (issue 14)."""
