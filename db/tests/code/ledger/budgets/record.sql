-- pgTAP: code/ledger/budgets/record — the execution row written and its reservation settled in one
-- call, as an application runs it after a paid AI call (issue 23).
begin;
select tap_ensure_personas();
select plan(12);

select tap_freeze_time('2025-08-10 12:00:00+05:30');
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd, slice_count)
values (3301, 'monthly', 'record-sliced', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 10.00, 2),
(3302, 'monthly', 'record-one-row', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 10.00, 0);
create temporary table held (n integer primary key, id bigint) on commit drop;
grant select, insert on held to tap_app;

insert into held select
    3,
    reservation_id
from ai_budget_reserve(3302, 0.50, 'openai', 'retrieval', (select min(id) from "user"));
set local role tap_app;
insert into held select
    0,
    reservation_id
from ai_budget_reserve(3301, 0.50, 'openai', 'retrieval');  -- the row
insert into held select
    1,
    reservation_id
from ai_budget_reserve(3301, 0.50, 'openai', 'retrieval');  -- a slice
insert into held select
    2,
    reservation_id
from ai_budget_reserve(3301, 0.50, 'openai', 'retrieval');
insert into held select
    4,
    reservation_id
from ai_budget_reserve(3301, 0.50, 'openai', 'retrieval');

select results_eq(
    $$select over_budget_usd, overrun_usd, actual_usd from ai_budget_record((select id from held where n = 1),
        '{"request_id": "record-1", "model_name": "gpt-4o-mini", "input_tokens": 1000, "output_tokens": 100,
          "cost_usd": 0.30, "success_status": "success"}')$$,
    $$values (0::numeric, 0::numeric, 0.30::numeric)$$,
    'a call within its estimate is recorded and settled in one call'
);
reset role;
select results_eq(
    $$select e.provider::text, e.operation_type::text, e.priority_level::text, e.cost_usd, r.status::text
      from ai_budget_reservation as r
      inner join ai_model_execution as e on r.execution_id = e.id and r.execution_created_at = e.created_at
      where r.id = (select id from held where n = 1)$$,
    $$values ('openai', 'retrieval', 'normal', 0.30::numeric, 'settled')$$,
    'the execution takes the reservation''s provider and operation, the columns'' defaults, and settles it'
);
set local role tap_app;
select results_eq(
    $$select over_budget_usd, overrun_usd from ai_budget_record((select id from held where n = 2),
        '{"request_id": "record-2", "model_name": "gpt-4o-mini", "cost_usd": 0.90, "success_status": "success"}')$$,
    $$values (0::numeric, 0.40::numeric)$$,
    'an overrun goes through ai_budget_settle() and the row, checked like a reservation (it fits)'
);
select throws_ok(
    $$select * from ai_budget_record((select id from held where n = 4),
        '{"request_id": "record-4", "model_name": "m", "cost_usd": 0.1, "success_status": "success", "id": 1}')$$,
    '22023', 'execution column ''id'' cannot be recorded', 'a column the database writes is refused, named'
);
select throws_ok(
    $$select * from ai_budget_record((select id from held where n = 4),
        '{"request_id": "record-4", "model_name": "m", "provider": "anthropic", "cost_usd": 0.1,
          "success_status": "success"}')$$,
    '22023', null, 'an execution of another provider is refused by the settlement'
);
select is(
    (
        select count(*)::integer from ai_budget_reservation
        where id = (
                select id from held
                where n = 4
            ) and status = 'reserved'
    ),
    1, 'and nothing was written: the reservation is still held'
);
select throws_ok(
    $$select * from ai_budget_record(-1, '{"request_id": "record-x", "model_name": "m", "success_status": "success"}')$$,
    'P0002', 'unknown reservation: -1', 'an unknown reservation'
);
select throws_ok(
    $$select * from ai_budget_record((select id from held where n = 4), '[1]')$$,
    '22023', null, 'the execution must be a jsonb object'
);
select throws_ok(
    $$select * from ai_budget_record((select id from held where n = 4),
        '{"request_id": "record-n", "model_name": "m", "cost_usd": "NaN", "success_status": "success"}')$$,
    '23514', null, 'a NaN cost is refused by the table'
);
select results_eq(
    $$select over_budget_usd, overrun_usd from ai_budget_record((select id from held where n = 3),
        '{"request_id": "record-3", "model_name": "gpt-4o-mini", "cost_usd": 0.25, "success_status": "success"}')$$,
    $$values (0::numeric, 0::numeric)$$,
    'a one-row budget''s reservation is recorded and settled through its row'
);
reset role;
select is(
    (
        select user_id from ai_model_execution
        where request_id = 'record-3'
    ), (select min(id) from "user"
    ),
    'the user defaults to the reservation''s'
);
set local role tap_reader;
select throws_ok(
    $$select * from ai_budget_record(1, '{}')$$, '42501', null, 'readers cannot record calls'
);
reset role;
select * from finish();
rollback;
