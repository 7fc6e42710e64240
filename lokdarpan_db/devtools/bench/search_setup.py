"""The search section of `make bench`: a fresh database with the real plan and the 150 GHMC
wards, then lokdarpan_db.devtools.bench.search (load synthetic posts, time search_posts())."""

from __future__ import annotations

import psycopg

from ...importers.wards import import_wards
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ..scratch import create_database, drop_database
from . import search
from .deploy import ROOT
from .report import Measurement


def run(admin_url: str, posts: int) -> list[Measurement]:
    url = create_database(admin_url, "bench", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(conn, plan_mod.load(ROOT / "db" / "sqitch.plan"),
                   Committer("bench", "bench@lokdarpan.in")).deploy()
            import_wards(conn)
        return search.run(url, posts=posts)
    finally:
        drop_database(admin_url, url)
