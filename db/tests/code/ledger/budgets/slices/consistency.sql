-- pgTAP: code/ledger/budgets/consistency on a sliced budget — what the row does not show yet counts; a
-- disagreement is still reported.
begin;
select tap_ensure_personas();
select plan(4);

select tap_freeze_time('2025-08-10 12:00:00+05:30');
select isnt_definer('public', 'ai_budget_consistency', array[]::text [], 'ai_budget_consistency() runs as its caller (security invoker)');
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd, slice_count)
values (3301, 'monthly', 'slices-consistency', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 10.00, 2);
select reservation_id from ai_budget_reserve(3301, 1.00, 'openai', 'retrieval');
select reservation_id from ai_budget_reserve(3301, 2.00, 'openai', 'retrieval');
select is(
    (
        select count(*) from ai_budget_reservation
        where budget_id = 3301 and booked = 'none'
    ), 1::bigint,
    'one reservation is not in the row yet'
);
select is_empty($$select * from ai_budget_consistency() where budget_id = 3301$$, 'it is counted as held');
update ai_budget_tracker set reserved_usd = 0.50
where id = 3301;
select results_eq(
    $$select check_name, ledger_usd, executions_usd from ai_budget_consistency() where budget_id = 3301$$,
    $$values ('reserved'::text, 2.50::numeric, 3.00::numeric)$$,
    'a figure changed outside the functions is still reported (the row''s 0.50 + 2.00 pending, against 3.00)'
);

select * from finish();
rollback;
