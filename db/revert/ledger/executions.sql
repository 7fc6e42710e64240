-- Revert lokdarpan:ledger/executions from pg

drop function public.ai_execution_ensure_partitions(integer, timestamptz);
drop table public.ai_model_execution;
