-- Revert lokdarpan:code/electoral/results_merge/constituencies from pg

drop function public.constituency_result_match_by_name(text, text, real);
drop function public.constituency_result_match_by_number(text, text);
drop function public.constituency_name_match(text, text, text [], real);
