-- pgTAP: code/ledger/budgets/reserve — amounts are micro-dollars at entry (issue 18).
begin;
select tap_ensure_personas();
select plan(18);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select has_function('public', 'ai_budget_status_for', array['numeric', 'numeric', 'jsonb'], 'ai_budget_status_for(numeric, numeric, jsonb) exists');
select isnt_definer('public', 'ai_budget_status_for', array['numeric', 'numeric', 'jsonb'], 'ai_budget_status_for() runs as its caller (security invoker)');
select isnt(obj_description('public.ai_budget_status_for(numeric, numeric, jsonb)'::regprocedure, 'pg_proc'), null, 'ai_budget_status_for() says what it does');
select has_function('public', 'ai_jsonb_add', array['jsonb', 'text', 'numeric'], 'ai_jsonb_add(jsonb, text, numeric) exists');
select isnt_definer('public', 'ai_jsonb_add', array['jsonb', 'text', 'numeric'], 'ai_jsonb_add() runs as its caller (security invoker)');
select isnt(obj_description('public.ai_jsonb_add(jsonb, text, numeric)'::regprocedure, 'pg_proc'), null, 'ai_jsonb_add() says what it does');
select has_function('public', 'ai_budget_reserve', array['bigint', 'numeric', 'text', 'text', 'integer', 'boolean', 'interval'], 'ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval) exists');
select is_definer('public', 'ai_budget_reserve', array['bigint', 'numeric', 'text', 'text', 'integer', 'boolean', 'interval'], 'ai_budget_reserve() runs as its owner (security definer)');
select isnt(obj_description('public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval)'::regprocedure, 'pg_proc'), null, 'ai_budget_reserve() says what it does');
select ok(not has_function_privilege('public', 'public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_budget_reserve()');
select has_function('public', 'ai_budget_unreserve', array['bigint', 'ai_budget_reservation'], 'ai_budget_unreserve(bigint, ai_budget_reservation) exists');
select isnt_definer('public', 'ai_budget_unreserve', array['bigint', 'ai_budget_reservation'], 'ai_budget_unreserve() runs as its caller (security invoker)');
select isnt(obj_description('public.ai_budget_unreserve(bigint, ai_budget_reservation)'::regprocedure, 'pg_proc'), null, 'ai_budget_unreserve() says what it does');
select ok(not has_function_privilege('public', 'public.ai_budget_unreserve(bigint, ai_budget_reservation)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_budget_unreserve()');

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
-- Every update of one budget row in one transaction lengthens the chain of row versions the next
-- one walks (quadratic: 6,000 took 85-100 s on two busy shared cores): 1,500 show the drift as well
-- (0.0006 USD, were it there). The database's 30 s statement_timeout (roles) is lifted for it.
set local statement_timeout = '120s';
do $$
declare
    amount numeric;
    rid bigint;
begin
    for i in 1..250 loop
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
    $$values (0.0000005, 'refused', 250::bigint), (0.000001, 'reserved and released', 250),
        (0.0000014, 'refused', 250), (0.123456, 'reserved and released', 250), (0.1234567, 'refused', 250),
        (1.000001, 'reserved and released', 250)$$,
    'sub-micro-dollar amounts are refused every time; whole micro-dollars go through'
);
select results_eq(
    $$select current_spend_usd, reserved_usd, reserved_by_service, reserved_by_operation, budget_status
      from ai_budget_tracker where id = 1002$$,
    $$select * from rounding_before$$,
    '1,500 reservations and releases later the budget''s figures are exactly what they were'
);
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 1002$$,
    'and budget_consistency passes'
);

select * from finish();
rollback;
