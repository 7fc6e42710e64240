-- Revert lokdarpan:code/electoral/results_merge/parties from pg

drop function public.constituency_result_match_parties();
drop function public.party_words_similarity(text, text);
