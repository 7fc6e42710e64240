-- pgTAP: code/electoral/constituencies/staging — what `import constituencies` stages, and the checks
-- of an overrides file that need all its rows: a pair given twice, fractions that do not add up.
begin;
select tap_ensure_personas();
select plan(5);

set local role tap_admin;
select throws_ok(
    $$select * from ward_constituency_override_stage_problems()$$,
    '55000',
    'ward_constituency_override_stage_problems: nothing staged: call ward_constituency_override_stage() first',
    'nothing staged, nothing to ask'
);
select ward_constituency_override_stage();
insert into pg_temp.ward_constituency_override_stage (line, ward, ac_no, ward_fraction, reason) values
(2, 'GHMC-095', 61, 0.75, 'reviewed'),
(3, 'GHMC-095', 60, 0.25, 'reviewed'),
(4, 'GHMC-001', 44, 0.5, 'reviewed'),
(5, 'ghmc-095', 61, 0.75, 'again');
select results_eq(
    $$select line, message, total::int from ward_constituency_override_stage_problems()$$,
    $$values
    (4, 'the fractions of ward GHMC-001 (lines 4) add up to 0.5, not 1', 2),
    (5, 'ward ghmc-095 and AC 61 again (first on line 2)', 2)$$,
    'a pair given again, and a ward whose fractions do not add up to 1, each with its line'
);
select is(
    (select count(*)::int from ward_constituency_override_stage_problems(1)), 1,
    'at most max_listed are listed'
);
select throws_ok(
    $$select * from ward_constituency_override_stage_problems(100001)$$,
    '22023', 'ward_constituency_override_stage_problems: max_listed must be in [1, 100000], got 100001',
    'max_listed is bounded'
);
select constituency_boundary_stage();
select is(
    (select count(*)::int from pg_temp.constituency_boundary_stage), 0,
    'the features'' staging table is made empty'
);

select * from finish();
rollback;
