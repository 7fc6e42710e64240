-- pgTAP: the Form 20 merge of station results and candidate rows, as a campaign admin runs it.
begin;
select tap_ensure_personas();
select plan(17);

insert into constituency (state_code, kind, number, name) values ('S06', 'AC', 1, 'Abadasa');
insert into election (type, year, state_code) values ('LOKSABHA', 2014, null);

set local role tap_admin;

select tap_form20_stage_file();
select form20_merge_stations('AC001.csv', 'S06', 1, (
    select constituency_id from constituency
    where number = 1
), 2008);

-- A first load of the AC: nothing loaded yet, so nothing to remove (answered without result_ps).
select is(
    form20_ac_loaded((select min(id) from election), (
        select constituency_id from constituency
        where number = 1
    ), 2008),
    false,
    'before the first load the election has no station result at the AC''s stations'
);
select results_eq(
    $$select * from form20_removals((select min(id) from election), (select constituency_id from constituency where number = 1), 2008)$$,
    $$values (0::bigint, 0::bigint, 0::bigint)$$,
    'a first load removes nothing'
);

-- Results: first load, re-load, changes, removals (the votes-add-up check stays deferred, as in
-- the importer, which runs it before its transaction ends).
select results_eq(
    $$select * from form20_merge_results('AC001.csv', (select min(id) from election),
        (select constituency_id from constituency where number = 1), 2008, false)$$,
    $$values (3::bigint, 0::bigint, 0::bigint, 0::bigint, 6::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
    'a first load inserts every station result and candidate row'
);
select is(
    form20_ac_loaded((select min(id) from election), (
        select constituency_id from constituency
        where number = 1
    ), 2008),
    true,
    'after it, the AC counts as loaded in that election (a re-import compares and removes)'
);
select results_eq(
    $$select s.ps_id::text, r.candidate::text, r.votes, public.party_key(r.party_id)
      from result_ps as r inner join polling_station as s on r.polling_station_id = s.id
      order by s.ps_id, r.candidate$$,
    $$values ('S06-AC001-1', 'Asha Rao', 10, 'BJP'), ('S06-AC001-1', 'Ravi Kumar', 5, 'INC'),
        ('S06-AC001-2', 'Asha Rao', 3, 'BJP'), ('S06-AC001-2', 'Ravi Kumar', 4, 'INC'),
        ('S06-AC001-2/2', 'Asha Rao', 6, 'BJP'), ('S06-AC001-2/2', 'Ravi Kumar', 1, 'INC')$$,
    'each candidate column becomes a row per station, with its party'
);
select results_eq(
    $$select s.ps_id::text, r.total_valid, r.rejected, r.nota, r.total_polled, r.tendered, r.source_meta
      from polling_station_result as r inner join polling_station as s on r.polling_station_id = s.id
      order by s.ps_id$$,
    $$values ('S06-AC001-1', 15, 1, 2, 18, 0, '{"file": "AC001.csv", "line": 3}'::jsonb),
        ('S06-AC001-2', 7, 0, 1, 8, 0, '{"file": "AC001.csv", "line": 4}'::jsonb),
        ('S06-AC001-2/2', 7, 0, 0, 7, null, '{"file": "AC001.csv", "line": 5}'::jsonb)$$,
    'the station totals are stored once per station, with file and line'
);
select results_eq(
    $$select * from form20_merge_results('AC001.csv', (select min(id) from election),
        (select constituency_id from constituency where number = 1), 2008, false)$$,
    $$values (0::bigint, 0::bigint, 3::bigint, 0::bigint, 0::bigint, 0::bigint, 6::bigint, 0::bigint)$$,
    'the same file again: everything unchanged (idempotent)'
);
select tap_form20_stage_file(array[5, 2]);
select form20_merge_stations('AC001.csv', 'S06', 1, (
    select constituency_id from constituency
    where number = 1
), 2008);
select results_eq(
    $$select * from form20_merge_results('AC001.csv', (select min(id) from election),
        (select constituency_id from constituency where number = 1), 2008, false)$$,
    $$values (0::bigint, 0::bigint, 3::bigint, 0::bigint, 0::bigint, 2::bigint, 4::bigint, 0::bigint)$$,
    'changed votes are updated, the rest unchanged'
);

-- A shorter file: station 2/2 and candidate Ravi Kumar are gone.
select tap_form20_stage_file();
delete from pg_temp.form20_station
where line = 5;
delete from pg_temp.form20_candidate
where idx = 2;
update pg_temp.form20_station set votes = votes[1:1], total_valid = votes[1], total = votes[1] + rejected + nota;
select form20_merge_stations('AC001.csv', 'S06', 1, (
    select constituency_id from constituency
    where number = 1
), 2008);
select results_eq(
    $$select * from form20_removals((select min(id) from election), (select constituency_id from constituency where number = 1), 2008)$$,
    $$values (1::bigint, 4::bigint, 16::bigint)$$,
    'what the file no longer has is counted: one station result, its two rows and two more rows (16 votes)'
);
select throws_ok(
    $$select * from form20_merge_results('AC001.csv', (select min(id) from election),
        (select constituency_id from constituency where number = 1), 2008, false)$$,
    '23001', null,
    'an import that would remove rows is refused without replace'
);
select is(
    (select count(*) from result_ps), 6::bigint,
    'and nothing was removed'
);
select results_eq(
    $$select * from form20_merge_results('AC001.csv', (select min(id) from election),
        (select constituency_id from constituency where number = 1), 2008, true)$$,
    $$values (0::bigint, 2::bigint, 0::bigint, 1::bigint, 0::bigint, 0::bigint, 2::bigint, 4::bigint)$$,
    'with replace, the removed station result and rows are counted, the totals updated'
);
select lives_ok(
    $$set constraints chk_polling_station_result_votes_add_up immediate$$,
    'the votes add up after the merge'
);
set constraints chk_polling_station_result_votes_add_up deferred;
select results_eq(
    $$select count(*), sum(votes) from result_ps$$,
    $$values (2::bigint, 13::bigint)$$,
    'two candidate rows remain'
);

-- The deferred votes-add-up check still guards what the merge writes.
select tap_form20_stage_file();
update pg_temp.form20_station set total_valid = 16, total = 19
where line = 3;
select form20_merge_stations('AC001.csv', 'S06', 1, (
    select constituency_id from constituency
    where number = 1
), 2008);
select lives_ok(
    $$select * from form20_merge_results('AC001.csv', (select min(id) from election),
        (select constituency_id from constituency where number = 1), 2008, true)$$,
    'the merge itself writes a station whose staged votes do not add up ...'
);
select throws_ok(
    $$set constraints chk_polling_station_result_votes_add_up immediate$$,
    '23514', null,
    '... and the database refuses it at the check, as the importer runs it before it ends'
);

-- Who may run it.
reset role;
set local role tap_analyst;
select throws_ok(
    $$select * from form20_merge_results('x', 1, 1, 2008, false)$$,
    '42501', 'permission denied for function form20_merge_results',
    'an analyst cannot merge a Form 20 load'
);
reset role;

select * from finish();
rollback;
