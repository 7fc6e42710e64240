-- pgTAP: code/ledger/budgets/slices/fold — the fold, the slices' refill and their drain (the story
-- is told in slices/reserve.sql).
begin;
select tap_ensure_personas();
select plan(12);

select is_definer('public', 'ai_budget_fold', array['bigint'], 'ai_budget_fold() runs as its owner (security definer)');
select ok(not has_function_privilege('public', 'public.ai_budget_fold(bigint)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_budget_fold()');
select ok(has_function_privilege('lokdarpan_app', 'public.ai_budget_fold(bigint)'::regprocedure, 'execute'), 'the application may fold');
select isnt(obj_description('public.ai_budget_fold(bigint)'::regprocedure, 'pg_proc'), null, 'ai_budget_fold() says what it does');
select ok(not has_function_privilege('public', 'public.ai_budget_slices_take_back(bigint)'::regprocedure, 'execute'), 'ai_budget_slices_take_back() is internal');
select ok(not has_function_privilege('public', 'public.ai_budget_slices_refill(bigint, numeric)'::regprocedure, 'execute'), 'ai_budget_slices_refill() is internal');
select ok(not has_function_privilege('public', 'public.ai_budget_slices_drain()'::regprocedure, 'execute'), 'the drain trigger function is not executable by PUBLIC');
select is(ai_jsonb_merge('{"a": 1, "b": 2}', '{"b": -2, "c": 0.5}'), '{"a": 1, "b": 0, "c": 0.5}'::jsonb, 'ai_jsonb_merge() adds per key, keeping keys');
select is(ai_jsonb_merge('{"a": 1}', null), '{"a": 1}'::jsonb, 'nothing to add leaves the map as it is');
select throws_ok($$select ai_budget_fold(-1)$$, 'P0002', 'unknown budget: -1', 'an unknown budget is named');
select throws_ok($$select ai_budget_fold(null)$$, '22023', 'a budget id is needed', 'a null budget is refused');
select has_trigger('public', 'ai_budget_tracker', 'ai_budget_tracker_slices_drain', 'a changed limit drains the slices');

select * from finish();
rollback;
