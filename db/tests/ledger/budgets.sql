-- pgTAP: budgets that cannot be overspent (schema change ledger/budgets and its code changes). The
-- application (tap_app) reserves before each paid call, settles with the execution row after it,
-- releases what it did not use. The rounding of reservations is told by
-- db/tests/code/ledger/budgets/reserve.sql, late settlements by .../settle.sql.
begin;
select tap_ensure_personas();
select plan(35);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select count(*) from ai_execution_ensure_partitions(0);

insert into ai_budget_tracker (
    id, period_type, period_identifier, period_start, period_end, total_budget_usd, emergency_budget_usd,
    allocated_by_service, allocated_by_operation
) values (
    1001, 'monthly', '2025-08', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 10.00, 2.00,
    '{"anthropic": 3}', '{"embedding": 1}'
);

set local role tap_reader;
select throws_ok(
    $$select * from ai_budget_reserve(1001, 1, 'openai', 'report_generation')$$,
    '42501', 'permission denied for function ai_budget_reserve', 'readonly cannot reserve'
);
select is(
    (
        select budget_status from ai_budget_utilisation
        where budget_id = 1001
    ), 'normal', 'readonly reads utilisation'
);
set local role tap_app;

select is(
    (select budget_status from ai_budget_reserve(1001, 6, 'openai', 'report_generation')), 'normal',
    '6 of 10 USD reserved: normal'
);
select is(
    (select budget_status from ai_budget_reserve(1001, 2, 'openai', 'report_generation')), 'warning',
    '8 of 10: warning at the 80 % threshold'
);
select throws_ok(
    $$select * from ai_budget_reserve(1001, 2.5, 'openai', 'report_generation')$$,
    'LDB01', 'budget 1001 (2025-08) cannot cover 2.5 USD: 8 of 10.00 USD already committed',
    'a reservation the budget cannot cover is refused with LDB01'
);
select throws_ok(
    $$select * from ai_budget_reserve(1001, 1.5, 'embedding', 'embedding')$$,
    'LDB03', 'budget 1001 (2025-08) allocation for operation embedding cannot cover 1.5 USD: 0 of 1 USD committed',
    'an operation''s allocation is enforced (LDB03)'
);
select is(
    (select budget_status from ai_budget_reserve(1001, 1.6, 'anthropic', 'report_generation')), 'critical',
    '9.6 of 10: critical at 95 % …'
);
select is(
    (
        select circuit_breaker_active from ai_budget_tracker
        where id = 1001
    ), true, '… and the circuit breaker trips'
);
select throws_ok(
    $$select * from ai_budget_reserve(1001, 0.1, 'openai', 'report_generation')$$,
    'LDB04', null, 'with the breaker open, an ordinary reservation is refused (LDB04) even though it would fit'
);
select throws_ok(
    $$select * from ai_budget_reserve(1001, 1.5, 'anthropic', 'report_generation', null, true)$$,
    'LDB02', 'budget 1001 (2025-08) allocation for service anthropic cannot cover 1.5 USD: 1.6 of 3 USD committed',
    'a service''s allocation is enforced (LDB02), emergency or not'
);
select is(
    (select budget_status from ai_budget_reserve(1001, 2, 'openai', 'report_generation', null, true)), 'exceeded',
    'the emergency reserve covers an emergency call beyond the budget'
);
select throws_ok(
    $$select * from ai_budget_reserve(1001, 0.5, 'openai', 'report_generation', null, true)$$,
    'LDB06', null, 'until the emergency reserve is used up too (LDB06)'
);

-- Settle the first reservation with the call it paid for; release the second.
insert into ai_model_execution (
    request_id, user_id, operation_type, provider, model_name, input_tokens,
    output_tokens, cached_tokens, cost_usd, success_status
)
values ('call-1', null, 'report_generation', 'openai', 'gpt-4o', 100000, 20000, 50000, 4.25000003, 'success');
select results_eq(
    $$select actual_usd, overrun_usd from ai_budget_settle(
        (select min(id) from ai_budget_reservation where budget_id = 1001),
        (select id from ai_model_execution where request_id = 'call-1'))$$,
    $$values (4.25000003::numeric, 0::numeric)$$,
    'settling charges the execution''s real cost'
);
select results_eq(
    $$select actual_usd from ai_budget_settle(
        (select min(id) from ai_budget_reservation where budget_id = 1001),
        (select id from ai_model_execution where request_id = 'call-1'))$$,
    $$values (4.25000003::numeric)$$,
    'settling again with the same execution charges nothing more'
);
select results_eq(
    $$select current_spend_usd, reserved_usd from ai_budget_tracker where id = 1001$$,
    $$values (4.25000003::numeric, 5.6::numeric)$$,
    'spend is the real cost, to the execution''s 8 decimals; the other reservations are still held'
);
select is(
    ai_budget_release((
        select id from ai_budget_reservation
        where budget_id = 1001 and estimated_usd = 2 and not emergency
    )),
    'released', 'an unused reservation is released'
);
select throws_ok(
    $$select ai_budget_release((select min(id) from ai_budget_reservation where budget_id = 1001))$$,
    '55000', null, 'a settled reservation cannot be released'
);
select throws_ok(
    $$select * from ai_budget_settle((select id from ai_budget_reservation where budget_id = 1001 and emergency),
        (select id from ai_model_execution where request_id = 'call-1'))$$,
    '55000', null, 'one execution pays for one reservation'
);

