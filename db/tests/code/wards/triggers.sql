-- pgTAP: ward.created_at stays and ward.updated_at follows real changes (code/wards/triggers).
begin;
select tap_ensure_personas();
select plan(5);

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

select * from finish();
rollback;
