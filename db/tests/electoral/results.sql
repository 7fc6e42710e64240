-- pgTAP: constituency results with computed shares, polling stations and Form 20 results whose
-- votes must add up.
begin;
select tap_ensure_personas();
select plan(23);

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
select results_eq(
    $$select candidate::text, vote_share, position::int, valid_votes::int from constituency_result_share order by position$$,
    $$values ('Asha', 59.41, 1, 1010), ('Ravi', 29.70, 2, 1010), ('Sita', 9.90, 3, 1010), ('None of the Above', 0.99, 4, 1010)$$,
    'shares and positions are computed, and agree with the published percentages'
);
select throws_ok(
    $$update constituency_result set postal_votes = 11 where candidate = 'Asha'$$,
    '23514', 'new row for relation "constituency_result" violates check constraint "chk_constituency_result_votes_add_up"',
    'EVM and postal votes add up to the total'
);
select throws_ok(
    $$update constituency_result set total_votes = -1, evm_votes = null where candidate = 'Asha'$$,
    '23514', 'new row for relation "constituency_result" violates check constraint "chk_constituency_result_total_votes"',
    'votes are never negative'
);
select throws_ok(
    $$update constituency_result set published_percent = 100.5 where candidate = 'Asha'$$,
    '23514', 'new row for relation "constituency_result" violates check constraint "chk_constituency_result_published_percent"',
    'a share is never outside 0-100'
);

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
select throws_ok(
    $$insert into polling_station (ps_id, constituency_id, serial, lat, lon) select 'x', constituency_id, '9', 91, 78 from constituency$$,
    '23514', 'new row for relation "polling_station" violates check constraint "chk_polling_station_lat"',
    'latitudes are range-checked'
);
select throws_ok(
    $$insert into polling_station (ps_id, constituency_id, serial) select 'S29-AC901-1', constituency_id, '1' from constituency$$,
    '23505', 'duplicate key value violates unique constraint "polling_station_ps_id_key"',
    'ps_id is unique per delimitation'
);

-- Form 20 results: the candidates' votes add up to the station's valid votes, checked at commit
-- (here immediately, to see it).
set constraints chk_polling_station_result_votes_add_up immediate;
select lives_ok(
    $$with st as (
        insert into polling_station_result (election_id, polling_station_id, total_valid, rejected, nota, total_polled)
        select e.id, s.id, 150, 2, 3, 155 from election e, polling_station s where e.type = 'GHMC' and s.serial = '1'
        returning election_id, polling_station_id
      )
      insert into result_ps (election_id, polling_station_id, candidate, party_id, votes)
      select st.election_id, st.polling_station_id, c, party_resolve(p), v from st,
          (values ('Asha', 'BRS', 100), ('Ravi', 'INC', 50)) as x (c, p, v)$$,
    'a station whose candidates add up to its valid votes loads'
);
select throws_ok(
    $$update result_ps set votes = 51 where candidate = 'Ravi'$$,
    '23514', 'polling station S29-AC901-1 in election ' || (
        select id from election
        where type = 'GHMC'
    )
    || ': candidates'' votes add up to 151, total_valid says 150',
    'changing one candidate''s votes alone is caught'
);
select throws_ok(
    $$update polling_station_result set total_valid = 149, total_polled = 154$$,
    '23514', null,
    'and so is changing the stated total alone'
);
select throws_ok(
    $$update polling_station_result set total_polled = 160$$,
    '23514', 'new row for relation "polling_station_result" violates check constraint "chk_polling_station_result_total"',
    'total polled is valid + rejected + NOTA'
);
set constraints chk_polling_station_result_votes_add_up deferred;
select lives_ok(
    $$update result_ps set votes = 51 where candidate = 'Ravi'$$,
    'inside a transaction the numbers may disagree for a while (deferred check) ...'
);
update polling_station_result set total_valid = 151, total_polled = 156;
select lives_ok(
    $$set constraints chk_polling_station_result_votes_add_up immediate$$,
    '... as long as they agree at commit (the pending checks pass)'
);

