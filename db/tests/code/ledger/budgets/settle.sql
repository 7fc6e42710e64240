-- pgTAP: code/ledger/budgets/settle — a late settle is re-checked like a new reservation (issue 19).
begin;
select tap_ensure_personas();
select plan(30);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select has_function('public', 'ai_budget_settle', array['bigint', 'bigint'], 'ai_budget_settle(bigint, bigint) exists');
select is_definer('public', 'ai_budget_settle', array['bigint', 'bigint'], 'ai_budget_settle() runs as its owner (security definer)');
select isnt(obj_description('public.ai_budget_settle(bigint, bigint)'::regprocedure, 'pg_proc'), null, 'ai_budget_settle() says what it does');
select ok(not has_function_privilege('public', 'public.ai_budget_settle(bigint, bigint)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_budget_settle()');
select has_function('public', 'ai_budget_release', array['bigint'], 'ai_budget_release(bigint) exists');
select is_definer('public', 'ai_budget_release', array['bigint'], 'ai_budget_release() runs as its owner (security definer)');
select isnt(obj_description('public.ai_budget_release(bigint)'::regprocedure, 'pg_proc'), null, 'ai_budget_release() says what it does');
select ok(not has_function_privilege('public', 'public.ai_budget_release(bigint)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_budget_release()');
select has_function('public', 'ai_budget_expire_reservations', array['bigint'], 'ai_budget_expire_reservations(bigint) exists');
select is_definer('public', 'ai_budget_expire_reservations', array['bigint'], 'ai_budget_expire_reservations() runs as its owner (security definer)');
select isnt(obj_description('public.ai_budget_expire_reservations(bigint)'::regprocedure, 'pg_proc'), null, 'ai_budget_expire_reservations() says what it does');
select ok(not has_function_privilege('public', 'public.ai_budget_expire_reservations(bigint)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_budget_expire_reservations()');

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

select * from finish();
rollback;
