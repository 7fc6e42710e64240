"""What `make demo` shows of ward analytics: the Jubilee Hills dashboard, from the CLI."""

from __future__ import annotations

import subprocess
import sys

from ...paths import PROJECT


def show_analytics(ward: str = "Jubilee Hills") -> None:
    """Run `lokdarpan-db ward WARD` as a user would (the demo's other steps are CLI calls too)."""
    print(f'\n$ lokdarpan-db ward "{ward}"', flush=True)
    subprocess.run([sys.executable, "-m", "lokdarpan_db.cli", "ward", ward], cwd=PROJECT, check=True)
