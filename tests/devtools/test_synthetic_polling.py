"""SYNTHETIC polling stations: labelled as such, placed in real wards, adding up exactly to the real
2023 constituency totals, and comparable with the areal estimate on one ward."""

from __future__ import annotations

import psycopg
import pytest

from lokdarpan_db.devtools.synthetic.polling import SYNTHETIC_ROUND, make_synthetic_polling
from lokdarpan_db.errors import BadInputError
from lokdarpan_db.importers.electoral.load_constituencies import import_constituencies
from lokdarpan_db.importers.electoral.load_results import import_results
from lokdarpan_db.importers.wards import import_wards


def test_refused_before_the_real_results_are_loaded(db_url: str):
    with psycopg.connect(db_url) as conn, pytest.raises(BadInputError, match="import results"):
        make_synthetic_polling(conn, acs=(61,))


@pytest.fixture(scope="module")
def loaded(db_url: str) -> str:
    with psycopg.connect(db_url) as conn:
        import_wards(conn)
        import_constituencies(conn)
        import_results(conn, recompute=False)
    return db_url


def test_stations_add_up_exactly_and_are_labelled(loaded: str):
    with psycopg.connect(loaded) as conn:
        report = make_synthetic_polling(conn, acs=(60, 61, 62))
        again = make_synthetic_polling(conn, acs=(60, 61, 62))  # idempotent: replaces the first run
        assert (again.stations, again.result_rows) == (report.stations, report.result_rows)
        assert report.constituencies == 3 and report.stations == report.placed_in_wards > 0
        mismatches = conn.execute(
            """select c.number, r.candidate, r.total_votes,
                      coalesce(sum(p.votes), 0) + coalesce(max(n.nota), 0)
               from constituency_result r
               join constituency c using (constituency_id)
               join party pa on pa.party_id = r.party_id
               left join polling_station s on s.constituency_id = r.constituency_id and s.ps_id like 'SYN-%%'
               left join result_ps p on p.polling_station_id = s.id and p.candidate = r.candidate
               left join lateral (
                   select sum(psr.nota) as nota from polling_station_result psr
                   join polling_station s2 on s2.id = psr.polling_station_id
                   where s2.constituency_id = r.constituency_id and pa.kind = 'nota'
               ) n on true
               where c.number in (60, 61, 62)
                   and r.election_id = (select id from election where round is null)
               group by 1, 2, 3
               having r.total_votes <> coalesce(sum(p.votes), 0) + coalesce(max(n.nota), 0)"""
        ).fetchall()
        assert mismatches == []
        labels = conn.execute(
            """select bool_and(s.ps_id like 'SYN-%%'), bool_and((s.source_meta ->> 'synthetic')::boolean),
                      bool_and(s.ward_id is not null), (select source from election where round = %s)
               from polling_station s""",
            (SYNTHETIC_ROUND,),
        ).fetchone()
        assert labels[:3] == (True, True, True) and labels[3].startswith("SYNTHETIC")
        conn.execute("select * from recompute_electoral()")
        methods = conn.execute(
            """select distinct a.method from result_ward_agg a join election e on e.id = a.election_id
               where e.round = %s""",
            (SYNTHETIC_ROUND,),
        ).fetchall()
        assert methods == [("polling_stations",)]
