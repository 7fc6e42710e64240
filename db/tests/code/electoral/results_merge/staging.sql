-- pgTAP: code/electoral/results_merge/staging — the session's staging table of a results file, the
-- repeated candidates it shows, and how a merge refuses a file: every problem with its line.
begin;
select tap_ensure_personas();
select plan(6);

set local role tap_admin;
select throws_ok(
    $$select * from constituency_result_stage_duplicates()$$,
    '55000', 'constituency_result_stage_duplicates: nothing staged: call constituency_result_stage() first',
    'nothing staged, nothing to ask'
);
select constituency_result_stage();
insert into pg_temp.constituency_result_stage (line, constituency_name, candidate, party, total_votes) values
(2, 'Khammam', 'Sita', 'BJP', 10),
(3, 'Khammam', 'sita', 'BJP', 10);
select results_eq(
    $$select line, message, total::int from constituency_result_stage_duplicates()$$,
    $$values (3, 'duplicate candidate ''sita'' in constituency ''Khammam'' (first on line 2)', 1)$$,
    'a file without numbers: a candidate repeated within a constituency name'
);
select throws_ok(
    $$select * from constituency_result_stage_duplicates(0)$$,
    '22023', 'constituency_result_stage_duplicates: max_listed must be in [1, 100000], got 0',
    'max_listed is bounded'
);

create temporary table crm_problem (line integer, message text not null) on commit drop;
select lives_ok(
    $$select import_refuse_problems('some_merge', 10)$$,
    'no problems, no refusal'
);
insert into pg_temp.crm_problem values (7, 'b is wrong'), (null, 'the file is wrong'), (3, 'a is wrong');
select throws_ok(
    $$select import_refuse_problems('some_merge', 2)$$,
    'LDI01', 'some_merge: 3 problem(s) in the staged file, first: the file is wrong',
    'problems refuse the file, the first named in the message'
);
select throws_ok(
    $$select import_refuse_problems('Some Merge', 2)$$,
    '22023', 'import_refuse_problems: the caller must be a function name, got ''Some Merge''',
    'the caller is a function name'
);

select * from finish();
rollback;
