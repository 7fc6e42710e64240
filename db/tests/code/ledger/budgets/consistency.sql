-- pgTAP: code/ledger/budgets/consistency — the books against the execution rows (the lifecycle's own
-- check is in db/tests/ledger/budgets.sql).
begin;
select tap_ensure_personas();
select plan(8);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select has_function('public', 'ai_budget_consistency', array[]::text [], 'ai_budget_consistency() exists');
select isnt_definer('public', 'ai_budget_consistency', array[]::text [], 'ai_budget_consistency() runs as its caller (security invoker)');
select isnt(obj_description('public.ai_budget_consistency()'::regprocedure, 'pg_proc'), null, 'ai_budget_consistency() says what it does');
select has_view('public', 'ai_budget_utilisation', 'view ai_budget_utilisation exists');
select isnt(obj_description('public.ai_budget_utilisation'::regclass, 'pg_class'), null, 'ai_budget_utilisation says what it shows');
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd)
values (2001, 'monthly', 'consistency', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 1.00);
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 2001$$,
    'a budget without executions or reservations agrees with them'
);
update ai_budget_tracker set current_spend_usd = 0.25
where id = 2001;
select results_eq(
    $$select check_name, ledger_usd, executions_usd from ai_budget_consistency() where budget_id = 2001$$,
    $$values ('spend'::text, 0.25::numeric, 0::numeric)$$,
    'a spend no execution row explains is reported, with both figures'
);
set local role tap_reader;
select lives_ok($$select * from ai_budget_consistency()$$, 'anyone who may read the tables runs the check');
reset role;

select * from finish();
rollback;
