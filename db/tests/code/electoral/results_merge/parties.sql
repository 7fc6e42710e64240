-- pgTAP: code/electoral/results_merge/parties — two party spellings agree word by word or not at
-- all; the party step runs only inside constituency_result_merge().
begin;
select tap_ensure_personas();
select plan(5);

-- Two spellings agree word by word or not at all.
select is(
    round(party_words_similarity('Bharatiya Janta Party', 'Bharatiya Janata Party')::numeric, 2), 0.44,
    'a typo in one word keeps the words'' similarity'
);
select is(
    party_words_similarity('Marxist Communist Party of India (United)', 'Communist Party of India (Marxist)'), 0::real,
    'a party with more words is another party, however many words it shares'
);
select throws_ok(
    $$select party_words_similarity(repeat('x', 201), 'x')$$,
    '22023', 'party_words_similarity: a name is 201 characters long; at most 200',
    'long names are refused by length'
);

set local role tap_admin;
select throws_ok(
    $$select constituency_result_match_parties()$$,
    '55000',
    'constituency_result_match_parties: a step of constituency_result_merge(), which makes its work tables first',
    'the party step alone, without the merge''s work tables, is refused'
);
reset role;
set local role tap_reader;
select lives_ok(
    $$select party_words_similarity('BJP', 'BSP')$$,
    'a reader may compare spellings'
);

select * from finish();
rollback;
