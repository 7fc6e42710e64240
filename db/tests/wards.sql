-- pgTAP: the GHMC ward registry, its boundaries and the fuzzy lookup.
begin;
select tap_ensure_personas();
select plan(42);

select tap_freeze_time('2025-08-01 10:00:00+05:30');

select has_table('public', 'ward', 'the ward registry exists');
select col_is_pk('public', 'ward', 'ward_id', 'wards are keyed by ward_id');

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

-- What a ward row must look like.
select throws_ok(
    $$insert into ward (ward_id, ward_no, name) values ('X-1', 2, 'Dr A S Rao Nagar')$$,
    '23514', 'new row for relation "ward" violates check constraint "ward_id_format"',
    'a ward id must look like GHMC-002'
);
select throws_ok(
    $$insert into ward (ward_id, ward_no, name) values ('GHMC-003', 2, 'Dr A S Rao Nagar')$$,
    '23514', 'new row for relation "ward" violates check constraint "ward_id_matches_no"',
    'a ward id must carry the ward number'
);
select throws_ok(
    $$insert into ward (ward_id, ward_no, name) values ('GHMC-151', 151, 'Nowhere')$$,
    '23514', 'new row for relation "ward" violates check constraint "ward_no_range"',
    'GHMC has wards 1 to 150'
);
select throws_ok(
    $$insert into ward (ward_id, ward_no, name, zone) values ('GHMC-002', 2, 'Dr A S Rao Nagar', 'East')$$,
    '23514', 'new row for relation "ward" violates check constraint "ward_zone_known"',
    'a zone is one of the five GHMC zones, spelt in full'
);
select throws_ok(
    $$insert into ward (ward_id, ward_no, name) values ('GHMC-002', 2, ' Kapra')$$,
    '23514', 'new row for relation "ward" violates check constraint "ward_name_trimmed"',
    'a ward name has no surrounding blanks'
);
select throws_ok(
    $$insert into ward (ward_id, ward_no, name) values ('GHMC-002', 2, 'KAPRA')$$,
    '23505', 'duplicate key value violates unique constraint "ux_ward_name_lower"',
    'two wards cannot share a name, whatever the case'
);
select throws_ok(
    $$insert into ward (ward_id, ward_no, name) values ('GHMC-002', 1, 'Dr A S Rao Nagar')$$,
    '23514', 'new row for relation "ward" violates check constraint "ward_id_matches_no"',
    'a ward number cannot be registered twice under another id'
);

-- Boundaries are GeoJSON Polygon or MultiPolygon geometries.
select is(
    ward_boundary_problem('{"type": "Point", "coordinates": [78.4, 17.4]}'),
    'geometry type Point is not Polygon or MultiPolygon',
    'a point is not a ward boundary, and the reason says so'
);
select is(
    ward_boundary_problem('{"type": "Polygon", "coordinates": [[[78.40, 17.40], [78.41, 17.40], [78.41, 17.41]]]}'),
    'polygon 1 ring 1 has fewer than 4 positions',
    'a ring needs at least four positions'
);
select is(
    ward_boundary_problem(
        '{"type": "Polygon", "coordinates": [[[78.40, 17.40], [78.41, 17.40], [78.41, 17.41], [78.40, 17.41]]]}'
    ),
    'polygon 1 ring 1 is not closed (first position [78.40, 17.40], last [78.40, 17.41])',
    'a ring must end where it starts'
);
select is(
    ward_boundary_problem('{"type": "Polygon", "coordinates": [[[17.4, 278.4], [17.5, 78.4], [17.5, 78.5], [17.4, 278.4]]]}'),
    'polygon 1 ring 1 position 1 [17.4, 278.4] is outside longitude/latitude range',
    'coordinates are longitude, latitude within range'
);
select is(
    ward_boundary_problem('{"type": "MultiPolygon", "coordinates": [[[["78.4", 17.4]]]]}'),
    'polygon 1 ring 1 has fewer than 4 positions',
    'a MultiPolygon is checked polygon by polygon'
);
select throws_ok(
    $$update ward set boundary = '{"type": "Point", "coordinates": [78.4, 17.4]}' where ward_no = 95$$,
    '23514', 'new row for relation "ward" violates check constraint "ward_boundary_geojson"',
    'the table refuses a boundary that is not a polygon'
);
select lives_ok(
    $$update ward set boundary =
        '{"type": "Polygon", "coordinates": [[[78.39, 17.40], [78.44, 17.40], [78.44, 17.45], [78.39, 17.45], [78.39, 17.40]]]}'
      where ward_no = 95$$,
    'a closed polygon is accepted as a boundary'
);
select is(
    (
        select bbox::text from ward
        where ward_no = 95
    ), '(78.44,17.45),(78.39,17.4)',
    'the database keeps the bounding box of the boundary'
);
select is(
    (
        select bbox::text from ward
        where ward_no = 95
            and ward_boundary_bbox('{"type": "MultiPolygon", "coordinates": [
                [[[78.39, 17.40], [78.40, 17.40], [78.40, 17.41], [78.39, 17.40]]],
                [[[78.43, 17.44], [78.44, 17.44], [78.44, 17.45], [78.43, 17.44]]]]}') ~= bbox
    ),
    '(78.44,17.45),(78.39,17.4)',
    'a MultiPolygon''s bounding box spans all its polygons'
);

