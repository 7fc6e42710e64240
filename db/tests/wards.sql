-- pgTAP: the GHMC ward registry, its boundaries and the fuzzy lookup.
begin;
select tap_ensure_personas();
select plan(21);

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


-- Who may do what.
set local role tap_reader;
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

select * from finish();
rollback;
