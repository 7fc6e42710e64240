-- Verify lokdarpan:code/ledger/reports/transitions on pg

select 'public.ai_report_check_transition()'::regprocedure;
select 'public.ai_report_transition(bigint, text, uuid, jsonb)'::regprocedure;
select 1 / count(*) from pg_catalog.pg_trigger
where tgname = 'ai_report_check_transition' and tgrelid = 'public.ai_geopolitical_report'::regclass;
