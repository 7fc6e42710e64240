-- Verify lokdarpan:code/electoral/results_merge/parties on pg

select 1 / (public.party_words_similarity('Bharatiya Janta Party', 'Bharatiya Janata Party') > 0.4)::integer;
select pg_catalog.has_function_privilege('public.constituency_result_match_parties()', 'execute');
