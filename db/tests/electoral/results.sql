-- pgTAP: constituency results, polling stations and Form 20 results: their constraints and privileges
-- (schema change electoral/results).
begin;
select tap_ensure_personas();
select plan(10);

select tap_electoral_one_ac_results();

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

select tap_electoral_polling_stations();
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
-- Who may do what: admins import, analysts and readers read (analysts also run the recompute
-- functions, tested in ward_analytics.sql).
set local role tap_reader;
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

-- A result_ps row is its (election, station, candidate): no surrogate id (issue 21), the key primary.
select hasnt_column('public', 'result_ps', 'id', 'result_ps has no surrogate id');
select col_is_pk(
    'public', 'result_ps', array['election_id', 'polling_station_id', 'candidate'],
    'result_ps_candidate_key: the primary key, one row per election, station and candidate'
);

select * from finish();
rollback;
