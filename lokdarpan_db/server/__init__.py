"""The embedded local PostgreSQL cluster (cluster.py)."""
