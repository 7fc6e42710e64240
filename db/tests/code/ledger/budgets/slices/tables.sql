-- pgTAP: ledger/budgets — the tables a sliced budget needs (issue 23; made with the budgets' tables).
begin;
select tap_ensure_personas();
select plan(9);

select has_column('public', 'ai_budget_tracker', 'slice_count', 'a budget says how many slices it has');
select col_default_is('public', 'ai_budget_tracker', 'slice_count', '0', 'budgets are one row unless an admin slices them');
select has_table('public', 'ai_budget_slice', 'ai_budget_slice exists');
select col_is_pk('public', 'ai_budget_slice', array['budget_id', 'slice_no'], 'one row per budget and slice');
select has_column('public', 'ai_budget_reservation', 'booked', 'a reservation says what its budget row holds of it');
select throws_ok(
    $$insert into ai_budget_tracker (period_type, period_identifier, period_start, period_end, total_budget_usd, slice_count)
      values ('monthly', 'too-many', '2025-08-01', '2025-09-01', 1, 65)$$,
    '23514', null, 'at most 64 slices'
);
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd, slice_count)
values (3101, 'monthly', 'slices-schema', '2025-08-01', '2025-09-01', 1, 2);
select throws_ok(
    $$insert into ai_budget_slice (budget_id, slice_no, allowance_usd) values (3101, 0, 'NaN')$$,
    '23514', null, 'an allowance is a finite amount'
);
set local role tap_admin;
select throws_ok(
    $$insert into ai_budget_slice (budget_id, slice_no, allowance_usd) values (3101, 0, 1)$$,
    '42501', null, 'not even an admin writes slices: only the ai_budget_* functions do'
);
set local role tap_reader;
select lives_ok($$select * from ai_budget_slice$$, 'a reader sees them');
reset role;

select * from finish();
rollback;
