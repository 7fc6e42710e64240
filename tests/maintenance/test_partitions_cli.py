"""`lokdarpan-db partitions [--maintain]` against a deployed database: the state of the monthly
partitions, a back-dated post moved out of the default partition, and a non-owner refused in one line."""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from lokdarpan_db.cli import run


def _as(conninfo: str, user: str) -> str:
    """The test databases' conninfo is key=value: a later user= wins, and a later passfile= (one
    holding the role's password, its name: the embedded cluster wants a password, issue 18)."""
    assert "=" in conninfo and "://" not in conninfo
    passfile = Path(tempfile.mkdtemp(prefix="lokdarpan-pgpass-")) / "pgpass"
    passfile.write_text(f"*:*:*:{user}:{user}\n")
    passfile.chmod(0o600)
    return f"{conninfo} user={user} passfile={passfile}"


def _state(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict]:
    capsys.readouterr()
    assert run(["partitions", *args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    return {t["parent_table"]: t for t in data["tables"]}


def test_partitions_shows_state_and_maintain_moves_stray_rows(db_url: str, capsys):
    before = _state(capsys, "--db", db_url)
    assert set(before) == {"public.post", "public.ai_model_execution"}
    assert before["public.post"]["months_ahead"] >= 2
    assert before["public.ai_model_execution"]["months_ahead"] >= 3
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("insert into post (text, created_at) values ('archive scan', '2021-05-04 10:00+05:30')")
    try:
        waiting = _state(capsys, "--db", db_url)
        assert waiting["public.post"]["default_rows"] == before["public.post"]["default_rows"] + 1
        after = _state(capsys, "--maintain", "--db", db_url)
        assert after["public.post"]["default_rows"] == 0
        assert after["public.post"]["rows_moved_from_default"] >= 1
        assert after["public.post"]["oldest"] <= "post_p2021_05"
        with psycopg.connect(db_url) as conn:
            where = conn.execute(
                "select tableoid::regclass::text from post where text = 'archive scan'"
            ).fetchone()
        assert where == ("post_p2021_05",)
    finally:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("delete from post where text = 'archive scan'")


def test_maintain_needs_the_owner(db_url: str, capsys):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("""do $$ begin
            if not exists (select from pg_roles where rolname = 'parts_admin') then
                create role parts_admin login password 'parts_admin' in role lokdarpan_admin;
            end if; end $$""")
    capsys.readouterr()
    assert run(["partitions", "--maintain", "--db", _as(db_url, "parts_admin")]) == 3  # no privilege
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: partition maintenance needs the tables' owner") and "\n" not in err
    assert run(["partitions", "--db", _as(db_url, "parts_admin"), "--json"]) == 0


class BackDatedWriter(threading.Thread):
    """Inserts back-dated posts one statement at a time (autocommit, as lokdarpan_analyst) until
    stopped, walking back one month every `per_month` seconds from `newest` to `oldest` and then
    round again: each month it writes is missing at first, so its posts land in post_default, and the
    month it writes is the oldest there, the one maintain_partitions() moves (and creates) first."""

    def __init__(self, url: str, tag: str, newest: date, oldest: date, per_month: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.url, self.tag, self.per_month = url, tag, per_month
        self.months = _months(oldest, newest)[::-1]
        self.inserted = 0
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute("set role lokdarpan_analyst")
                started = time.monotonic()
                while not self.stop.is_set():
                    month = self.months[int((time.monotonic() - started) / self.per_month) % len(self.months)]
                    day = datetime(month.year, month.month, 1 + self.inserted % 27, 6, tzinfo=UTC)
                    try:
                        conn.execute(
                            "insert into post (text, created_at) values (%s, %s)",
                            (f"{self.tag} {self.inserted}", day + timedelta(minutes=self.inserted % 600)),
                        )
                        self.inserted += 1
                    except psycopg.Error as exc:  # counted, never retried: the test wants none
                        self.errors.append(f"{exc.sqlstate}: {exc.diag.message_primary}")
                        if len(self.errors) > 20:
                            return
        except psycopg.Error as exc:
            self.errors.append(f"connection: {exc}")


def _wait_for_default_rows(url: str, rows: int = 20, seconds: float = 15) -> None:
    """Until post_default holds `rows` rows (the writers' posts for months not made yet)."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute("select count(*) from post_default").fetchone()[0] < rows:
            assert time.monotonic() < deadline, "the writers put nothing into post_default"
            time.sleep(0.05)


def _months(oldest: date, newest: date) -> list[date]:
    out, m = [], oldest
    while m <= newest:
        out.append(m)
        m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return out


def test_maintain_converges_under_concurrent_back_dated_inserts(db_url: str, capsys):
    """Issue 19 (11): `partitions --maintain` failed 2 runs of 2 ("updated partition constraint for
    default partition "post_default" would be violated") while back-dated posts were inserted: a post
    for the month being created landed in the default partition between pg_partman's move of that
    month's rows and its ATTACH (here, before the fix, the writers' inserts failed instead: "new row for
    relation "post_default" violates partition constraint"). Two runs under two live writers now both
    succeed and no insert fails; afterwards no row of
    the default partition belongs to a month that has its own partition, no post is lost, and a run
    after the writer stopped leaves the default partition empty."""
    tag = f"backdated-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(db_url) as conn:
        before = conn.execute("select count(*) from post").fetchone()[0]
    writers = [BackDatedWriter(db_url, f"{tag} {n}", newest=date(2024, 12, 1), oldest=date(2020, 2, 1))
               for n in range(2)]
    for writer in writers:
        writer.start()
    codes: list[tuple[int, str]] = []
    moved: list[int] = []
    parts: list[int] = []
    try:
        for _ in range(2):
            _wait_for_default_rows(db_url)
            capsys.readouterr()
            code = run(["partitions", "--maintain", "--db", db_url, "--json"])
            captured = capsys.readouterr()
            codes.append((code, captured.err))
            if code == 0:
                tables = {t["parent_table"]: t for t in json.loads(captured.out)["tables"]}
                moved.append(tables["public.post"]["rows_moved_from_default"])
                parts.append(tables["public.post"]["partitions"])
    finally:
        for writer in writers:
            writer.stop.set()
        for writer in writers:
            writer.join(30)
    inserted = sum(w.inserted for w in writers)
    assert codes == [(0, ""), (0, "")]
    assert all(n > 0 for n in moved), f"each run moved back-dated posts into new months: {moved}"
    assert [w.errors for w in writers] == [[], []], "no insert failed"
    assert inserted > 100, "the writers did write while maintenance ran"
    assert parts[1] > parts[0] > 3, "months were made in both runs"
    with psycopg.connect(db_url) as conn:
        misplaced = conn.execute(
            """select count(*) from post_default as p
               where to_regclass('public.post_p' || to_char(p.created_at at time zone 'UTC', 'YYYY_MM'))
                   is not null"""
        ).fetchone()[0]
        after = conn.execute("select count(*) from post").fetchone()[0]
        tagged = conn.execute("select count(*) from post where text like %s", (f"{tag} %",)).fetchone()[0]
    assert misplaced == 0
    assert (after, tagged) == (before + inserted, inserted), "no post lost, none doubled"
    final = _state(capsys, "--maintain", "--db", db_url)
    assert final["public.post"]["default_rows"] == 0
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select count(*) from post").fetchone()[0] == after
