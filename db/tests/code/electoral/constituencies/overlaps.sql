-- pgTAP: code/electoral/constituencies/overlaps — ward/constituency overlaps on a small case worked by
-- hand (A is lon 78.40-78.42, B 78.42-78.44; wards W1 78.40-78.41, W2 78.41-78.43, W3 78.43-78.44, W4
-- a sliver case; equal-width rectangles have equal areas, so every fraction is exact).
begin;
select tap_ensure_personas();
select plan(24);

select tap_electoral_two_acs();

select has_function('public', 'electoral_recompute_lock', array['text'], 'electoral_recompute_lock(text) exists');
select isnt_definer('public', 'electoral_recompute_lock', array['text'], 'electoral_recompute_lock() runs as its caller (security invoker)');
select isnt(obj_description('public.electoral_recompute_lock(text)'::regprocedure, 'pg_proc'), null, 'electoral_recompute_lock() says what it does');
select ok(not has_function_privilege('public', 'public.electoral_recompute_lock(text)'::regprocedure, 'execute'), 'PUBLIC may not execute electoral_recompute_lock()');
select has_function('public', 'compute_ward_constituency', array['numeric'], 'compute_ward_constituency(numeric) exists');
select is_definer('public', 'compute_ward_constituency', array['numeric'], 'compute_ward_constituency() runs as its owner (security definer)');
select isnt(obj_description('public.compute_ward_constituency(numeric)'::regprocedure, 'pg_proc'), null, 'compute_ward_constituency() says what it does');
select ok(not has_function_privilege('public', 'public.compute_ward_constituency(numeric)'::regprocedure, 'execute'), 'PUBLIC may not execute compute_ward_constituency()');

select results_eq(
    $$select ward_id, constituencies, largest_fraction, dropped_slivers, method
      from compute_ward_constituency(0.02) order by ward_id$$,
    $$values ('GHMC-001', 1, 1.000000::numeric, 0, 'computed'),
             ('GHMC-002', 2, 0.500000, 0, 'computed'),
             ('GHMC-003', 1, 1.000000, 0, 'computed'),
             ('GHMC-004', 1, 1.000000, 0, 'computed')$$,
    'each ward''s constituencies and its largest share, by hand'
);
select results_eq(
    $$select wc.ward_id, c.name::text, wc.ward_fraction, wc.constituency_fraction
      from ward_constituency wc join constituency c using (constituency_id) order by 1, 2$$,
    $$values ('GHMC-001', 'A', 1.000000::numeric, 0.500000::numeric),
             ('GHMC-002', 'A', 0.500000, 0.500000),
             ('GHMC-002', 'B', 0.500000, 0.500000),
             ('GHMC-003', 'B', 1.000000, 0.500000),
             ('GHMC-004', 'A', 1.000000, 0.005000)$$,
    'ward and constituency fractions: the edge ward''s 1 % inside A is all of it that overlaps'
);
select results_eq(
    $$select ward_id, constituencies, dropped_slivers from compute_ward_constituency(0.02) where ward_id = 'GHMC-004'$$,
    $$values ('GHMC-004', 1, 0)$$,
    'a ward overlapping only one constituency keeps it, however little of the ward it is (fractions rescale to 1)'
);
-- Move the edge ward so 1 % of it lies in B as well: that overlap is a sliver.
update ward set boundary = tap_box(78.4199, 78.4299)
where ward_id = 'GHMC-004';
select results_eq(
    $$select ward_id, constituencies, dropped_slivers from compute_ward_constituency(0.02) where ward_id = 'GHMC-004'$$,
    $$values ('GHMC-004', 1, 1)$$,
    'an overlap under 2 % of the ward is a sliver of disagreeing layers: dropped and counted'
);
select is(
    (
        select ward_fraction from ward_constituency
        where ward_id = 'GHMC-004'
    ), 1.000000::numeric,
    'the rest is rescaled so the ward''s fractions add up to 1'
);

-- A reviewed override wins over the computed answer.
insert into ward_constituency_override (ward_id, constituency_id, ward_fraction, reason)
select
    'GHMC-002',
    constituency_id,
    1,
    'GHMC lists Middle Ward under A only (reviewed)'
from constituency
where name = 'A';
select results_eq(
    $$select ward_id, constituencies, method from compute_ward_constituency() where ward_id = 'GHMC-002'$$,
    $$values ('GHMC-002', 1, 'override')$$,
    'an override replaces every computed row of its ward'
);
select is(
    (
        select note from ward_constituency
        where ward_id = 'GHMC-002'
    ), 'GHMC lists Middle Ward under A only (reviewed)',
    'and carries its reason'
);
update ward_constituency_override set ward_fraction = 0.6;
select throws_ok(
    $$select * from compute_ward_constituency()$$,
    '23514', 'ward_constituency_override: the fractions of ward GHMC-002 do not add up to 1',
    'an override whose fractions do not add up is refused'
);
delete from ward_constituency_override;

set local role tap_analyst;
select lives_ok($$select * from compute_ward_constituency()$$, 'an analyst may recompute the overlaps');
-- The sliver threshold is shared: an analyst recomputes with it, only an admin changes it (issue 18:
-- compute_ward_constituency(0.49) by an analyst halved the ward-AC rows everybody reads).
select throws_ok(
    $$select * from compute_ward_constituency(0.49)$$,
    '42501', 'compute_ward_constituency: the sliver threshold is shared (electoral_setting.sliver_threshold = 0.020), got 0.49',
    'an analyst cannot recompute the shared overlaps with a threshold of its own'
);
select throws_ok(
    $$update electoral_setting set sliver_threshold = 0.49$$,
    '42501', 'permission denied for table electoral_setting',
    'nor change the shared threshold'
);
set local role tap_admin;
select lives_ok(
    $$update electoral_setting set sliver_threshold = 0.005$$,
    'an admin changes the shared threshold'
);
select throws_ok(
    $$delete from electoral_setting$$,
    '42501', 'permission denied for table electoral_setting',
    'the one row of settings cannot be deleted'
);
set local role tap_analyst;
select results_eq(
    $$select ward_id, constituencies, dropped_slivers from compute_ward_constituency() where ward_id = 'GHMC-004'$$,
    $$values ('GHMC-004', 2, 0)$$,
    'every later recompute, an analyst''s included, uses the admin''s threshold (the 1 % overlap is kept)'
);
select throws_ok(
    $$select * from compute_ward_constituency('NaN')$$,
    '22023', 'compute_ward_constituency: sliver threshold must be in [0, 0.5), got NaN',
    'a NaN threshold is refused'
);
set local role tap_reader;
select throws_ok(
    $$select * from compute_ward_constituency()$$,
    '42501', 'permission denied for function compute_ward_constituency',
    'a reader may not'
);

select * from finish();
rollback;
