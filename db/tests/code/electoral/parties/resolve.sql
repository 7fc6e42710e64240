-- pgTAP: code/electoral/parties/resolve — party_resolve() reads any spelling of a party.
begin;
select tap_ensure_personas();
select plan(12);

select has_function('public', 'party_resolve', array['text'], 'party_resolve(text) exists');
select isnt_definer('public', 'party_resolve', array['text'], 'party_resolve() runs as its caller (security invoker)');
select isnt(
    obj_description('public.party_resolve(text)'::regprocedure, 'pg_proc'), null, 'party_resolve() says what it does'
);
select ok(
    not has_function_privilege('public', 'public.party_resolve(text)'::regprocedure, 'execute'),
    'PUBLIC may not execute party_resolve()'
);

select is(party_resolve('TRS'), party_resolve('Bharat Rashtra Samithi'), 'TRS and BRS are one party');
select is(party_resolve('telangana rashtra samithi'), party_resolve('BRS'), 'whatever the case');
select is(
    party_resolve('All India Majlis-E-Ittehadul Muslimeen'), party_resolve('all india majlis e ittehadul muslimeen'),
    'punctuation and spacing do not matter'
);
select is(party_resolve('N0002'), party_resolve('BJP'), 'an ECI party code names its party');
select is(party_resolve('Indian National congress'), party_resolve('INC'), 'ECI''s own spelling variants are aliases');
select is(party_resolve('Nobody''s Party'), null::integer, 'an unknown name resolves to null, never a guess');
select throws_ok(
    $$select party_resolve(repeat('x', 201))$$,
    '22023', 'party_resolve: the name is 201 characters long; at most 200',
    'long names are refused by length'
);
set local role tap_reader;
select lives_ok($$select party_resolve('BRS')$$, 'a reader resolves party names');

select * from finish();
rollback;
