"""SYNTHETIC polling-station results for Hyderabad, built on the real ECI constituency totals.

No polling-station data for Telangana is public in machine-readable form. For the demo and the
bench this module makes stations whose votes add up *exactly* to the real Assembly 2023
constituency results, placed at random points inside the real wards each constituency overlaps,
so the counted (polling-station) path and the areal path of compute_result_ward_agg() can be
compared on one ward. Everything it writes is labelled: the election is
ASSEMBLY 2023 round 'SYNTHETIC polling stations', every station's source_meta says
"synthetic": true, and ps_ids start with 'SYN-'.

How the votes are made: each station gets a random size, each ward a random tilt per party
(so wards differ), and each candidate's real total is apportioned over the constituency's stations
by those weights with the largest-remainder method, so the sums are exact. Electors are drawn so
that turnout lies between 45 % and 70 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

SYNTHETIC_ROUND = "SYNTHETIC polling stations"
HYDERABAD_ACS = tuple(range(57, 72))  # Hyderabad district: Musheerabad … Secunderabad Cantt.


@dataclass
class SyntheticPollingReport:
    election_id: int
    constituencies: int
    stations: int
    result_rows: int
    placed_in_wards: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


_MAKE = """
with recursive
params as (select %(seed)s::double precision as seed),
ac as (
    select c.constituency_id, c.number, c.boundary,
        (select sum(r.total_votes) from public.constituency_result as r
         where r.election_id = %(real)s and r.constituency_id = c.constituency_id) as valid
    from public.constituency as c
    where c.kind = 'AC' and c.state_code = 'S29' and c.number = any(%(acs)s) and c.boundary is not null
),
-- Stations per ward: the AC's stations (one per ~%(voters)s votes) shared by area.
ward_share as (
    select ac.constituency_id, ac.number, wc.ward_id, wc.constituency_fraction,
        greatest(1, round(ac.valid / %(voters)s * wc.constituency_fraction
            / sum(wc.constituency_fraction) over (partition by ac.constituency_id)))::int as n
    from ac
    inner join public.ward_constituency as wc on wc.constituency_id = ac.constituency_id
    where wc.constituency_fraction > 0
),
station as (
    select ws.constituency_id, ws.number, ws.ward_id, g.i,
        row_number() over (partition by ws.constituency_id order by ws.ward_id, g.i) as serial
    from ward_share as ws, generate_series(1, ws.n) as g (i)
)
select s.constituency_id, s.number, s.ward_id, s.serial,
    public.st_y(p.pt) as lat, public.st_x(p.pt) as lon
