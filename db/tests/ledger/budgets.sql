-- pgTAP: budgets that cannot be overspent. The application (tap_app) reserves before each paid
-- call, settles with the execution row after it, releases what it did not use.
begin;
select plan(57);

select tap_ensure_personas();
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

-- Amounts are micro-dollars at entry (issue 18): 0.0000014 reserved and released a thousand times
-- used to add 0.0000014 to reserved_usd and return the reservation's rounded 0.000001 each time.
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd)
values (1002, 'monthly', 'rounding', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 10.00);
set local role tap_app;
select throws_ok(
    $$select * from ai_budget_reserve(1002, 0.0000014, 'openai', 'retrieval')$$,
    '22023', 'estimated cost must be in whole micro-dollars (at most 6 decimal places), got 0.0000014',
    'an estimate finer than the micro-dollar a reservation keeps is refused, naming it'
);
select ai_budget_release(reservation_id) from ai_budget_reserve(1002, 0.5, 'openai', 'retrieval');  -- the maps have their keys
create temporary table rounding_before on commit drop as
select
    current_spend_usd,
    reserved_usd,
    reserved_by_service,
    reserved_by_operation,
    budget_status
from ai_budget_tracker
where id = 1002;
create temporary table rounding_outcome (amount numeric, outcome text) on commit drop;
-- 6,000 updates of one budget row in one transaction take ~20 s on two shared cores, near the
-- database's 30 s statement_timeout (roles): this statement alone may take longer.
set local statement_timeout = '120s';
do $$
declare
    amount numeric;
    rid bigint;
begin
    for i in 1..1000 loop
        foreach amount in array array[0.0000014, 0.0000005, 0.1234567, 0.000001, 0.123456, 1.000001] loop
            begin
                select r.reservation_id into rid from public.ai_budget_reserve(1002, amount, 'openai', 'retrieval') as r;
                perform public.ai_budget_release(rid);
                insert into rounding_outcome values (amount, 'reserved and released');
            exception when invalid_parameter_value then
                insert into rounding_outcome values (amount, 'refused');
            end;
        end loop;
    end loop;
end
$$;
reset statement_timeout;
select results_eq(
    $$select amount, outcome, count(*) from rounding_outcome group by 1, 2 order by 1$$,
    $$values (0.0000005, 'refused', 1000::bigint), (0.000001, 'reserved and released', 1000),
        (0.0000014, 'refused', 1000), (0.123456, 'reserved and released', 1000), (0.1234567, 'refused', 1000),
        (1.000001, 'reserved and released', 1000)$$,
    'sub-micro-dollar amounts are refused every time; whole micro-dollars go through'
);
select results_eq(
    $$select current_spend_usd, reserved_usd, reserved_by_service, reserved_by_operation, budget_status
      from ai_budget_tracker where id = 1002$$,
    $$select * from rounding_before$$,
    '6,000 reservations and releases later the budget''s figures are exactly what they were'
);
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 1002$$,
    'and budget_consistency passes'
);

-- Issue 19: a late settle overspent unnoticed. Budget 1.00; A reserves 0.50 for 1 second; the
-- expiry job returns it; B reserves 0.50 twice; A settles, then B settles both. A's cost is
-- re-checked like a new reservation and no longer fits: it is charged all the same (the provider
-- was paid), reported as over_budget_usd, the budget is exceeded and its breaker open.
reset role;
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd)
values (1003, 'monthly', 'late-settle', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 1.00),
(1004, 'monthly', 'late-fits', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 1.00),
(1005, 'monthly', 'late-allocation', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 10.00),
(1006, 'monthly', 'overrun', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 1.00);
update ai_budget_tracker set emergency_budget_usd = 0.40
where id = 1004;
update ai_budget_tracker set allocated_by_service = '{"anthropic": 0.30}'
where id = 1005;
insert into ai_model_execution (request_id, operation_type, provider, model_name, cost_usd, success_status)
values ('late-a', 'report_generation', 'openai', 'gpt-4o', 0.50, 'success'),
('late-b1', 'report_generation', 'openai', 'gpt-4o', 0.50, 'success'),
('late-b2', 'report_generation', 'openai', 'gpt-4o', 0.50, 'success'),
('fits-1', 'report_generation', 'openai', 'gpt-4o', 0.30, 'success'),
('fits-2', 'report_generation', 'openai', 'gpt-4o', 0.90, 'success'),
('alloc-1', 'report_generation', 'anthropic', 'claude-sonnet-4', 0.30, 'success'),
('overrun-1', 'report_generation', 'openai', 'gpt-4o', 1.20, 'success');
-- The n-th reservation of a budget, and an execution by request id.
create function pg_temp.res(p_budget bigint, p_n integer)
returns bigint
language sql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
    select r.id from public.ai_budget_reservation as r where r.budget_id = p_budget order by r.id offset p_n - 1 limit 1
$$;
create function pg_temp.exe(p_request text)
returns bigint
language sql
stable
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
    select e.id from public.ai_model_execution as e where e.request_id = p_request
