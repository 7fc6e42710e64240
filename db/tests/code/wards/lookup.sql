-- pgTAP: naming a ward exactly (ward_resolve) and the fuzzy lookup (code/wards/lookup).
begin;
select tap_ensure_personas();
select plan(16);

select tap_freeze_time('2025-08-01 10:00:00+05:30');

-- Real GHMC wards, as the importer would load them, in an otherwise empty registry.
truncate ward cascade;
insert into ward (ward_id, ward_no, name, zone) values
('GHMC-001', 1, 'Kapra', 'East Zone'),
('GHMC-026', 26, 'Old Malakpet', 'South Zone'),
('GHMC-075', 75, 'Red Hills', 'Central Zone'),
('GHMC-091', 91, 'Khairatabad', 'Central Zone'),
('GHMC-093', 93, 'Banjara Hills', 'Central Zone'),
('GHMC-095', 95, 'Jubilee Hills', 'Central Zone'),
('GHMC-096', 96, 'Yousufguda', 'Central Zone'),
('GHMC-121', 121, 'Kukatpally', 'West Zone');

-- Fuzzy lookup: what a user types in the search box.
select is(
    (select name from ward_lookup('jubli hils', 1)), 'Jubilee Hills',
    'a misspelt "jubli hils" finds Jubilee Hills first'
);
select ok(
    (select bool_and(similarity between 0.3 and 1) from ward_lookup('jubli hils')),
    'similarity is reported, at least 0.3 for every suggestion'
);
select results_eq(
    $$select name from ward_lookup('hills', 5)$$,
    array['Red Hills', 'Banjara Hills', 'Jubilee Hills']::text [],
    'a word in several names returns them all, equally similar, by ward number'
);
select is((select name from ward_lookup('malakpet')), 'Old Malakpet', 'one word of a longer name is enough');
select is((select name from ward_lookup('KUKATPALY')), 'Kukatpally', 'case and a missing letter do not matter');
select is((select ward_id from ward_lookup('Ward 91')), 'GHMC-091', '"Ward 91" is ward number 91');
select is((select ward_id from ward_lookup('91')), 'GHMC-091', 'a bare number is a ward number');
select is(
    (select ward_id from ward_lookup('ward no. 91 khairatabad')), 'GHMC-091',
    '"Ward No. 91 Khairatabad" is ward 91'
);
select is((select count(*)::int from ward_lookup('Ward 149')), 0, 'a number without a ward finds nothing');
select is((select count(*)::int from ward_lookup('zzzz')), 0, 'nonsense finds nothing');
select throws_ok(
    $$select * from ward_lookup('   ')$$, '22023', 'ward_lookup: the query must name a ward, got ''   ''',
    'a blank query is refused, naming what was passed'
);
select throws_ok(
    $$select * from ward_lookup('kapra', 0)$$, '22023', 'ward_lookup: limit must be between 1 and 150, got 0',
    'a limit outside 1..150 is refused, naming the value'
);

-- Exact resolution, used to link a post's city to the registry.
select is(
    array[
        ward_resolve('  jubilee   HILLS '), ward_resolve('GHMC-095'), ward_resolve('Ward 95'),
        ward_resolve('ward 95 jubilee hills'), ward_resolve('95')
    ],
    array['GHMC-095', 'GHMC-095', 'GHMC-095', 'GHMC-095', 'GHMC-095'],
    'a ward is named by name in any case, id, number or "Ward N Name"'
);
select is(
    array[ward_resolve('Ward 95 Banjara Hills'), ward_resolve('Hyderabad'), ward_resolve('jubli hils'), ward_resolve('')],
    array[null, null, null, null]::text [],
    'ward_resolve never guesses: a contradiction, a city or a typo names no ward'
);

-- Who may do what.
set local role tap_reader;
select is(
    (select name from ward_lookup('jubli hils', 1)), 'Jubilee Hills',
    'a readonly user can look wards up'
);
reset role;
set local role tap_outsider;
select throws_ok(
    $$select * from ward_lookup('kapra')$$,
    '42501', 'permission denied for function ward_lookup',
    'a role outside LokDarpan cannot even call the lookup'
);
reset role;

select * from finish();
rollback;
