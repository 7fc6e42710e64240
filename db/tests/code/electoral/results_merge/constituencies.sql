-- pgTAP: code/electoral/results_merge/constituencies — the constituency steps of
-- constituency_result_merge() (tested through it in merge.sql) refuse to run on their own.
begin;
select tap_ensure_personas();
select plan(4);

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

select * from finish();
rollback;
