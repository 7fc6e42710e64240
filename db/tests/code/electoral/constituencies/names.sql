-- pgTAP: code/electoral/constituencies/names — the name-anchor check (issue 21), on the small case of
-- the overlaps suite.
begin;
select tap_ensure_personas();
select plan(37);

select tap_electoral_two_acs();

select has_function('public', 'constituency_name_key', array['text'], 'constituency_name_key(text) exists');
select isnt_definer('public', 'constituency_name_key', array['text'], 'constituency_name_key() runs as its caller (security invoker)');
select isnt(obj_description('public.constituency_name_key(text)'::regprocedure, 'pg_proc'), null, 'constituency_name_key() says what it does');
select ok(not has_function_privilege('public', 'public.constituency_name_key(text)'::regprocedure, 'execute'), 'PUBLIC may not execute constituency_name_key()');
select has_function('public', 'ward_constituency_name_check', array['real', 'boolean', 'text'], 'ward_constituency_name_check(real, boolean, text) exists');
select isnt_definer('public', 'ward_constituency_name_check', array['real', 'boolean', 'text'], 'ward_constituency_name_check() runs as its caller (security invoker)');
select isnt(obj_description('public.ward_constituency_name_check(real, boolean, text)'::regprocedure, 'pg_proc'), null, 'ward_constituency_name_check() says what it does');
select ok(not has_function_privilege('public', 'public.ward_constituency_name_check(real, boolean, text)'::regprocedure, 'execute'), 'PUBLIC may not execute ward_constituency_name_check()');

-- electoral_check_scope(): the state code and kind check the electoral functions share.
select has_function('public', 'electoral_check_scope', array['text', 'text'], 'electoral_check_scope(text, text) exists');
select has_function('public', 'electoral_check_scope', array['text', 'text', 'text'], 'electoral_check_scope(text, text, text) exists');
select isnt_definer('public', 'electoral_check_scope', array['text', 'text'], 'electoral_check_scope(fn, state) runs as its caller (security invoker)');
select isnt_definer('public', 'electoral_check_scope', array['text', 'text', 'text'], 'electoral_check_scope(fn, state, kind) runs as its caller (security invoker)');
select isnt(obj_description('public.electoral_check_scope(text, text)'::regprocedure, 'pg_proc'), null, 'electoral_check_scope(fn, state) says what it does');
select isnt(obj_description('public.electoral_check_scope(text, text, text)'::regprocedure, 'pg_proc'), null, 'electoral_check_scope(fn, state, kind) says what it does');
select function_privs_are(
    'public', 'electoral_check_scope', array['text', 'text'], 'public', array[]::text [],
    'PUBLIC may not execute electoral_check_scope(fn, state)'
);
select function_privs_are(
    'public', 'electoral_check_scope', array['text', 'text', 'text'], 'public', array[]::text [],
    'PUBLIC may not execute electoral_check_scope(fn, state, kind)'
);
set local role tap_reader;
select lives_ok(
    $$select public.electoral_check_scope('some_fn', 'S29'), public.electoral_check_scope('some_fn', 'U07', 'PC')$$,
    'a reader may run it (the reader''s own checks call it); a sound state and kind pass'
);
select throws_ok(
    $$select public.electoral_check_scope('some_fn', 'S2')$$,
    '22023', 'some_fn: state code must look like S29, got ''S2''',
    'a bad state code is refused, naming the caller and the value'
);
select throws_ok(
    $$select public.electoral_check_scope('some_fn', null, 'AC')$$,
    '22023', 'some_fn: state code must look like S29, got null',
    'so is a missing one, before the kind'
);
select throws_ok(
    $$select public.electoral_check_scope('some_fn', 'S29', 'ac')$$,
    '22023', 'some_fn: kind must be AC or PC, got ''ac''',
    'a kind is AC or PC, as written'
);
select throws_ok(
    $$select public.electoral_check_scope('some_fn', 'S29', null)$$,
    '22023', 'some_fn: kind must be AC or PC, got null',
    'the three-argument form refuses a missing kind'
);
select throws_ok(
    $$select public.electoral_check_scope('Some Fn; drop', 'S29')$$,
    '22023', 'electoral_check_scope: the caller must be a function name, got ''Some Fn; drop''',
    'the caller must name a function: no other text reaches the message'
);
reset role;

-- The name-anchor check (issue 21): a ward named after an AC should lie mainly in it. Three more
-- ACs east of A and B: 903 Sanathnagar 78.50-78.52, 904 Kukatpalle 78.52-78.54, 905 Amberpet
-- 78.56-78.58 (no wards). Wards: Ameerpet 78.50-78.51 (in 903), Sanath Nagar 78.52-78.53 (in 904:
-- the wrong one) and Kukatpally 78.53-78.54 (in 904, its namesake).
reset role;
select is(
    constituency_name_key('Sanath Nagar'), constituency_name_key('Sanathnagar'),
    'names compare without spaces: Sanath Nagar is Sanathnagar'
);
select is(
    constituency_name_key('Kukatpally'), constituency_name_key('Kukatpalle'),
    'and -pally is -palle'
);
select throws_ok(
    $$select constituency_name_key(repeat('x', 201))$$,
    '22023', 'constituency_name_key: the name is 201 characters long; at most 200',
    'a name over 200 characters is refused without echoing it'
);
insert into constituency (state_code, kind, number, name, pc_id, boundary)
select
    'S29',
    'AC',
    n,
    name,
    (
        select constituency_id from constituency
        where kind = 'PC'
    ),
    public.geojson_geometry(tap_box(x1, x2))
