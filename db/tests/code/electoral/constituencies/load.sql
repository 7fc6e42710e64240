-- pgTAP: code/electoral/constituencies/load — `import constituencies` in one call: boundaries, then
-- (with wards) overrides and the recomputed overlaps, reported; refused without wards unless asked.
begin;
select tap_ensure_personas();
select plan(9);

truncate ward cascade;

set local role tap_admin;
select constituency_boundary_stage();
insert into pg_temp.constituency_boundary_stage values
(1, 901, 'West', null, 'Hyderabad', 909, 'Testpc', null, tap_box(78.40, 78.42)),
(2, 902, 'East', null, 'Hyderabad', 909, 'Testpc', null, tap_box(78.42, 78.44));
select throws_ok(
    $$select constituency_merge('S29', 'test.geojson')$$,
    '55000',
    'the ward registry is empty: load the wards first (`lokdarpan-db import wards`), then import constituencies',
    'without wards the import is refused'
);
select is(
    (
        select array[r ->> 'wards', r -> 'boundaries' ->> 'acs', r ->> 'recompute'] from (
            select constituency_merge('S29', 'test.geojson', p_require_wards => false) as r
        ) as m
    ),
    array['0', '2', null], 'unless asked: constituencies load and nothing is computed for wards'
);

reset role;
insert into ward (ward_id, ward_no, name, zone, boundary) values
('GHMC-001', 1, 'West Ward', 'West Zone', tap_box(78.40, 78.41)),
('GHMC-002', 2, 'Middle Ward', 'West Zone', tap_box(78.41, 78.43)),
('GHMC-003', 3, 'Cloud Ward', 'West Zone', null);
set local role tap_admin;
select ward_constituency_override_stage();
insert into pg_temp.ward_constituency_override_stage values (2, 'GHMC-001', 902, 1, 'reviewed: test');
create temporary table merged on commit drop as
select constituency_merge('S29', 'test.geojson', 'o.csv') as r;
select is(
    (select r -> 'overrides' ->> 'inserted' from merged), '1', 'the overrides are merged'
);
select is(
    (select r -> 'recompute' -> 'overrides_applied' from merged), '["GHMC-001"]'::jsonb,
    'the override places its ward'
);
select is(
    (select r -> 'recompute' -> 'wards_split' from merged), '{"GHMC-002": [901, 902]}'::jsonb,
    'a ward across two ACs is split, largest share first'
);
select is(
    (select r -> 'recompute' -> 'wards_without_constituency' from merged), '["GHMC-003 Cloud Ward (no boundary)"]'::jsonb,
    'a ward without a boundary lies in no constituency, and the report says why'
);
select is(
    (
        select array[r -> 'boundaries' ->> 'ac_unchanged', r -> 'overrides' ->> 'unchanged', r -> 'recompute' ->> 'assignments_changed']
        from (select constituency_merge('S29', 'test.geojson', 'o.csv') as r) as again
    ),
    array['2', '1', '0'], 'the same files again change nothing'
);
select throws_ok(
    $$select ward_constituency_recompute_report('NaN')$$,
    '22023', 'ward_constituency_recompute_report: sliver threshold must be in [0, 0.5), got NaN',
    'NaN is not a threshold'
);

reset role;
set local role tap_analyst;
select throws_ok(
    $$select constituency_merge('S29', 'test.geojson')$$,
    '42501', null,
    'an analyst cannot import constituencies'
);

select * from finish();
rollback;
