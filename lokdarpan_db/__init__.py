"""lokdarpan-db: the PostgreSQL database of LokDarpan, its deployer and operations library."""

__version__ = "0.1.0"
