-- pgTAP: code/electoral/results_merge/constituencies — the constituency steps of
-- constituency_result_merge() (tested through it in merge.sql) refuse to run on their own;
-- constituency_name_match(), the matcher results files and Form 20 labels share, told by spelling.
begin;
select tap_ensure_personas();
select plan(13);

insert into constituency (state_code, kind, number, name, reserved_for) values
('S29', 'PC', 11, 'Mahbubnagar', null),
('S29', 'PC', 12, 'Nagarkurnool', 'SC'),
('S29', 'PC', 14, 'Bhongir', null),
('S29', 'PC', 16, 'Mahabubabad', 'ST'),
('S29', 'PC', 17, 'Khammam', null);

set local role tap_admin;
select throws_ok(
    $$select constituency_result_match_by_number('S29', 'PC')$$,
    '55000',
    'constituency_result_match_by_number: a step of constituency_result_merge(), which makes its work tables first',
    'the step by number alone is refused'
);
select throws_ok(
    $$select constituency_result_match_by_name('S29', 'PC', 0.5)$$,
    '55000',
    'constituency_result_match_by_name: a step of constituency_result_merge(), which makes its work tables first',
    'the step by name alone is refused'
);
select throws_ok(
    $$select constituency_result_match_by_name('S29', 'ZZ', 0.5)$$,
    '22023', 'constituency_result_match_by_name: kind must be AC or PC, got ''ZZ''',
    'a kind is AC or PC'
);
select throws_ok(
    $$select constituency_result_match_by_name('S29', 'PC', 'NaN')$$,
    '22023', 'constituency_result_match_by_name: minimum similarity must be in [0.3, 1], got NaN',
    'NaN is not a similarity'
);


create temporary table matched on commit drop as
select * from constituency_name_match(
    'S29', 'PC',
    array['Mahabubnagar', 'Bhuvanagiri', 'BHONGIR', 'Nagar Kurnool (SC)', 'Mahabubnagarabad', 'Xyzpur', 'Mahabubnagar', null],
    0.5
);
select results_eq(
    $$select file_name, number, how from matched where constituency_id is not null order by file_name$$,
    $$values ('BHONGIR', 14, 'exact'), ('Bhuvanagiri', 14, 'alias'), ('Mahabubnagar', 11, 'trigram'),
      ('Nagar Kurnool (SC)', 12, 'normalised')$$,
    'a spelling of a registered PC names it: case, spaces and the reservation suffix aside, a recorded alias, a close trigram'
);
select is(
    (
        select round(similarity::numeric, 2) from matched
        where file_name = 'Mahabubnagar'
    ), 0.67,
    'a trigram match says how close it is'
);
select results_eq(
    $$select file_name, how, candidates -> 0 ->> 'name' from matched where constituency_id is null order by file_name$$,
    $$values ('Mahabubnagarabad', 'ambiguous', 'Mahabubabad'), ('Xyzpur', 'weak', null)$$,
    'a name between two PCs is ambiguous, one like none is weak: neither names a constituency'
);
select is((select count(*)::int from matched), 6, 'one row per distinct name; a null name is none');
select is(
    (select number from constituency_name_match('S29', 'PC', array['Mahabubnagar'], 0.7)), 11,
    'below the minimum similarity the nearest constituency is still told'
);
select is(
    (select how from constituency_name_match('S29', 'PC', array['Mahabubnagar'], 0.7)), 'weak',
    'but it is not matched'
);
select is(
    (
        select count(*)::int from constituency_name_match('S29', 'AC', array['Mahbubnagar'], 0.5)
        where constituency_id is not null
    ),
    0, 'an AC name is matched against ACs only'
);
select throws_ok(
    $$select * from constituency_name_match('S29', 'PC', array[repeat('x', 201)], 0.5)$$,
    '22023', 'constituency_name_match: at most 100000 names of at most 200 characters each, got 1 names, the longest 201 characters',
    'a name over 200 characters is refused without echoing it'
);
select throws_ok(
    $$select * from constituency_name_match('S29', 'PC', array['x'], 'NaN')$$,
    '22023', 'constituency_name_match: minimum similarity must be in [0.3, 1], got NaN',
    'NaN is not a similarity'
);

select * from finish();
rollback;
