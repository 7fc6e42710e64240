-- pgTAP: code/electoral/demographics_merge/merge — a campaign admin merges a staged demographics
-- file; wards found by any name, bad rows refused with their lines, a second merge changes nothing.
begin;
select tap_ensure_personas();
select plan(8);

truncate ward cascade;
insert into ward (ward_id, ward_no, name, zone) values
('GHMC-095', 95, 'Jubilee Hills', 'West Zone'),
('GHMC-091', 91, 'Khairatabad', 'Central Zone'),
('GHMC-100', 100, 'Sanath Nagar', 'West Zone');

set local role tap_admin;
select ward_demographics_stage();
insert into pg_temp.ward_demographics_stage (line, ward, literacy_idx, muslim_idx, note, name) values
(2, 'GHMC-095', 0.8412, 0.1, 'survey', 'Jubilee Hills'),
(3, 'Khairatabad', 0.7, null, '', '');
select is(
    ward_demographics_merge('demo.csv line '),
    '{"inserted": 2, "updated": 0, "unchanged": 0, "wards_not_in_file": 1}'::jsonb,
    'each ward is found by id or name and inserted; the ward the file leaves out is counted'
);
select results_eq(
    $$select ward_id, literacy_idx, source from ward_demographics order by ward_id$$,
    $$values ('GHMC-091'::text, 0.7000::numeric(5, 4), 'demo.csv line 3'), ('GHMC-095', 0.8412, 'demo.csv line 2 (survey)')$$,
    'values and their source (file, line, note) are stored'
);
select is(
    ward_demographics_merge('demo.csv line ') ->> 'unchanged', '2',
    'merging the same rows again changes nothing'
);

insert into pg_temp.ward_demographics_stage (line, ward, name) values
(4, 'Atlantis', ''),
(5, 'GHMC-100', 'Begumpet'),
(6, 'jubilee hills', '');
select throws_ok(
    $$select ward_demographics_merge('demo.csv line ')$$,
    'LDI01',
    'ward_demographics_merge: 3 problem(s) in the staged file, first: line 4: no ward ''Atlantis'' in the registry (ward_resolve)',
    'a bad file is refused with its first problem'
);
select is(
    (select count(*)::int from ward_demographics), 2, 'a refused file writes nothing'
);
select throws_ok(
    $$select ward_demographics_merge(repeat('x', 301))$$,
    '22023', null,
    'a long source prefix is refused by length'
);

reset role;
set local role tap_analyst;
select throws_ok(
    $$select ward_demographics_merge('demo.csv line ')$$,
    '42501', null,
    'an analyst cannot merge demographics'
);
reset role;
truncate ward cascade;
select throws_ok(
    $$select ward_demographics_merge('demo.csv line ')$$,
    '55000', 'the ward registry is empty: load the wards first (`lokdarpan-db import wards`)',
    'no wards, nothing merged'
);

select * from finish();
rollback;
