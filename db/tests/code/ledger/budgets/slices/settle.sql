-- pgTAP: code/ledger/budgets/settle on a sliced budget — a held reservation closed without the row; what is not
-- covered still goes through it (the story is told in slices/reserve.sql).
begin;
select tap_ensure_personas();
select plan(6);

select tap_freeze_time('2025-08-10 12:00:00+05:30');
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd, slice_count)
values (3201, 'monthly', 'slices-settle', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 10.00, 2);
create temporary table held (n integer primary key, id bigint) on commit drop;
grant select, insert on held to tap_app;
insert into ai_model_execution (
    request_id, operation_type, provider, model_name, input_tokens, output_tokens,
    cost_usd, success_status
)
values ('slices-settle-1', 'retrieval', 'openai', 'gpt-4o-mini', 1000, 100, 0.30, 'success'),
('slices-settle-2', 'retrieval', 'openai', 'gpt-4o-mini', 1000, 100, 0.90, 'success');

set local role tap_app;
insert into held select
    0,
    reservation_id
from ai_budget_reserve(3201, 0.50, 'openai', 'retrieval');  -- through the row
insert into held select
    1,
    reservation_id
from ai_budget_reserve(3201, 0.50, 'openai', 'retrieval');  -- from a slice
insert into held select
    2,
    reservation_id
from ai_budget_reserve(3201, 0.50, 'openai', 'retrieval');
select results_eq(
    $$select over_budget_usd, overrun_usd from ai_budget_settle((select id from held where n = 1),
        (select id from ai_model_execution where request_id = 'slices-settle-1'))$$,
    $$values (0::numeric, 0::numeric)$$,
    'settled below its estimate: closed from the slice''s reservation alone'
);
select results_eq(
    $$select over_budget_usd, overrun_usd from ai_budget_settle((select id from held where n = 2),
        (select id from ai_model_execution where request_id = 'slices-settle-2'))$$,
    $$values (0::numeric, 0.40::numeric)$$,
    'an overrun goes through the row, checked like a reservation (it fits)'
);
select results_eq(
    $$select over_budget_usd from ai_budget_settle((select id from held where n = 1),
        (select id from ai_model_execution where request_id = 'slices-settle-1'))$$,
    $$values (0::numeric)$$,
    'a retried settle gives the first answer'
);
select throws_ok(
    $$select * from ai_budget_settle((select id from held where n = 0),
        (select id from ai_model_execution where request_id = 'slices-settle-1'))$$,
    '55000', null, 'an execution settles one reservation only'
);
reset role;
select results_eq(
    $$select current_spend_usd, reserved_usd from ai_budget_tracker where id = 3201$$,
    $$values (1.20::numeric, 0.50::numeric)$$,
    'the row path folded the slice''s settlement in: 0.30 + 0.90 spent, one reservation of 0.50 held'
);
select is_empty($$select * from ai_budget_consistency() where budget_id = 3201$$, 'the books agree');

select * from finish();
rollback;
