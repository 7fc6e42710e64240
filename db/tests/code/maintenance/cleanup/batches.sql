-- pgTAP: code/maintenance/cleanup/batches — its functions, views and triggers exist, say what they do
-- and run with the security they state. Their behaviour is told by
-- db/tests/code/maintenance/cleanup/runs.sql.
begin;
select plan(12);

select has_function('public', 'maintenance_cleanup_batch', array['text', 'timestamp with time zone', 'timestamp with time zone', 'integer'], 'maintenance_cleanup_batch(text, timestamp with time zone, timestamp with time zone, integer) exists');
select is_definer('public', 'maintenance_cleanup_batch', array['text', 'timestamp with time zone', 'timestamp with time zone', 'integer'], 'maintenance_cleanup_batch() runs as its owner (security definer)');
select isnt(obj_description('public.maintenance_cleanup_batch(text, timestamp with time zone, timestamp with time zone, integer)'::regprocedure, 'pg_proc'), null, 'maintenance_cleanup_batch() says what it does');
select ok(not has_function_privilege('public', 'public.maintenance_cleanup_batch(text, timestamp with time zone, timestamp with time zone, integer)'::regprocedure, 'execute'), 'PUBLIC may not execute maintenance_cleanup_batch()');
select has_function('public', 'maintenance_drop_partition', array['text'], 'maintenance_drop_partition(text) exists');
select is_definer('public', 'maintenance_drop_partition', array['text'], 'maintenance_drop_partition() runs as its owner (security definer)');
select isnt(obj_description('public.maintenance_drop_partition(text)'::regprocedure, 'pg_proc'), null, 'maintenance_drop_partition() says what it does');
select ok(not has_function_privilege('public', 'public.maintenance_drop_partition(text)'::regprocedure, 'execute'), 'PUBLIC may not execute maintenance_drop_partition()');


-- A sliced budget's reservation settled from its slice is in no budget figure until it is folded
-- (booked none, issue 23): the cleanup folds its budget before archiving it, never archives it as it is.
select tap_freeze_time('2025-09-15 12:00+00');
select count(*) from ai_execution_ensure_partitions(0, '2025-01-01');
insert into ai_model_execution (request_id, operation_type, provider, model_name, success_status, created_at, cost_usd)
values ('batch-feb', 'op', 'openai', 'gpt-4o', 'success', '2025-02-10', 1.0);
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd, slice_count)
values (9201, 'monthly', 'cleanup-sliced', '2025-02-01', '2025-04-01', 100, 1);
insert into ai_budget_reservation (
    budget_id, service, operation_type, estimated_usd, actual_usd, status, reserved_at, expires_at, closed_at,
    execution_id, execution_created_at, booked
)
select
    9201,
    'openai',
    'op',
    1,
    e.cost_usd,
    'settled',
    e.created_at,
    e.created_at + interval '15 minutes',
    e.created_at,
    e.id,
    e.created_at,
    'none'
from ai_model_execution as e
where e.request_id = 'batch-feb';
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 9201$$,
    'a reservation not folded yet counts in the books (before)'
);
select is(
    maintenance_cleanup_batch('reservations_of_dropped_months', '2025-03-15', '2025-09-15 12:00+00', 100), 1::bigint,
    'the reservation of the dropped month is archived'
);
select results_eq(
    $$select current_spend_usd, request_count from ai_budget_tracker where id = 9201$$,
    $$values (1.0::numeric, 1)$$,
    'after its budget folded it in'
);
select is_empty(
    $$select * from ai_budget_consistency() where budget_id = 9201$$,
    'the books still agree: the cost is in the budget and in the archive, once each'
);

select * from finish();
rollback;
