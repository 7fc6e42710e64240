"""Bench section `keys`: how fast `lokdarpan-db keys rotate` re-encrypts "user".email (issue 25)."""

from __future__ import annotations

import psycopg

from ... import fieldcrypt, fieldkeys
from ...devtools.scratch import create_database, drop_database
from ...migrate import plan as plan_mod
from ...migrate.engine import Engine
from ...migrate.registry import Committer
from ...paths import PROJECT
from .report import Measurement

HASH = "$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"


def run(admin_url: str, users: int = 100_000, quick: bool = False) -> list[Measurement]:
    """Load `users` accounts under an old key, rotate them to a new one (batches of 500), report rows/s."""
    n = 2000 if quick else users
    url = create_database(admin_url, "bench", operator=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            Engine(
                conn, plan_mod.load(PROJECT / "db" / "sqitch.plan"), Committer("bench", "bench@lokdarpan.in")
            ).deploy()
        old, new, blind = (fieldcrypt.generate_key() for _ in range(3))
        before = fieldcrypt.FieldKeys.parse([old], blind, "bench")
        with (
            psycopg.connect(url, autocommit=True) as conn,
            conn.cursor() as cur,
            cur.copy('copy "user" (username, email, email_index, password_hash) from stdin') as copy,
        ):
            for i in range(n):
                copy.write_row((f"u{i}", *before.row_values(f"u{i}@example.in"), HASH))
        keys = fieldcrypt.FieldKeys.parse([new, old], blind, "bench")
        with psycopg.connect(url, autocommit=True) as conn:
            report = fieldkeys.rotate(conn, keys, batch_size=fieldkeys.DEFAULT_BATCH)
            left = fieldkeys.check(conn, keys).under_old_keys
        rate = report.rotated / report.seconds if report.seconds else 0.0
        return [
            Measurement(
                "keys", f"keys rotate, {n:,} accounts", rate, "rows/s", None, None,
                "batches of 500, each its own transaction, audit trigger included",
                {"rotated": report.rotated, "seconds": round(report.seconds, 2), "left_under_old_keys": left},
            )
        ]
    finally:
        drop_database(admin_url, url)
