"""Issue 23: the rollups stay exact under concurrent one-post writers. Four connections insert single
posts (the trigger's one-row path) into two wards at once, so they race for the same ward-day and
author rows and for the first post of a ward-day nobody counted yet; others insert small batches and
re-link posts meanwhile. Afterwards refresh_ward_analytics() must correct nothing."""

from __future__ import annotations

import random
import threading

import psycopg

WARDS = ("GHMC-001", "GHMC-002")
EMOTIONS = ("positive", "negative", "neutral", "mixed", "unknown", None)
PARTIES = ("BJP", "INC", "BRS", "AIMIM", "TRS", "NOTA", "Independent", "Other", None)


def _writer(url: str, seed: int, statements: int, authors: list[int], errors: list[BaseException]) -> None:
    rnd = random.Random(seed)
    try:
        with psycopg.connect(url) as conn:
            for i in range(statements):
                ward = rnd.choice(WARDS)
                # Dates spread over a few days: new ward-days appear while others write to them.
                days_back = rnd.randrange(6)
                if seed == 3 and i % 10 == 9:  # a small batch, through the general insert path
                    conn.execute(
                        "insert into post (text, ward_id, emotion, party, author_id, created_at) "
                        "select 'race batch', %s, 'neutral', 'BJP', %s, now() - make_interval(days => %s) "
                        "from generate_series(1, 3)", (ward, rnd.choice(authors), days_back))
                elif seed == 2 and i % 15 == 14:  # a re-link, through the general update path
                    conn.execute(
                        "update post set ward_id = %s "
                        "where id = (select max(id) from post where text = 'race')", (ward,))
                else:
                    conn.execute(
                        "insert into post (text, ward_id, emotion, party, author_id, created_at) "
                        "values ('race', %s, %s, %s, %s, now() - make_interval(days => %s))",
                        (ward, rnd.choice(EMOTIONS), rnd.choice(PARTIES),
                         rnd.choice([*authors, None]), days_back))
                conn.commit()
    except BaseException as exc:  # reported on the test's thread
        errors.append(exc)


def test_concurrent_one_post_writers_leave_nothing_to_correct(ward_db: str):
    with psycopg.connect(ward_db, autocommit=True) as conn:
        authors = [r[0] for r in conn.execute(
            "insert into author (name) select 'racer ' || g from generate_series(1, 3) as g returning id")]
        before = conn.execute("select count(*) from post where text like 'race%%'").fetchone()[0]
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(ward_db, seed, 60, authors, errors))
               for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(ward_db, autocommit=True) as conn:
        written = conn.execute("select count(*) from post where text like 'race%%'").fetchone()[0]
        assert written - before >= 4 * 50
        corrected = dict(conn.execute("select relation, corrected from refresh_ward_analytics()").fetchall())
        counted = conn.execute(
            "select coalesce(sum(posts), 0) from ward_day_rollup where ward_id = any(%s)", (list(WARDS),)
        ).fetchone()[0]
        in_post = conn.execute("select count(*) from post where ward_id = any(%s)",
                               (list(WARDS),)).fetchone()[0]
    assert corrected == {"ward_day_rollup": 0, "ward_day_author": 0, "ward_author_rollup": 0}
    assert counted == in_post
