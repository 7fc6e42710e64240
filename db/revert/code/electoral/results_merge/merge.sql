-- Revert lokdarpan:code/electoral/results_merge/merge from pg

drop function public.constituency_result_merge(text, integer, text, text, text, text, jsonb, boolean, real, integer);
drop function public.election_ensure(text, integer, text, text, text);