from station as s
inner join public.ward as w on w.ward_id = s.ward_id
inner join public.constituency as c on c.constituency_id = s.constituency_id
cross join lateral (
    select public.st_geometryn(public.st_generatepoints(
        public.st_intersection(public.geojson_geometry(w.boundary), c.boundary), 1,
        (%(seed)s * 100000 + s.number * 1000 + s.serial)::int
    ), 1) as pt
) as p
"""


def make_synthetic_polling(
    conn: psycopg.Connection,
    acs: tuple[int, ...] = HYDERABAD_ACS,
    seed: int = 7,
    voters_per_station: int = 800,
) -> SyntheticPollingReport:
    """Write the synthetic election, stations, station results and candidate rows; idempotent
    (replaces an earlier synthetic run). Needs wards, constituencies with overlaps
    (compute_ward_constituency) and the real Assembly 2023 results loaded."""
    with conn.transaction():
        real = conn.execute(
            "select id from public.election where type = 'ASSEMBLY' and year = 2023 and state_code = 'S29' "
            "and round is null"
        ).fetchone()
        if real is None:
            from ...errors import BadInputError

            raise BadInputError("no Telangana Assembly 2023 results: run `lokdarpan-db import results` first")
        conn.execute("select setseed(%s)", (((seed % 1000) / 1000.0),))
        election_id = conn.execute(
            """insert into public.election (type, year, state_code, round, source)
               values ('ASSEMBLY', 2023, 'S29', %s, 'SYNTHETIC: lokdarpan_db.synthetic_polling')
               on conflict (type, year, coalesce(state_code, ''), coalesce(round, ''))
               do update set source = excluded.source returning id""",
            (SYNTHETIC_ROUND,),
        ).fetchone()[0]
        conn.execute("delete from public.polling_station_result where election_id = %s", (election_id,))
        conn.execute("delete from public.polling_station where ps_id like 'SYN-%%'")
        conn.execute(
            f"""insert into public.polling_station
                    (ps_id, constituency_id, serial, lat, lon, ward_id, source_meta)
                select format('SYN-S29-AC%%s-%%s', lpad(m.number::text, 3, '0'), m.serial), m.constituency_id,
                    m.serial::text, round(m.lat::numeric, 6), round(m.lon::numeric, 6), m.ward_id,
                    jsonb_build_object('synthetic', true, 'generator', 'lokdarpan_db.synthetic_polling',
                                       'seed', %(seed)s::int)
                from ({_MAKE}) as m""",
            {"seed": seed, "real": real[0], "acs": list(acs), "voters": voters_per_station},
        )
        # Weights: station size x ward tilt per party; apportion each candidate's real total.
        conn.execute(
            """create temporary table syn_votes on commit drop as
               with st as (
                   select s.id, s.constituency_id, s.ward_id, 0.5 + random() as size
                   from public.polling_station as s where s.ps_id like 'SYN-%%'
               ),
               weights as (
                   -- the ward's tilt per party: a deterministic pseudo-random factor in [0.6, 1.4]
                   select st.id as station, st.constituency_id, r.candidate, r.party_id, r.total_votes,
                       st.size * (0.6 + 0.8 * (
                           (hashtext(st.ward_id || '/' || r.party_id || '/' || %s) & 65535) / 65535.0
                       )) as w
                   from st
                   inner join public.constituency_result as r
                       on r.constituency_id = st.constituency_id and r.election_id = %s
               ),
               exact as (
                   select *,
                       total_votes * w / sum(w) over (partition by constituency_id, candidate) as share
                   from weights
               )
               select station, constituency_id, candidate, party_id, total_votes, share,
                   floor(share)::int as base
               from exact""",
            (seed, real[0]),
        )
        conn.execute(
            """create temporary table syn_final on commit drop as
               select v.station, v.candidate, v.party_id,
                   v.base + case when row_number() over (
                       partition by v.constituency_id, v.candidate order by v.share - v.base desc, v.station
                   ) <= v.total_votes - sum(v.base) over (partition by v.constituency_id, v.candidate)
                   then 1 else 0 end as votes
               from syn_votes as v"""
        )
        conn.execute(
            """insert into public.polling_station_result
                   (election_id, polling_station_id, total_valid, rejected, nota, total_polled, electors,
                    source_meta)
               select %s, t.station, t.valid, 0, t.nota, t.valid + t.nota,
                   ceil((t.valid + t.nota) / (0.45 + 0.25 * random()))::int, '{"synthetic": true}'
               from (
                   select f.station,
                       sum(f.votes) filter (where p.kind <> 'nota') as valid,
                       coalesce(sum(f.votes) filter (where p.kind = 'nota'), 0) as nota
                   from syn_final as f inner join public.party as p on p.party_id = f.party_id
                   group by f.station
               ) as t""",
            (election_id,),
        )
        rows = conn.execute(
            """insert into public.result_ps (election_id, polling_station_id, candidate, party_id, votes)
               select %s, f.station, f.candidate, f.party_id, f.votes
               from syn_final as f inner join public.party as p on p.party_id = f.party_id
               where p.kind <> 'nota'""",
            (election_id,),
        ).rowcount
        counts = conn.execute(
            """select count(distinct constituency_id), count(*), count(ward_id)
               from public.polling_station where ps_id like 'SYN-%%'"""
        ).fetchone()
    return SyntheticPollingReport(election_id, counts[0], counts[1], rows, counts[2])
