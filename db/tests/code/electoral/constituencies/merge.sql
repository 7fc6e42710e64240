-- pgTAP: code/electoral/constituencies/merge — a campaign admin merges staged boundaries (an AC drawn
-- in two pieces is one MultiPolygon, a PC the union of its ACs) and the reviewed overrides (the file is
-- the whole set: removals only when allowed); bad files refused whole, with their lines.
begin;
select tap_ensure_personas();
select plan(16);

truncate ward cascade;
insert into ward (ward_id, ward_no, name, zone, boundary) values
('GHMC-001', 1, 'West Ward', 'West Zone', tap_box(78.40, 78.41)),
('GHMC-002', 2, 'Middle Ward', 'West Zone', tap_box(78.41, 78.43));

set local role tap_admin;
select throws_ok(
    $$select constituency_boundaries_merge('S29', 'test.geojson')$$,
    '55000', null,
    'nothing staged, nothing merged'
);
select constituency_boundary_stage();
insert into pg_temp.constituency_boundary_stage values
(1, 901, 'West', null, 'Hyderabad', 909, 'Testpc', null, tap_box(78.40, 78.42)),
(2, 902, 'East', 'SC', 'Hyderabad', 909, 'Testpc', null, tap_box(78.42, 78.44)),
(3, 902, 'East', 'SC', 'Hyderabad', 909, 'Testpc', null, tap_box(78.45, 78.46));
create temporary table merged on commit drop as
select constituency_boundaries_merge('S29', 'test.geojson') as r;
select is(
    (select r - 'multi_part' from merged),
    '{"features": 3, "acs": 2, "pcs": 1, "ac_inserted": 2, "ac_updated": 0, "ac_unchanged": 0,
      "pc_inserted": 1, "pc_updated": 0, "pc_unchanged": 0}'::jsonb,
    'two ACs and their PC are inserted and counted'
);
select is(
    (select r -> 'multi_part' from merged),
    '[{"ac_no": 902, "name": "East", "reserved_for": "SC", "pieces": 2, "features": [2, 3]}]'::jsonb,
    'an AC drawn in two features is reported'
);
select is(
    (
        select public.st_numgeometries(boundary) || ' ' || source from constituency
        where kind = 'AC' and number = 902
    ),
    '2 test.geojson; features 2, 3 joined',
    'its pieces are one MultiPolygon, and its source says so'
);
select ok(
    (
        select bool_and(public.st_covers(pc.boundary, ac.boundary)) and bool_and(ac.pc_id = pc.constituency_id)
        from constituency as ac
        inner join constituency as pc on pc.kind = 'PC' and pc.number = 909
        where ac.kind = 'AC' and ac.number in (901, 902)
    ),
    'the PC is the union of its ACs, and they point at it'
);
select is(
    (
        select array[r ->> 'ac_unchanged', r ->> 'pc_unchanged'] from (
            select constituency_boundaries_merge('S29', 'test.geojson') as r
        ) as again
    ),
    array['2', '1'], 'merging the same features again changes nothing'
);
update pg_temp.constituency_boundary_stage set name = 'West Side'
where ac_no = 901;
select is(
    (select constituency_boundaries_merge('S29', 'test.geojson') ->> 'ac_updated'), '1',
    'a renamed AC is updated'
);
select throws_ok(
    $$select constituency_boundaries_merge('S2', 'test.geojson')$$,
    '22023', 'constituency_boundaries_merge: state code must look like S29, got ''S2''',
    'a state code is checked'
);

-- The reviewed overrides.
select ward_constituency_override_stage();
insert into pg_temp.ward_constituency_override_stage values
(2, 'GHMC-001', 901, 1, 'reviewed'),
(3, '2', 901, 0.5, 'reviewed'),
(4, 'Middle Ward', 902, 0.5, 'reviewed');
select is(
    ward_constituency_override_merge('S29', 'o.csv'),
    '{"read": 3, "inserted": 3, "updated": 0, "unchanged": 0, "removed": 0, "removed_wards": []}'::jsonb,
    'overrides naming wards by id, number or name are inserted'
);
select is(
    (
        select string_agg(source, ', ' order by source) from ward_constituency_override
        where ward_id = 'GHMC-002'
    ),
    'o.csv line 3, o.csv line 4', 'each says which line of which file'
);
select is(
    ward_constituency_override_merge('S29', 'o.csv') ->> 'unchanged', '3',
    'merging the same overrides again changes nothing'
);
insert into pg_temp.ward_constituency_override_stage values
(5, 'GHMC-999', 901, 1, 'x'),
(6, 'GHMC-001', 200, 1, 'x'),
(7, 'GHMC-001', 901, 1, 'x');
select throws_ok(
    $$select ward_constituency_override_merge('S29', 'o.csv')$$,
    'LDI01',
    'ward_constituency_override_merge: 2 problem(s) in the staged file, first: line 5: no ward GHMC-999 in the registry',
    'unknown wards and ACs are refused naming their lines'
);
delete from pg_temp.ward_constituency_override_stage
where line in (5, 6);
select throws_ok(
    $$select ward_constituency_override_merge('S29', 'o.csv')$$,
    'LDI01',
    'ward_constituency_override_merge: 1 problem(s) in the staged file, first: line 2: ward GHMC-001 and its AC appear 2 times',
    'one ward and AC twice, however the ward is written, is refused'
);
delete from pg_temp.ward_constituency_override_stage
where line in (2, 7);
select throws_ok(
    $$select ward_constituency_override_merge('S29', 'o.csv')$$,
    'LDI02',
    'ward_constituency_override_merge: the file would remove 1 overrides of 1 wards that earlier imports loaded',
    'an override the file no longer has is removed only when allowed'
);
select is(
    ward_constituency_override_merge('S29', 'o.csv', true) - 'read' - 'unchanged',
    '{"inserted": 0, "updated": 0, "removed": 1, "removed_wards": ["GHMC-001"]}'::jsonb,
    'with removal allowed it goes, reported'
);

reset role;
set local role tap_analyst;
select throws_ok(
    $$select ward_constituency_override_merge('S29', 'o.csv')$$,
    '42501', null,
    'an analyst cannot merge overrides'
);

select * from finish();
rollback;
