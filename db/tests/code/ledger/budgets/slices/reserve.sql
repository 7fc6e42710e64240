-- pgTAP: code/ledger/budgets/reserve on a sliced budget — a sliced budget told as one day of an application:
-- reservations take from slices without the budget row, the row catches up when folded, and every
-- refusal is still the exact one (issue 23).
begin;
select tap_ensure_personas();
select plan(24);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select is_definer('public', 'ai_budget_reserve', array['bigint', 'numeric', 'text', 'text', 'integer', 'boolean', 'interval'], 'ai_budget_reserve() runs as its owner (security definer)');
select ok(not has_function_privilege('public', 'public.ai_budget_reserve(bigint, numeric, text, text, integer, boolean, interval)'::regprocedure, 'execute'), 'PUBLIC may not execute ai_budget_reserve()');

-- 10.00 in 4 slices; warning at 8.00, critical (the breaker) at 9.50.
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd, slice_count)
values (3001, 'monthly', 'sliced', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 10.00, 4);
create temporary table held (n integer primary key, id bigint) on commit drop;
grant select, insert on held to tap_app;

set local role tap_app;
insert into held select
    1,
    reservation_id
from ai_budget_reserve(3001, 1.00, 'openai', 'retrieval');
reset role;
select results_eq(
    $$select reserved_usd, (select sum(allowance_usd) from ai_budget_slice where budget_id = 3001),
        (select count(*) from ai_budget_slice where budget_id = 3001)
      from ai_budget_tracker where id = 3001$$,
    $$values (1.00::numeric, 7.00::numeric, 4::bigint)$$,
    'the first reservation goes through the row, which hands 7.00 (up to the warning threshold) to 4 slices'
);
select is(
    (
        select booked::text from ai_budget_reservation
        where id = (
                select id from held
                where n = 1
            )
    ), 'closed',
    'and it is held by the row (closed through the row too)'
);

set local role tap_app;
insert into held select
    2,
    reservation_id
from ai_budget_reserve(3001, 0.50, 'openai', 'retrieval');
reset role;
select results_eq(
    $$select b.reserved_usd, (select sum(allowance_usd) from ai_budget_slice where budget_id = 3001), r.booked::text
      from ai_budget_tracker as b, ai_budget_reservation as r
      where b.id = 3001 and r.id = (select id from held where n = 2)$$,
    $$values (1.00::numeric, 6.50::numeric, 'none')$$,
    'the next one takes 0.50 from a slice; the row does not show it yet'
);
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 3001$$,
    'the consistency check counts what is not folded in yet'
);

insert into ai_model_execution (
    request_id, operation_type, provider, model_name, input_tokens, output_tokens,
    cost_usd, success_status
)
values ('slices-1', 'retrieval', 'openai', 'gpt-4o-mini', 1000, 100, 0.40, 'success');
set local role tap_app;
select results_eq(
    $$select actual_usd, overrun_usd, budget_status, over_budget_usd
      from ai_budget_settle((select id from held where n = 2),
          (select id from ai_model_execution where request_id = 'slices-1'))$$,
    $$values (0.40::numeric, 0::numeric, 'normal'::text, 0::numeric)$$,
    'a held reservation settled within its estimate is closed without the row'
);
select is(ai_budget_fold(3001), 1, 'an application may fold the budget in: one reservation moved');
reset role;
select results_eq(
    $$select current_spend_usd, reserved_usd, spend_by_service, spend_by_user, request_count, unique_users_count
      from ai_budget_tracker where id = 3001$$,
    $$values (0.40::numeric, 1.00::numeric, '{"openai": 0.40}'::jsonb, '{"anonymous": 0.40}'::jsonb, 1, 1)$$,
    'folded: the cost is charged by service and user, the estimate is no longer held'
);
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 3001$$,
    'and the books agree with the execution rows'
);

set local role tap_app;
select is(ai_budget_release((
    select id from held
    where n = 1
)), 'released', 'a reservation booked in the row is released');
select is(ai_budget_release((
    select id from held
    where n = 1
)), 'released', 'releasing it again changes nothing');
reset role;
select is(ai_budget_fold(3001), 0, 'a reservation made through the row was released through it: nothing to fold');
select is((
    select reserved_usd from ai_budget_tracker
    where id = 3001
), 0.00::numeric(16, 8
), 'nothing is held any more');

-- An admin changes a limit: the slices give their allowance back, the next reservation sees it.
set local role tap_admin;
update ai_budget_tracker set total_budget_usd = 5.00
where id = 3001;
reset role;
select is(
    (
        select sum(allowance_usd) from ai_budget_slice
        where budget_id = 3001
    ), 0::numeric,
    'a changed total takes every slice''s allowance back'
);
set local role tap_app;
select throws_ok(
    $$select * from ai_budget_reserve(3001, 4.70, 'openai', 'retrieval')$$,
    'LDB01', null,
    'what the new total cannot cover is refused through the row (0.40 spent + 4.70 > 5.00)'
);
select throws_ok(
    $$select * from ai_budget_reserve(3001, 4.70, 'openai', 'retrieval', p_emergency => true)$$,
    'LDB06', null,
    'an emergency reservation goes through the row: beyond total + emergency reserve, refused'
);
insert into held select
    3,
    reservation_id
from ai_budget_reserve(3001, 4.40, 'openai', 'retrieval');
reset role;
select results_eq(
    $$select budget_status, circuit_breaker_active,
        (select coalesce(sum(allowance_usd), 0) from ai_budget_slice where budget_id = 3001)
      from ai_budget_tracker where id = 3001$$,
    $$values ('critical'::varchar, true, 0::numeric)$$,
    'the reservation past the critical threshold went through the row: breaker open, slices empty'
);
set local role tap_app;
select throws_ok(
    $$select * from ai_budget_reserve(3001, 0.01, 'openai', 'retrieval')$$,
    'LDB04', null,
    'with the breaker open only emergency reservations are accepted'
);
reset role;

-- The throttle and the allocations are checked through the row.
update ai_budget_tracker set
    total_budget_usd = 100.00, allocated_by_service = '{"anthropic": 0.05}', circuit_breaker_active = false
where id = 3001;
set local role tap_app;
select ok(
    (select count(*) from ai_budget_reserve(3001, 0.05, 'anthropic', 'retrieval')) = 1,
    'a service with its own allocation reserves through the row'
);
select throws_ok(
    $$select * from ai_budget_reserve(3001, 0.01, 'anthropic', 'retrieval')$$,
    'LDB02', null,
    'and its allocation is enforced exactly'
);
reset role;

-- Expiry: held reservations past their expiry go back; the budget is folded in on the way.
select tap_advance_time('16 minutes');
select is(ai_budget_expire_reservations(3001), 2, 'the two reservations still held expire');
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 3001$$,
    'and the books agree'
);
select is(
    (
        select count(*) from ai_budget_reservation
        where budget_id = 3001 and booked <> 'closed'
    ), 0::bigint,
    'every reservation is folded in'
);

select * from finish();
rollback;
