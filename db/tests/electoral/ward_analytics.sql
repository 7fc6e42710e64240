-- pgTAP: result_ward_agg, ward_profile and ward_features on a small case worked by hand
-- (docs/electoral-indices.md has the definitions).
-- Constituency A = lon 78.40-78.42, B = 78.42-78.44 (lat 17.40-17.42). Wards: W1 = 78.40-78.41
-- (half of A), W2 = 78.41-78.43 (half of A, half of B), W3 = 78.43-78.44 (half of B).
-- Assembly 2023: A: BRS 600, INC 300, BJP 100. B: INC 500, BJP 400, BRS 100.
-- Areal votes: W1 = A/2 = BRS 300, INC 150, BJP 50 (60/30/10 %).
--              W2 = A/2 + B/2 = BRS 350, INC 400, BJP 250 (35/40/25 %).
--              W3 = B/2 = INC 250, BJP 200, BRS 50 (50/40/10 %).
-- City-wide (the three wards): BRS 700, INC 800, BJP 500 of 2000 = 35/40/25 %.
begin;
select tap_ensure_personas();
select plan(14);

truncate ward cascade;
create function pg_temp.box(x1 numeric, x2 numeric) returns jsonb language sql as $$
    select jsonb_build_object('type', 'Polygon', 'coordinates', jsonb_build_array(jsonb_build_array(
        jsonb_build_array(x1, 17.40), jsonb_build_array(x2, 17.40), jsonb_build_array(x2, 17.42),
        jsonb_build_array(x1, 17.42), jsonb_build_array(x1, 17.40))))
$$;
insert into ward (ward_id, ward_no, name, zone, boundary) values
('GHMC-001', 1, 'West Ward', 'West Zone', pg_temp.box(78.40, 78.41)),
('GHMC-002', 2, 'Middle Ward', 'West Zone', pg_temp.box(78.41, 78.43)),
('GHMC-003', 3, 'East Ward', 'West Zone', pg_temp.box(78.43, 78.44));
insert into constituency (state_code, kind, number, name, boundary)
select
    'S29',
    'AC',
    n,
    name,
    public.geojson_geometry(pg_temp.box(x1, x2))
from (values (901, 'A', 78.40, 78.42), (902, 'B', 78.42, 78.44)) as v (n, name, x1, x2);
select count(*) from compute_ward_constituency();
insert into election (type, year, state_code) values ('ASSEMBLY', 2023, 'S29');
insert into constituency_result (election_id, constituency_id, candidate, party_id, party_as_published, total_votes)
select
    (select id from election),
    c.constituency_id,
    v.party || ' candidate',
    party_resolve(v.party),
    v.party,
    v.votes
from (
    values ('A', 'BRS', 600), ('A', 'INC', 300), ('A', 'BJP', 100),
    ('B', 'INC', 500), ('B', 'BJP', 400), ('B', 'BRS', 100)
) as v (ac, party, votes)
inner join constituency as c on v.ac = c.name;

