"""Running PostgreSQL's client programs (pg_dump, pg_restore) with a conninfo's PG* variables."""

from __future__ import annotations

import os
import subprocess

from ..connect import libpq_env
from ..server.cluster import pg_bindir


def program(name: str) -> str:
    return str(pg_bindir() / name)


def env_for(conninfo: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(libpq_env(conninfo))
    from psycopg.conninfo import conninfo_to_dict

    opts = conninfo_to_dict(conninfo).get("options")
    if opts:
        env["PGOPTIONS"] = str(opts)
    return env


def version(name: str) -> str:
    res = subprocess.run([program(name), "--version"], capture_output=True, text=True, check=False)
    return res.stdout.strip()


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
