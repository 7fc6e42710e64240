"""`python -m lokdarpan_db.cli` is `lokdarpan-db`."""

from . import main

main()