$$;
set local role tap_app;
select count(*) from ai_budget_reserve(1003, 0.50, 'openai', 'report_generation', p_ttl => interval '1 second');
select tap_advance_time(interval '2 seconds');
select is(ai_budget_expire_reservations(1003), 1, 'A''s reservation expires after its second');
select count(*) from ai_budget_reserve(1003, 0.50, 'openai', 'report_generation');
select is(
    (select budget_status from ai_budget_reserve(1003, 0.50, 'openai', 'report_generation')), 'exceeded',
    'B reserves 0.50 twice: the budget is fully committed again'
);
select results_eq(
    $$select actual_usd, overrun_usd, budget_status, over_budget_usd
      from ai_budget_settle(pg_temp.res(1003, 1), pg_temp.exe('late-a'))$$,
    $$values (0.50::numeric, 0::numeric, 'exceeded', 0.50::numeric)$$,
    'A settles late: re-checked like a new reservation it does not fit; charged, over_budget_usd 0.50'
);
select results_eq(
    $$select current_spend_usd, reserved_usd, budget_status::text, circuit_breaker_active
      from ai_budget_tracker where id = 1003$$,
    $$values (0.50::numeric, 1.00::numeric, 'exceeded', true)$$,
    'the budget is marked exceeded and its circuit breaker is open'
);
select throws_ok(
    $$select * from ai_budget_reserve(1003, 0.01, 'openai', 'report_generation')$$,
    'LDB04', null, 'so no ordinary reservation is accepted any more'
);
select results_eq(
    $$select over_budget_usd, budget_status from ai_budget_settle(pg_temp.res(1003, 1), pg_temp.exe('late-a'))$$,
    $$values (0.50::numeric, 'exceeded')$$,
    'a retried late settle gives the same answer and charges nothing more'
);
select results_eq(
    $$select over_budget_usd from ai_budget_settle(pg_temp.res(1003, 2), pg_temp.exe('late-b1'))
      union all
      select over_budget_usd from ai_budget_settle(pg_temp.res(1003, 3), pg_temp.exe('late-b2'))$$,
    $$values (0::numeric), (0::numeric)$$,
    'B settles both within what they reserved: nothing over on them'
);
select results_eq(
    $$select current_spend_usd, reserved_usd from ai_budget_tracker where id = 1003$$,
    $$values (1.50::numeric, 0::numeric)$$,
    'every call made is charged: spend 1.50 of 1.00'
);
select results_eq(
    $$select over_budget_usd, status::text from ai_budget_reservation where budget_id = 1003 order by id$$,
    $$values (0.50::numeric, 'settled'), (0::numeric, 'settled'), (0::numeric, 'settled')$$,
    'the reservation that overspent keeps what did not fit'
);
select results_eq(
    $$select check_name, ledger_usd from ai_budget_consistency() where budget_id = 1003$$,
    $$values ('overspend', 0.50::numeric)$$,
    'ai_budget_consistency() reports the overspend (integrity''s budget_consistency FAILs on it)'
);

-- A late settle that still fits is charged like any other; an emergency one may use the reserve.
select count(*) from ai_budget_reserve(1004, 0.50, 'openai', 'report_generation', p_ttl => interval '1 second');
select count(*) from ai_budget_reserve(1004, 0.40, 'openai', 'report_generation', null, true, interval '1 second');
select tap_advance_time(interval '2 seconds');
select is(ai_budget_expire_reservations(1004), 2, 'both expire');
select results_eq(
    $$select over_budget_usd, budget_status from ai_budget_settle(pg_temp.res(1004, 1), pg_temp.exe('fits-1'))$$,
    $$values (0::numeric, 'normal')$$,
    'a late settle the budget still covers: charged, nothing over'
);
select results_eq(
    $$select over_budget_usd, budget_status from ai_budget_settle(pg_temp.res(1004, 2), pg_temp.exe('fits-2'))$$,
    $$values (0::numeric, 'exceeded')$$,
    'an emergency reservation settled late may use the emergency reserve (1.20 of 1.00 + 0.40): nothing over'
);
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 1004$$,
    'spend within total + emergency reserve is no overspend'
);

-- A late settle beyond its service's allocation: the part over the allocation is reported.
select count(*) from ai_budget_reserve(1005, 0.30, 'anthropic', 'report_generation', p_ttl => interval '1 second');
select tap_advance_time(interval '2 seconds');
select is(ai_budget_expire_reservations(1005), 1, 'the anthropic reservation expires');
select count(*) from ai_budget_reserve(1005, 0.20, 'anthropic', 'report_generation');
select results_eq(
    $$select over_budget_usd, budget_status from ai_budget_settle(pg_temp.res(1005, 1), pg_temp.exe('alloc-1'))$$,
    $$values (0.20::numeric, 'normal')$$,
    'a late settle over the service''s allocation (0.30 + 0.20 of 0.30): 0.20 over'
);
select throws_ok(
    $$select * from ai_budget_reserve(1005, 0.01, 'anthropic', 'report_generation')$$,
    'LDB02', null, 'and the allocation refuses further reservations'
);

-- A cost above its estimate commits the overrun: checked the same way.
select count(*) from ai_budget_reserve(1006, 0.90, 'openai', 'report_generation');
select results_eq(
    $$select overrun_usd, over_budget_usd, budget_status
      from ai_budget_settle(pg_temp.res(1006, 1), pg_temp.exe('overrun-1'))$$,
    $$values (0.30::numeric, 0.20::numeric, 'exceeded')$$,
    'an overrun beyond the total (0.90 reserved, 1.20 spent of 1.00): 0.20 over'
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
