-- pgTAP: code/ledger/executions/costs — cost by provider and cache efficiency, readable by readonly.
begin;
select tap_ensure_personas();
select plan(10);

select tap_freeze_time('2025-08-10 12:00:00+05:30');

select has_function('public', 'ai_cost_by_provider', array['timestamp with time zone', 'timestamp with time zone'], 'ai_cost_by_provider(timestamp with time zone, timestamp with time zone) exists');
select isnt_definer('public', 'ai_cost_by_provider', array['timestamp with time zone', 'timestamp with time zone'], 'ai_cost_by_provider() runs as its caller (security invoker)');
select isnt(obj_description('public.ai_cost_by_provider(timestamp with time zone, timestamp with time zone)'::regprocedure, 'pg_proc'), null, 'ai_cost_by_provider() says what it does');
select has_view('public', 'ai_cost_by_provider_24h', 'view ai_cost_by_provider_24h exists');
select isnt(obj_description('public.ai_cost_by_provider_24h'::regclass, 'pg_class'), null, 'ai_cost_by_provider_24h says what it shows');
select has_view('public', 'ai_cache_efficiency_7d', 'view ai_cache_efficiency_7d exists');
select isnt(obj_description('public.ai_cache_efficiency_7d'::regclass, 'pg_class'), null, 'ai_cache_efficiency_7d says what it shows');
insert into ai_model_execution (
    request_id, user_id, operation_type, provider, model_name,
    input_tokens, output_tokens, cached_tokens, cost_usd, latency_ms, success_status, error_code
)
values ('req-1', null, 'report_generation', 'openai', 'gpt-4o', 1000, 500, 250, 0.0075, 900, 'success', null),
('req-2', null, 'report_generation', 'openai', 'gpt-4o', 2000, 0, 0, 0.005, 1100, 'success', null),
('req-3', null, 'embedding', 'openai', 'text-embedding-3-small', 500, 0, 0, 0.00001, 80, 'success', null),
('req-4', null, 'report_generation', 'anthropic', 'claude-sonnet-4', 1000, 0, 0, 0, 30000, 'timeout', 'timeout');

-- Cost by provider: the seed's query as a function and a view, readable by readonly.
set local role tap_reader;
select results_eq(
    $$select provider, model_name, requests, total_tokens, total_cost_usd, success_rate_pct
      from ai_cost_by_provider() order by provider, model_name$$,
    $$values ('anthropic', 'claude-sonnet-4', 1::bigint, 1000::bigint, 0.00000000::numeric, 0.00::numeric),
             ('openai', 'gpt-4o', 2, 3500, 0.01250000, 100.00),
             ('openai', 'text-embedding-3-small', 1, 500, 0.00001000, 100.00)$$,
    'cost, tokens and success rate by provider and model over the last 24 hours'
);
select set_eq(
    $$select provider::text, model_name::text, total_cost_usd from ai_cost_by_provider_24h$$,
    $$select provider, model_name, total_cost_usd from ai_cost_by_provider()$$,
    'the 24-hour view agrees with the function'
);
select results_eq(
    $$select operation_type::text, total_requests, total_cached_tokens from ai_cache_efficiency_7d order by 1$$,
    $$values ('embedding', 1::bigint, 0::bigint), ('report_generation', 3, 250)$$,
    'cache efficiency by operation'
);
reset role;

select * from finish();
rollback;