-- updated_at follows the database clock when a ward changes; created_at does not move.
select tap_freeze_time('2025-08-02 11:00:00+05:30');
update ward set zone = 'Central Zone', created_at = '2030-01-01'
where ward_no = 93;
select is(
    (
        select array[created_at, updated_at] from ward
        where ward_no = 93
    ),
    array['2025-08-01 10:00:00+05:30', '2025-08-01 10:00:00+05:30']::timestamptz [],
    'an update that changes nothing keeps updated_at, and created_at cannot be rewritten'
);
update ward set zone = 'West Zone'
where ward_no = 93;
select is(
    (
        select updated_at from ward
        where ward_no = 93
    ), '2025-08-02 11:00:00+05:30'::timestamptz,
    'a real change stamps updated_at with the database clock'
);
-- Issue 18: a change that equality cannot see is still a change. jsonb calls 17.4 and 17.40 equal;
-- the stored boundary differs, so updated_at moves. A no-op update still keeps it.
update ward set boundary = '{"type": "Polygon", "coordinates": [[[78.39, 17.4], [78.4, 17.4], [78.4, 17.41], [78.39, 17.4]]]}'
where ward_no = 93;
select tap_freeze_time('2025-08-03 12:00:00+05:30');
select ok(
    (
        select boundary = '{"type": "Polygon", "coordinates": [[[78.390, 17.40], [78.40, 17.40], [78.40, 17.410], [78.390, 17.40]]]}'
        from ward
        where ward_no = 93
    ),
    'jsonb equality cannot tell 17.4 from 17.40'
);
update ward set boundary = '{"type": "Polygon", "coordinates": [[[78.390, 17.40], [78.40, 17.40], [78.40, 17.410], [78.390, 17.40]]]}'
where ward_no = 93;
select is(
    (
        select updated_at from ward
        where ward_no = 93
    ), '2025-08-03 12:00:00+05:30'::timestamptz,
    'but rewriting the boundary 17.4 -> 17.40 moves updated_at'
);
select tap_freeze_time('2025-08-04 12:00:00+05:30');
update ward set boundary = boundary, name = name
where ward_no = 93;
select is(
    (
        select updated_at from ward
        where ward_no = 93
    ), '2025-08-03 12:00:00+05:30'::timestamptz,
    'and an update that stores the same text keeps it'
);

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
select throws_ok(
    $$insert into ward (ward_id, ward_no, name) values ('GHMC-002', 2, 'Dr A S Rao Nagar')$$,
    '42501', 'permission denied for table ward',
    'a readonly user cannot add wards'
);
reset role;
set local role tap_analyst;
select throws_ok(
    $$update ward set zone = null where ward_no = 1$$,
    '42501', 'permission denied for table ward',
    'an analyst cannot change the registry'
);
reset role;
set local role tap_admin;
select lives_ok(
    $$insert into ward (ward_id, ward_no, name, zone) values ('GHMC-002', 2, 'Dr A S Rao Nagar', 'East Zone')$$,
    'an admin can register a ward'
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
