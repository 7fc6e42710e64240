-- pgTAP: the party registry and its aliases.
begin;
select tap_ensure_personas();
select plan(9);

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
    $$insert into party (code, name) values ('TRS', 'Telangana Rashtra Samithi (new)')$$,
    '23505', 'party Telangana Rashtra Samithi (new): its name, code or ECI code already names another party',
    'a new party cannot take an existing party''s alias'
);
select throws_ok(
    $$select party_resolve(repeat('x', 201))$$,
    '22023', 'party_resolve: the name is 201 characters long; at most 200',
    'long names are refused by length'
);
set local role tap_reader;
select lives_ok($$select party_resolve('BRS')$$, 'a reader resolves party names');

select * from finish();
rollback;