set local role tap_analyst;
select results_eq(
    $$select step, rows from recompute_electoral()$$,
    $$values ('result_ward_agg', 9), ('ward_profile', 3), ('ward_features', 3)$$,
    'an analyst recomputes everything: 3 wards x 3 parties, 3 profiles, 3 feature rows'
);
reset role;
select results_eq(
    $$select ward_id, party::text, votes, vote_share, method::text from result_ward_agg order by ward_id, party$$,
    $$values ('GHMC-001', 'BJP', 50.00, 10.000, 'areal'), ('GHMC-001', 'BRS', 300.00, 60.000, 'areal'),
             ('GHMC-001', 'INC', 150.00, 30.000, 'areal'),
             ('GHMC-002', 'BJP', 250.00, 25.000, 'areal'), ('GHMC-002', 'BRS', 350.00, 35.000, 'areal'),
             ('GHMC-002', 'INC', 400.00, 40.000, 'areal'),
             ('GHMC-003', 'BJP', 200.00, 40.000, 'areal'), ('GHMC-003', 'BRS', 50.00, 10.000, 'areal'),
             ('GHMC-003', 'INC', 250.00, 50.000, 'areal')$$,
    'areal votes and shares, as worked by hand'
);
select results_eq(
    $$select ward_id, votes_cast, turnout_pct, last_winner_party::text, last_winner_year, method::text
      from ward_profile order by ward_id$$,
    $$values ('GHMC-001', 500, null::numeric, 'BRS', 2023, 'areal'), ('GHMC-002', 1000, null, 'INC', 2023, 'areal'),
             ('GHMC-003', 500, null, 'INC', 2023, 'areal')$$,
    'profiles: votes cast, the leading party; no turnout without electors'
);
select is(
    (
        select as23_party_shares from ward_features
        where ward_id = 'GHMC-002'
    ),
    '{"BJP": 25.000, "BRS": 35.000, "INC": 40.000}'::jsonb,
    'as23_party_shares are the ward''s 2023 shares'
);
select is(
    (
        select dvi from ward_features
        where ward_id = 'GHMC-001'
    ),
    '{"BJP": -15.000, "BRS": 25.000, "INC": -10.000}'::jsonb,
    'dvi: ward share minus city-wide share (BRS 60 - 35 = +25)'
);
select results_eq(
    $$select ward_id, aci_23 from ward_features order by ward_id$$,
    $$values ('GHMC-001', 0.7500::numeric), ('GHMC-002', 0.6154), ('GHMC-003', 0.5556)$$,
    'aci_23: largest non-BRS party over all non-BRS votes (150/200, 400/650, 250/450)'
);
select is(
    (
        select incumbency_weakness from ward_features
        where ward_id = 'GHMC-001'
    ),
    '{"incumbent": "BRS", "incumbent_share": 60.000, "challenger": "INC", "challenger_share": 30.000,
      "margin": 30.000, "index": 0.3333}'::jsonb,
    'incumbency_weakness: A''s winner BRS leads INC by 30 points in W1 (index 30/90)'
);
select is(
    (
        select incumbency_weakness ->> 'margin' from ward_features
        where ward_id = 'GHMC-002'
    ), '-5.000',
    'W2 (A and B equally; A, the lower id, decides) trails: BRS 35 against INC 40'
);
select is(
    (
        select incumbency_weakness ->> 'incumbent' from ward_features
        where ward_id = 'GHMC-003'
    ), 'INC',
    'W3''s incumbent is B''s winner'
);
select is(
    (
        select ls24_party_shares from ward_features
        where ward_id = 'GHMC-001'
    ), null::jsonb,
    'no Lok Sabha 2024 results: no shares, not zeros'
);
select is(
    (
        select null_reasons from ward_features
        where ward_id = 'GHMC-001'
    ),
    '{"ls24_party_shares": "no Lok Sabha 2024 election loaded",
      "turnout_volatility": "needs turnout (electors) in at least two elections; constituency results carry no electors"}'::jsonb,
    'and the reasons are there to read'
);

-- Counted from polling stations, where an election has them for the ward.
insert into election (type, year, state_code) values ('GHMC', 2020, 'S29');
insert into polling_station (ps_id, constituency_id, serial, lat, lon)
select
    'S29-AC901-' || s,
    (
        select constituency_id from constituency
        where name = 'A'
    ),
    s,
    17.41,
    lon
from (values ('1', 78.405), ('2', 78.406)) as v (s, lon);
select * from place_polling_stations();
insert into polling_station_result (election_id, polling_station_id, total_valid, rejected, nota, total_polled, electors)
select
    (
        select id from election
        where type = 'GHMC'
    ),
    s.id,
    v.valid,
    v.rejected,
    v.nota,
    v.valid + v.rejected + v.nota,
    v.electors
from (values ('1', 150, 2, 3, 200), ('2', 100, 0, 0, 150)) as v (serial, valid, rejected, nota, electors)
inner join polling_station as s on v.serial = s.serial;
insert into result_ps (election_id, polling_station_id, candidate, party_id, votes)
select
    (
        select id from election
        where type = 'GHMC'
    ),
    s.id,
    v.party || ' candidate',
    party_resolve(v.party),
    v.votes
from (values ('1', 'BRS', 100), ('1', 'INC', 50), ('2', 'BRS', 20), ('2', 'INC', 80)) as v (serial, party, votes)
inner join polling_station as s on v.serial = s.serial;
select results_eq(
    $$select method, wards, rows from compute_result_ward_agg((select id from election where type = 'GHMC'))$$,
    $$values ('polling_stations', 1, 3)$$,
    'the GHMC election is counted from its stations: one ward, three parties'
);
select results_eq(
    $$select party::text, votes, vote_share, turnout_pct, method::text from result_ward_agg
      where election_id = (select id from election where type = 'GHMC') order by party$$,
    $$values ('BRS', 120.00, 47.431, 72.857, 'polling_stations'), ('INC', 130.00, 51.383, 72.857, 'polling_stations'),
             ('NOTA', 3.00, 1.186, 72.857, 'polling_stations')$$,
    'counted votes, NOTA from Form 20''s column, turnout 255 polled of 350 electors'
);
select throws_ok(
    $$select * from compute_result_ward_agg(999999)$$,
    '22023', 'compute_result_ward_agg: no election 999999',
    'an unknown election is named'
);

select * from finish();
rollback;