-- An admin writing result_ps directly cannot commit sums that no longer add up (issue 18): every
-- station a statement touches is checked again, the one a row left included, even when its check
-- already ran earlier in the transaction (the loader runs it after each file).
set local role tap_admin;
set constraints chk_polling_station_result_votes_add_up deferred;
insert into polling_station_result (election_id, polling_station_id, total_valid, rejected, nota, total_polled)
select
    e.id,
    s.id,
    150,
    0,
    0,
    150
from election as e, polling_station as s
where e.type = 'GHMC' and s.serial = '2';
insert into result_ps (election_id, polling_station_id, candidate, party_id, votes)
select
    e.id,
    s.id,
    x.c,
    party_resolve(x.p),
    x.v
from election as e, polling_station as s,
    (values ('Asha', 'BRS', 100), ('Ravi', 'INC', 50)) as x (c, p, v)
where e.type = 'GHMC' and s.serial = '2';
select lives_ok(
    $$set constraints chk_polling_station_result_votes_add_up immediate$$,
    'an admin loads a second station that adds up (checked now, as the loader checks after each file)'
);
set constraints chk_polling_station_result_votes_add_up deferred;
-- Each case runs in one throws_ok (its own subtransaction): the error undoes it.
select throws_ok(
    $$update result_ps set polling_station_id = (select id from polling_station where serial = '2'), candidate = 'Ravi (moved)'
      where candidate = 'Ravi' and polling_station_id = (select id from polling_station where serial = '1');
      update polling_station_result set total_valid = 201, total_polled = 201
      where polling_station_id = (select id from polling_station where serial = '2');
      set constraints chk_polling_station_result_votes_add_up immediate$$,
    '23514', 'polling station S29-AC901-1 in election ' || (
        select id from election
        where type = 'GHMC'
    )
    || ': candidates'' votes add up to 100, total_valid says 151',
    'moving a candidate row to another station is caught at the station it left'
);
select throws_ok(
    $$update result_ps set votes = 60
      where candidate = 'Ravi' and polling_station_id = (select id from polling_station where serial = '2');
      set constraints chk_polling_station_result_votes_add_up immediate$$,
    '23514', 'polling station S29-AC901-2 in election ' || (
        select id from election
        where type = 'GHMC'
    )
    || ': candidates'' votes add up to 160, total_valid says 150',
    'a station checked earlier in the transaction is checked again after a later change'
);
select throws_ok(
    $$delete from result_ps where candidate = 'Asha' and polling_station_id = (select id from polling_station where serial = '2');
      set constraints chk_polling_station_result_votes_add_up immediate$$,
    '23514', null, 'deleting a candidate row is caught'
);
select throws_ok(
    $$truncate result_ps$$,
    '23514', 'result_ps cannot be truncated while polling_station_result states valid votes',
    'emptying result_ps alone is refused (TRUNCATE fires no row triggers)'
);
reset role;

-- Who may do what: admins import, analysts and readers read (analysts also run the recompute
-- functions, tested in ward_analytics.sql).
set local role tap_reader;
select lives_ok($$select count(*) from constituency_result_share$$, 'a reader reads results and shares');
select throws_ok(
    $$insert into election (type, year, state_code) values ('GHMC', 2016, 'S29')$$,
    '42501', 'permission denied for table election',
    'a reader cannot add elections'
);
set local role tap_analyst;
select throws_ok(
    $$update result_ps set votes = 0$$,
    '42501', 'permission denied for table result_ps',
    'an analyst cannot change results'
);
set local role tap_admin;
select lives_ok(
    $$insert into election (type, year, state_code) values ('GHMC', 2016, 'S29')$$,
    'an admin imports'
);
reset role;

select * from finish();
rollback;
