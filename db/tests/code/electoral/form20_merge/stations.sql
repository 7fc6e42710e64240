-- pgTAP: the Form 20 importer's staging, station problems and polling-station merge, as a campaign
-- admin runs them.
begin;
select tap_ensure_personas();
select plan(12);

insert into constituency (state_code, kind, number, name) values ('S06', 'AC', 1, 'Abadasa');
insert into election (type, year, state_code) values ('LOKSABHA', 2014, null);

set local role tap_admin;

-- Staging and its problems: each names the line.
select tap_form20_stage_file();
select is_empty(
    $$select * from form20_station_problems()$$,
    'stations whose own sums hold have no problems'
);
update pg_temp.form20_station set votes = array[11, 5], total = 19
where line = 3;
insert into pg_temp.form20_station
(line, serial, serial_db, occurrence, first_line, total_valid, rejected, nota, total, tendered, votes)
values (6, '1', '1/', 2, 3, 1, 0, 0, 1, 0, array[1, 0]), (7, '2Z', '2Z', 1, 7, 1, 0, 0, 1, 0, array[0, 1]);
select results_eq(
    $$select line, problem, found from form20_station_problems()$$,
    $$values
        (3, 'polling station 1: the candidates'' votes add up to 16, total valid (without NOTA) is 15; '
            || 'total valid 15 + rejected 1 + NOTA 2 = 18, Total is 19', 3::bigint),
        (5, 'polling station 2 appears 2 times: cannot keep it apart', 3::bigint),
        (6, 'polling station 1 appears 2 times: cannot keep it apart', 3::bigint)$$,
    'wrong sums and repeated serials that cannot be kept apart are named by line, in line order'
);
select results_eq(
    $$select line, found from form20_station_problems(1)$$,
    $$values (3, 3::bigint)$$,
    'the list is bounded, the count is not'
);

-- Polling stations.
select tap_form20_stage_file();
select results_eq(
    $$select * from form20_merge_stations('AC001.csv', 'S06', 1,
        (select constituency_id from constituency where number = 1), 2008)$$,
    $$values (3::bigint, 0::bigint, 0::bigint)$$,
    'a first load inserts every station'
);
select results_eq(
    $$select ps_id::text, serial::text, source_meta from polling_station order by ps_id$$,
    $$values ('S06-AC001-1', '1', '{"file": "AC001.csv", "line": 3}'::jsonb),
        ('S06-AC001-2', '2', '{"file": "AC001.csv", "line": 4}'::jsonb),
        ('S06-AC001-2/2', '2Z', '{"file": "AC001.csv", "line": 5, "note": "the serial appears more than once in the file", "occurrence": 2, "serial_as_typed": "2"}'::jsonb)$$,
    'ps_id is <state>-AC<nnn>-<serial>, a repeated serial is kept apart as /2 and 2Z, the source is named'
);
select is(
    (
        select count(*) from pg_temp.form20_station
        where station_id is null
    ),
    0::bigint,
    'the staged stations know their polling station ids'
);
select results_eq(
    $$select line, serial, first_line, ps_id, serial_db, found from form20_repeats()$$,
    $$values (5, '2', 4, 'S06-AC001-2/2', '2Z', 1::bigint)$$,
    'the repeated serial is listed with the ps_id and serial it was given'
);
select results_eq(
    $$select * from form20_merge_stations('AC001.csv', 'S06', 1,
        (select constituency_id from constituency where number = 1), 2008)$$,
    $$values (0::bigint, 0::bigint, 3::bigint)$$,
    'the same file again changes no station'
);
select throws_ok(
    $$select * from form20_merge_stations('AC001.csv', 'S6', 1, 1, 2008)$$,
    '22023', 'form20_merge_stations: state code ''S6'' is not an ECI state code like S06',
    'a bad state code is refused, naming it'
);
select throws_ok(
    $$select * from form20_merge_stations(repeat('x', 300), 'S06', 1, 1, 2008)$$,
    '22023', 'form20_merge_stations: file name ''xxxxxxxxxxxxxxxxxxxx''... (300 characters) must be 1-255 characters',
    'a long file name is refused, excerpted'
);
select throws_ok(
    $$select * from form20_merge_stations('AC001.csv', 'S06', 1000, 1, 2008)$$,
    '22023', 'form20_merge_stations: AC number 1000 is not between 1 and 999',
    'an AC number out of range is refused'
);

-- Who may run it.
reset role;
set local role tap_analyst;
select throws_ok(
    $$select form20_stage()$$,
    '42501', 'permission denied for function form20_stage',
    'an analyst cannot stage a Form 20 load'
);
reset role;

select * from finish();
rollback;
