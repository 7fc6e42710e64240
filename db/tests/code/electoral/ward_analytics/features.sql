-- pgTAP: result_ward_agg, ward_profile, ward_features and ward_election_shares() on a small case
-- worked by hand (docs/electoral-indices.md has the definitions); code/electoral/ward_analytics/*.
-- Constituency A = lon 78.40-78.42, B = 78.42-78.44 (lat 17.40-17.42). Wards: W1 = 78.40-78.41 (half
-- of A), W2 = 78.41-78.43 (half of A, half of B), W3 = 78.43-78.44 (half of B). Assembly 2023: A: BRS
-- 600, INC 300, BJP 100. B: INC 500, BJP 400, BRS 100. Areal votes: W1 = A/2 = BRS 300, INC 150, BJP
-- 50 (60/30/10 %); W2 = A/2 + B/2 = BRS 350, INC 400, BJP 250 (35/40/25 %); W3 = B/2 = INC 250, BJP
-- 200, BRS 50 (50/40/10 %). City-wide: BRS 700, INC 800, BJP 500 of 2000 = 35/40/25 %.
begin;
select tap_ensure_personas();
select plan(45);

select has_function('public', 'compute_ward_profiles', array[]::text [], 'compute_ward_profiles() exists');
select is_definer('public', 'compute_ward_profiles', array[]::text [], 'compute_ward_profiles() runs as its owner (security definer)');
select isnt(obj_description('public.compute_ward_profiles()'::regprocedure, 'pg_proc'), null, 'compute_ward_profiles() says what it does');
select ok(not has_function_privilege('public', 'public.compute_ward_profiles()'::regprocedure, 'execute'), 'PUBLIC may not execute compute_ward_profiles()');
select has_function('public', 'compute_ward_features', array[]::text [], 'compute_ward_features() exists');
select is_definer('public', 'compute_ward_features', array[]::text [], 'compute_ward_features() runs as its owner (security definer)');
select isnt(obj_description('public.compute_ward_features()'::regprocedure, 'pg_proc'), null, 'compute_ward_features() says what it does');
select ok(not has_function_privilege('public', 'public.compute_ward_features()'::regprocedure, 'execute'), 'PUBLIC may not execute compute_ward_features()');
select has_function('public', 'recompute_electoral', array[]::text [], 'recompute_electoral() exists');
select is_definer('public', 'recompute_electoral', array[]::text [], 'recompute_electoral() runs as its owner (security definer)');
select isnt(obj_description('public.recompute_electoral()'::regprocedure, 'pg_proc'), null, 'recompute_electoral() says what it does');
select ok(not has_function_privilege('public', 'public.recompute_electoral()'::regprocedure, 'execute'), 'PUBLIC may not execute recompute_electoral()');

-- The two ACs over three wards: no sliver ward W4, no PC.
select tap_electoral_two_acs(p_edge_ward => false, p_pc => false);
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
      "dvi_ls24": "needs the ward''s Lok Sabha 2024 shares",
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

-- Lok Sabha 2024 (docs/electoral-indices.md, "Worked example: Lok Sabha"). AC C = 78.44-78.48 (twice
-- A's area, no ward in it). PCs: P1 = {A}, P2 = {B, C}; they have no boundary of their own, so a PC's
-- area is its ACs' (P1 = 1 unit, P2 = 3 units, a unit being A's area).
-- PC results: P1: BJP 500, INC 300, AIMIM 200 (50/30/20 %). P2: INC 750, BJP 450, BRS 300 (50/30/20 %).
-- PC-level (areal_pc): a ward takes its PCs' shares weighted by its area in each PC; its valid votes
-- are each PC's valid votes times the share of the PC's area inside the ward.
--   W1: all in P1: 50/30/20; valid 1000 x 0.5/1 = 500: BJP 250, INC 150, AIMIM 100.
--   W2: half in P1, half in P2: BJP (50+30)/2 = 40, INC (30+50)/2 = 40, AIMIM 10, BRS 10;
--       valid 1000 x 0.5/1 + 1500 x 0.5/3 = 750: BJP 300, INC 300, AIMIM 75, BRS 75.
--       (Votes spread evenly over each PC would give BJP 325 of 750 = 43.3 %: P1 is denser.)
--   W3: all in P2: INC 50, BJP 30, BRS 20; valid 1500 x 0.5/3 = 250: INC 125, BJP 75, BRS 50.
-- City-wide: BJP 625, INC 575, AIMIM 175, BRS 125 of 1500 = 41.667 / 38.333 / 11.667 / 8.333 %.
insert into constituency (state_code, kind, number, name) values ('S29', 'PC', 91, 'P1'), ('S29', 'PC', 92, 'P2');
insert into constituency (state_code, kind, number, name, boundary)
values ('S29', 'AC', 903, 'C', public.geojson_geometry(tap_box(78.44, 78.48)));
insert into election (type, year) values ('LOKSABHA', 2024);
create function pg_temp.ls_result(p_constituency text, p_party text, p_votes integer) returns void
language sql as $$
    insert into constituency_result (election_id, constituency_id, candidate, party_id, party_as_published, total_votes)
    select
        (select id from election where type = 'LOKSABHA'),
        (select constituency_id from constituency where name = p_constituency),
        p_party || ' candidate',
        party_resolve(p_party),
        p_party,
        p_votes
$$;
select pg_temp.ls_result(v.pc, v.party, v.votes)
from (
    values ('P1', 'BJP', 500), ('P1', 'INC', 300), ('P1', 'AIMIM', 200),
    ('P2', 'INC', 750), ('P2', 'BJP', 450), ('P2', 'BRS', 300)
) as v (pc, party, votes);

set local role tap_analyst;
select lives_ok($$select * from recompute_electoral()$$, 'an analyst recomputes with the Lok Sabha results loaded');
reset role;
select results_eq(
    $$select ls24_party_shares, null_reasons ->> 'ls24_party_shares' from ward_features where ward_id = 'GHMC-002'$$,
    $$values (null::jsonb, 'no 2024 results for this ward: its assembly constituencies have no segment-wise '
      'results and no parliamentary constituency (constituency.pc_id)')$$,
    'PC results without the ACs'' PCs cannot reach a ward, and the reason says what is missing'
);

update constituency set
    pc_id = (
        select constituency_id from constituency
        where name = 'P1'
    )
where name = 'A';
update constituency set
    pc_id = (
        select constituency_id from constituency
        where name = 'P2'
    )
where name in ('B', 'C');
set local role tap_analyst;
select results_eq(
    $$select method, wards, rows from compute_result_ward_agg((select id from election where type = 'LOKSABHA'))$$,
    $$values ('areal_pc', 3, 10)$$,
    'through constituency.pc_id every ward gets the PC results, labelled areal_pc'
);
select lives_ok($$select * from recompute_electoral()$$, 'and the analyst recomputes profiles and features');
reset role;
select results_eq(
    $$select ward_id, party::text, votes, vote_share, method::text from result_ward_agg
      where election_id = (select id from election where type = 'LOKSABHA') order by ward_id, party$$,
    $$values ('GHMC-001', 'AIMIM', 100.00, 20.000, 'areal_pc'), ('GHMC-001', 'BJP', 250.00, 50.000, 'areal_pc'),
             ('GHMC-001', 'INC', 150.00, 30.000, 'areal_pc'),
             ('GHMC-002', 'AIMIM', 75.00, 10.000, 'areal_pc'), ('GHMC-002', 'BJP', 300.00, 40.000, 'areal_pc'),
             ('GHMC-002', 'BRS', 75.00, 10.000, 'areal_pc'), ('GHMC-002', 'INC', 300.00, 40.000, 'areal_pc'),
             ('GHMC-003', 'BJP', 75.00, 30.000, 'areal_pc'), ('GHMC-003', 'BRS', 50.00, 20.000, 'areal_pc'),
             ('GHMC-003', 'INC', 125.00, 50.000, 'areal_pc')$$,
    'PC-level votes and shares, as worked by hand: W2 takes P1''s and P2''s shares half and half'
);
select is(
    (
        select ls24_party_shares from ward_features
        where ward_id = 'GHMC-002'
    ),
    '{"AIMIM": 10.000, "BJP": 40.000, "BRS": 10.000, "INC": 40.000}'::jsonb,
    'ls24_party_shares: W2''s PC-level shares'
);
select results_eq(
    $$select ward_id, dvi_ls24 from ward_features order by ward_id$$,
    $$values ('GHMC-001', '{"AIMIM": 8.333, "BJP": 8.333, "INC": -8.333}'::jsonb),
             ('GHMC-002', '{"AIMIM": -1.667, "BJP": -1.667, "BRS": 1.667, "INC": 1.667}'),
             ('GHMC-003', '{"BJP": -11.667, "BRS": 11.667, "INC": 11.667}')$$,
    'dvi_ls24: ward share minus the city-wide Lok Sabha share (W1 BJP 50 - 41.667)'
);
select is(
    (
        select dvi from ward_features
        where ward_id = 'GHMC-001'
    ),
    '{"BJP": -15.000, "BRS": 25.000, "INC": -10.000}'::jsonb,
    'the Assembly dvi is unchanged by the Lok Sabha results'
);
select results_eq(
    $$select ward_id, votes_cast, last_winner_party::text, last_winner_year, method::text from ward_profile
      order by ward_id$$,
    $$values ('GHMC-001', 500, 'BJP', 2024, 'areal_pc'), ('GHMC-002', 750, 'BJP', 2024, 'areal_pc'),
             ('GHMC-003', 250, 'INC', 2024, 'areal_pc')$$,
    'profiles move to the latest election, Lok Sabha 2024 (W2: BJP and INC tie at 40 %, BJP first by name)'
);
set local role tap_reader;
select results_eq(
    $$select party, assembly_share, lok_sabha_share, assembly_method, lok_sabha_method
      from ward_election_shares('West Ward')$$,
    $$values ('BRS', 60.000, null, 'areal', 'areal_pc'), ('BJP', 10.000, 50.000, 'areal', 'areal_pc'),
             ('INC', 30.000, 30.000, 'areal', 'areal_pc'), ('AIMIM', null, 20.000, 'areal', 'areal_pc')$$,
    'a reader sees a ward''s Assembly and Lok Sabha shares side by side, with their methods'
);
select throws_ok(
    $$select * from ward_election_shares('Atlantis')$$,
    '22023', 'ward_election_shares: ''Atlantis'' is not a ward',
    'an unknown ward is named'
);
reset role;

-- Segment-wise results (AC rows of the Lok Sabha election). A: BJP 400, INC 350, AIMIM 250.
-- W1 lies wholly in A: A/2 = BJP 200, INC 175, AIMIM 125 (40/35/25 %), areal_segment. W2's segments
-- cover only its A half (0.5 < 1 for the PCs): it keeps the PC-level estimate.
select pg_temp.ls_result(v.ac, v.party, v.votes)
from (values ('A', 'BJP', 400), ('A', 'INC', 350), ('A', 'AIMIM', 250)) as v (ac, party, votes);
select results_eq(
    $$select method, wards, rows from compute_result_ward_agg((select id from election where type = 'LOKSABHA'))$$,
    $$values ('areal_pc', 2, 7), ('areal_segment', 1, 3)$$,
    'the finer level wins where it covers the ward: W1 by segment, W2 and W3 by PC'
);
select results_eq(
    $$select party::text, votes, vote_share from result_ward_agg
      where election_id = (select id from election where type = 'LOKSABHA') and ward_id = 'GHMC-001' order by party$$,
    $$values ('AIMIM', 125.00, 25.000), ('BJP', 200.00, 40.000), ('INC', 175.00, 35.000)$$,
    'W1''s segment-wise votes: half of A''s'
);
-- B: INC 300, BJP 150, BRS 50. W2 = A/2 + B/2 = BJP 275, INC 325, AIMIM 125, BRS 25 of 750;
-- W3 = B/2 = INC 150, BJP 75, BRS 25 (60/30/10 %).
select pg_temp.ls_result(v.ac, v.party, v.votes)
from (values ('B', 'INC', 300), ('B', 'BJP', 150), ('B', 'BRS', 50)) as v (ac, party, votes);
select results_eq(
    $$select method, wards, rows from compute_result_ward_agg((select id from election where type = 'LOKSABHA'))$$,
    $$values ('areal_segment', 3, 10)$$,
    'with every segment loaded, every ward is estimated from its segments'
);
select results_eq(
    $$select ward_id, party::text, votes, vote_share, method::text from result_ward_agg
      where election_id = (select id from election where type = 'LOKSABHA') and ward_id <> 'GHMC-001'
      order by ward_id, party$$,
    $$values ('GHMC-002', 'AIMIM', 125.00, 16.667, 'areal_segment'), ('GHMC-002', 'BJP', 275.00, 36.667, 'areal_segment'),
             ('GHMC-002', 'BRS', 25.00, 3.333, 'areal_segment'), ('GHMC-002', 'INC', 325.00, 43.333, 'areal_segment'),
             ('GHMC-003', 'BJP', 75.00, 30.000, 'areal_segment'), ('GHMC-003', 'BRS', 25.00, 10.000, 'areal_segment'),
             ('GHMC-003', 'INC', 150.00, 60.000, 'areal_segment')$$,
    'W2 = A/2 + B/2 and W3 = B/2, as worked by hand'
);

-- Form 20 for the Lok Sabha election at W1's two stations (electors 200 and 150): station 1 BJP 90,
-- INC 60, NOTA 5 (155 polled); station 2 BJP 40, INC 50 (90 polled). Counted: BJP 130, INC 110, NOTA 5
-- of 245 (53.061 / 44.898 / 2.041 %), turnout 245/350 = 70 %. With the GHMC election's 72.857 %:
-- turnout_volatility = stddev_pop(72.857, 70.000) = 1.4285 -> 1.429.
insert into polling_station_result (election_id, polling_station_id, total_valid, rejected, nota, total_polled, electors)
select
    (
        select id from election
        where type = 'LOKSABHA'
    ),
    s.id,
    v.valid,
    0,
    v.nota,
    v.valid + v.nota,
    v.electors
from (values ('1', 150, 5, 200), ('2', 90, 0, 150)) as v (serial, valid, nota, electors)
inner join polling_station as s on v.serial = s.serial;
insert into result_ps (election_id, polling_station_id, candidate, party_id, votes)
select
    (
        select id from election
        where type = 'LOKSABHA'
    ),
    s.id,
    v.party || ' candidate',
    party_resolve(v.party),
    v.votes
from (values ('1', 'BJP', 90), ('1', 'INC', 60), ('2', 'BJP', 40), ('2', 'INC', 50)) as v (serial, party, votes)
inner join polling_station as s on v.serial = s.serial;
set local role tap_analyst;
select lives_ok($$select * from recompute_electoral()$$, 'recomputed with Lok Sabha Form 20 results');
reset role;
select results_eq(
    $$select method::text, count(*)::integer from result_ward_agg
      where election_id = (select id from election where type = 'LOKSABHA') group by 1 order by 1$$,
    $$values ('areal_segment', 7), ('polling_stations', 3)$$,
    'counted beats estimated: W1 is counted from its stations, the others keep their segments'
);
select results_eq(
    $$select ls24_party_shares, turnout_volatility from ward_features where ward_id = 'GHMC-001'$$,
    $$values ('{"BJP": 53.061, "INC": 44.898, "NOTA": 2.041}'::jsonb, 1.429::numeric)$$,
    'W1''s counted Lok Sabha shares, and turnout volatility over the GHMC and Lok Sabha elections'
);
select is(
    (select string_agg(distinct lok_sabha_method, ', ') from ward_election_shares('GHMC-001')),
    'polling_stations',
    'the side-by-side view says W1''s Lok Sabha shares are counted'
);

select * from finish();
rollback;
