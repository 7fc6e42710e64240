-- Revert lokdarpan:code/electoral/results/shares from pg

drop view public.constituency_result_share;