-- Reservations never settled expire; a late settlement still charges the real cost.
select tap_freeze_time('2025-08-10 12:20:00+05:30');
select is(ai_budget_expire_reservations(1001), 2, 'the two open reservations expire after 15 minutes');
select results_eq(
    $$select reserved_usd, budget_status::text, circuit_breaker_active from ai_budget_tracker where id = 1001$$,
    $$values (0::numeric, 'normal', false)$$,
    'their money is back: status normal, breaker closed'
);
insert into ai_model_execution (
    request_id, user_id, operation_type, provider, model_name, input_tokens,
    output_tokens, cost_usd, success_status, error_code
)
values ('call-2', null, 'report_generation', 'anthropic', 'claude-sonnet-4', 1000, 0, 0.01, 'error', 'overloaded');
select results_eq(
    $$select actual_usd from ai_budget_settle(
        (select id from ai_budget_reservation where budget_id = 1001 and service = 'anthropic' and not emergency),
        (select id from ai_model_execution where request_id = 'call-2'))$$,
    $$values (0.01::numeric)$$,
    'an expired reservation is still settled: no cost is lost'
);
select throws_ok(
    $$select * from ai_budget_settle((select id from ai_budget_reservation where budget_id = 1001 and emergency),
        (select id from ai_model_execution where request_id = 'call-2'))$$,
    '22023', null, 'an execution settles only the reservation made for its provider and operation'
);
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 1001$$,
    'spend by service, operation and user agrees with the execution rows'
);

-- Throttling and input checks.
reset role;
update ai_budget_tracker set rate_limit_active = true, rate_limit_per_minute = 1
where id = 1001;
set local role tap_app;
select lives_ok($$select * from ai_budget_reserve(1001, 0.1, 'openai', 'retrieval')$$, 'one per minute passes …');
select throws_ok(
    $$select * from ai_budget_reserve(1001, 0.1, 'openai', 'retrieval')$$, 'LDB05', null, '… the next is throttled (LDB05)'
);
select throws_ok(
    $$select * from ai_budget_reserve(1001, -1, 'openai', 'retrieval')$$,
    '22023', 'estimated cost must be > 0 and <= 10000 USD, got -1', 'a negative estimate is bad input'
);

-- NaN and the infinities (issue 18): PostgreSQL orders NaN above every number, so `cost_usd >= 0`
-- alone let a NaN cost through, and one settlement made the budget's spend NaN for good.
select throws_ok(
    $$select * from ai_budget_reserve(1001, 'NaN', 'openai', 'retrieval')$$,
    '22023', 'estimated cost must be > 0 and <= 10000 USD, got NaN', 'a NaN estimate is refused, naming it'
);
select throws_ok(
    $$select * from ai_budget_reserve(1001, 'Infinity', 'openai', 'retrieval')$$,
    '22023', 'estimated cost must be > 0 and <= 10000 USD, got Infinity', 'an infinite estimate is refused'
);
select throws_like(
    $$insert into ai_model_execution (request_id, operation_type, provider, model_name, cost_usd, success_status)
      values ('call-nan', 'report_generation', 'openai', 'gpt-4o', 'NaN', 'success')$$,
    '%violates check constraint "chk_ai_model_execution_cost_usd_finite"%',
    'an execution costing NaN is refused (23514), so no settlement can charge it'
);
select throws_ok(
    $$select ai_jsonb_add('{"openai": 1}', 'openai', 'NaN')$$,
    '22023', 'an amount added to a jsonb map must be finite, got NaN', 'the books never add a NaN amount'
);
reset role;
set local role tap_admin;
select throws_like(
    $$update ai_budget_tracker set total_budget_usd = 'NaN' where id = 1001$$,
    '%violates check constraint "chk_ai_budget_tracker_total_budget_usd_finite"%',
    'an admin cannot make a budget NaN (it would accept reservations of any size)'
);
select throws_ok(
    $$insert into ai_budget_tracker (period_type, period_identifier, period_start, period_end, total_budget_usd)
      values ('daily', 'inf', '2025-08-10', '2025-08-11', 'Infinity')$$,
    '22003', null, 'nor infinite: numeric(10, 2) cannot hold an infinity'
);
select throws_like(
    $$update ai_budget_tracker set emergency_budget_usd = 'NaN' where id = 1001$$,
    '%violates check constraint "chk_ai_budget_tracker_emergency_budget_usd_finite"%',
    'nor its emergency reserve'
);
reset role;
select throws_like(
    $$update ai_budget_tracker set current_spend_usd = 'NaN' where id = 1001$$,
    '%violates check constraint "chk_ai_budget_tracker_current_spend_usd_finite"%',
    'the spend itself refuses NaN, whoever writes it'
);

reset role;
-- The check catches a budget that was tampered with.
update ai_budget_tracker set current_spend_usd = current_spend_usd + 1
where id = 1001;
select is(
    (
        select check_name from ai_budget_consistency()
        where budget_id = 1001
    ), 'spend',
    'a spend that disagrees with the execution rows is reported'
);

select * from finish();
rollback;
