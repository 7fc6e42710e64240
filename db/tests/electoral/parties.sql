-- pgTAP: the party registry and its aliases (schema change electoral/parties). What party_resolve()
-- reads is told by db/tests/code/electoral/parties/resolve.sql.
begin;
select tap_ensure_personas();
select plan(6);

select has_table('public', 'party', 'table party exists');
select has_table('public', 'party_alias', 'table party_alias exists');
select is(
    (
        select count(*)::integer from party
        where kind in ('independent', 'nota')
    ), 2,
    'the seed registers the two pseudo-parties: independents and None of the Above'
);
select is_empty(
    $$select p.party_id from party as p
      where not exists (select from party_alias as a where a.party_id = p.party_id and a.kind = 'name')$$,
    'every seeded party''s own name is an alias of it (party_keep_aliases)'
);
select throws_ok(
    $$insert into party (code, name) values ('TRS', 'Telangana Rashtra Samithi (new)')$$,
    '23505', 'party Telangana Rashtra Samithi (new): its name, code or ECI code already names another party',
    'a new party cannot take an existing party''s alias'
);
select throws_ok(
    $$insert into party_alias (alias, party_id, kind) values ('Not Normalised', 1, 'spelling')$$,
    '23514', null, 'an alias is stored normalised (check constraint chk_party_alias_normalised)'
);

select * from finish();
rollback;
