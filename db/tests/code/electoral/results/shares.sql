-- pgTAP: code/electoral/results/shares — constituency_result_share computes shares and positions.
begin;
select tap_ensure_personas();
select plan(4);

select tap_electoral_one_ac_results();

select has_view('public', 'constituency_result_share', 'view constituency_result_share exists');
select isnt(obj_description('public.constituency_result_share'::regclass, 'pg_class'), null, 'constituency_result_share says what it shows');

select results_eq(
    $$select candidate::text, vote_share, position::int, valid_votes::int from constituency_result_share order by position$$,
    $$values ('Asha', 59.41, 1, 1010), ('Ravi', 29.70, 2, 1010), ('Sita', 9.90, 3, 1010), ('None of the Above', 0.99, 4, 1010)$$,
    'shares and positions are computed, and agree with the published percentages'
);
set local role tap_reader;
select lives_ok($$select count(*) from constituency_result_share$$, 'a reader reads results and shares');
reset role;

select * from finish();
rollback;