from (
    values (903, 'Sanathnagar', 78.50, 78.52), (904, 'Kukatpalle', 78.52, 78.54),
    (905, 'Amberpet', 78.56, 78.58)
) as v (n, name, x1, x2);
insert into ward (ward_id, ward_no, name, zone, boundary) values
('GHMC-010', 10, 'Ameerpet', 'West Zone', tap_box(78.50, 78.51)),
('GHMC-011', 11, 'Sanath Nagar', 'West Zone', tap_box(78.52, 78.53)),
('GHMC-012', 12, 'Kukatpally', 'West Zone', tap_box(78.53, 78.54));
do $$ begin perform * from compute_ward_constituency(); end $$;

set local role tap_reader;
select results_eq(
    $$select ward_id, ward_name, namesake_no, namesake_name, name_similarity, namesake_share,
             largest_no, largest_name, largest_share, method
      from ward_constituency_name_check()$$,
    $$values ('GHMC-011', 'Sanath Nagar', 903, 'Sanathnagar', 1::real, 0::numeric,
              904, 'Kukatpalle', 1.000000::numeric, 'computed')$$,
    'a reader sees the one ward lying outside its namesake, with the shares (Ameerpet is not Amberpet, '
    'Kukatpally lies in Kukatpalle)'
);
select is_empty(
    $$select * from ward_constituency_name_check(p_state_code => 'S06')$$,
    'only the ACs of the state asked about are namesakes'
);
select throws_ok(
    $$select * from ward_constituency_name_check('NaN')$$,
    '22023', 'ward_constituency_name_check: minimum similarity must be in [0.3, 1], got NaN',
    'a NaN similarity is refused'
);
select throws_ok(
    $$select * from ward_constituency_name_check(0.1)$$,
    '22023', 'ward_constituency_name_check: minimum similarity must be in [0.3, 1], got 0.1',
    'so is a similarity so low that any name would match'
);
select throws_ok(
    $$select * from ward_constituency_name_check(p_state_code => 'Telangana State')$$,
    '22023', 'ward_constituency_name_check: state code must look like S29, got ''Telangana State''',
    'a malformed state code is refused, named by the shared check'
);
select throws_ok(
    $$select * from ward_constituency_name_check(p_state_code => 'Telangana State of India, south')$$,
    '22023', 'ward_constituency_name_check: state code must look like S29, got ''Telangana State of I''... (31 characters)',
    'a long one is excerpted (input_excerpt())'
);

-- A reviewed override that puts the ward in its namesake settles it; the ACs it moved the ward
-- between share out their votes over their reviewed extent.
reset role;
insert into ward_constituency_override (ward_id, constituency_id, ward_fraction, reason)
select
    'GHMC-011',
    constituency_id,
    1,
    'test: reported in Sanathnagar'
from constituency
where number = 903;
do $$ begin perform * from compute_ward_constituency(); end $$;
set local role tap_reader;
select is_empty(
    $$select * from ward_constituency_name_check(p_include_reviewed => true)$$,
    'an override into the namesake leaves nothing to report'
);
select results_eq(
    $$select wc.ward_id, c.number, wc.method::text, wc.constituency_fraction
      from ward_constituency wc join constituency c using (constituency_id)
      where c.number in (903, 904) order by 1$$,
    $$values ('GHMC-010', 903, 'computed', 0.333333::numeric),
             ('GHMC-011', 903, 'override', 0.333333::numeric),
             ('GHMC-012', 904, 'computed', 1.000000::numeric)$$,
    'constituency fractions over the reviewed extents: 903 is its polygon plus the moved ward, 904 lost it'
);
-- One that puts it elsewhere is reviewed: not reported, unless asked.
reset role;
update ward_constituency_override set
    constituency_id = (
        select constituency_id from constituency
        where number = 904
    ),
    reason = 'test: reported in Kukatpalle';
do $$ begin perform * from compute_ward_constituency(); end $$;
set local role tap_reader;
select is_empty(
    $$select * from ward_constituency_name_check()$$,
    'a reviewed override against the namesake is not a disagreement'
);
select results_eq(
    $$select ward_id, largest_no, method, note from ward_constituency_name_check(p_include_reviewed => true)$$,
    $$values ('GHMC-011', 904, 'override', 'test: reported in Kukatpalle')$$,
    'but is listed, with its reason, when reviewed rows are asked for'
);
select throws_ok(
    $$select * from compute_ward_constituency()$$,
    '42501', 'permission denied for function compute_ward_constituency',
    'a reader checks, but does not recompute'
);
select function_privs_are(
    'public', 'ward_constituency_name_check', array['real', 'boolean', 'text'], 'public', array[]::text [],
    'PUBLIC may not run the check (granted to lokdarpan_readonly)'
);

select * from finish();
rollback;
