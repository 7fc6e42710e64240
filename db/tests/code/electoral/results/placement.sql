-- pgTAP: code/electoral/results/placement — place_polling_stations() places stations in the ward they
-- stand in.
begin;
select tap_ensure_personas();
select plan(6);

truncate ward cascade;
insert into ward (ward_id, ward_no, name, zone, boundary) values
(
    'GHMC-001', 1, 'West Ward', 'West Zone',
    '{"type": "Polygon", "coordinates": [[[78.40, 17.40], [78.41, 17.40], [78.41, 17.42], [78.40, 17.42], [78.40, 17.40]]]}'
);
insert into constituency (state_code, kind, number, name) values ('S29', 'AC', 901, 'A');
insert into election (type, year, state_code) values ('ASSEMBLY', 2023, 'S29'), ('GHMC', 2020, 'S29');

-- Shares are computed from the votes, as ECI computes percent_votes (NOTA in the denominator).
insert into constituency_result (
    election_id, constituency_id, candidate, party_id, party_as_published,
    evm_votes, postal_votes, total_votes, published_percent
)
select
    (
        select id from election
        where type = 'ASSEMBLY'
    ),
    (select constituency_id from constituency),
    c,
    party_resolve(p),
    p,
    e,
    v - e,
    v,
    pct
from (
    values ('Asha', 'Bharat Rashtra Samithi', 590, 600, 59.41), ('Ravi', 'Indian National Congress', 300, 300, 29.70),
    ('Sita', 'Bharatiya Janata Party', 100, 100, 9.90), ('None of the Above', 'None of the Above', 10, 10, 0.99))
    as v (c, p, e, v, pct);

select has_function('public', 'place_polling_stations', array[]::text [], 'place_polling_stations() exists');
select is_definer('public', 'place_polling_stations', array[]::text [], 'place_polling_stations() runs as its owner (security definer)');
select isnt(obj_description('public.place_polling_stations()'::regprocedure, 'pg_proc'), null, 'place_polling_stations() says what it does');
select ok(not has_function_privilege('public', 'public.place_polling_stations()'::regprocedure, 'execute'), 'PUBLIC may not execute place_polling_stations()');

-- Polling stations: range-checked, placed in the ward they stand in.
insert into polling_station (ps_id, constituency_id, serial, lat, lon)
select
    'S29-AC901-' || s,
    (select constituency_id from constituency),
    s,
    lat,
    lon
from (values ('1', 17.41, 78.405), ('2', 17.41, 78.406), ('3', 17.50, 78.50), ('4', null, null)) as v (s, lat, lon);
select results_eq(
    $$select * from place_polling_stations()$$,
    $$values (2, 1, 1)$$,
    'two stations are placed by their point, one lies outside every ward, one has no location'
);
select results_eq(
    $$select serial::text, ward_id, ward_name::text from polling_station order by serial$$,
    $$values ('1', 'GHMC-001', 'West Ward'), ('2', 'GHMC-001', 'West Ward'), ('3', null, null), ('4', null, null)$$,
    'placed stations link to the ward registry'
);

select * from finish();
rollback;
