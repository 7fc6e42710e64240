-- pgTAP: code/electoral/registry/form20 — a campaign admin's Form 20 import pairs each candidate
-- column with a candidate of ECI's list (pg_trgm, one call per file) and finds or makes the parties.
begin;
select tap_ensure_personas();
select plan(14);

set local role tap_admin;
-- The state's candidates: two PCs; the file's columns, typed from a PDF.
create temporary table cand on commit drop as
select * from (
    values
    ('S06PC01CA01', 1, 'KAMALBHAI MATANG', 'KAMALBHAIMATANG'),
    ('S06PC01CA02', 1, 'CHAVDA VINOD LAKHAMASHI', 'CHAVDAVINODLAKHAMASHI'),
    ('S06PC01CA03', 1, 'DINESH PARMAR', 'DINESHPARMAR'),
    ('S06PC02CA01', 2, 'KAMAL MATANG', 'KAMALMATANG'),
    ('S06PC02CA02', 2, 'HARIBHAI CHAUDHARY', 'HARIBHAICHAUDHARY')
) as c (code, pc_no, norm, key);
create temporary table matched on commit drop as
select * from form20_match_candidates(
    array['KAMAL BHAI MATANG', 'CHAVDA VINOD LAKHA MASHI', 'DINESH PARMAR'],
    array['KAMALBHAIMATANG', 'CHAVDAVINODLAKHAMASHI', 'DINESHPARMAR'],
    (select array_agg(code order by code) from cand), (select array_agg(pc_no order by code) from cand),
    (select array_agg(norm order by code) from cand), (select array_agg(key order by code) from cand),
    null, 0.6
);
select results_eq(
    $$select idx, code, similarity from matched order by idx$$,
    $$values (0, 'S06PC01CA01', 1::float8), (1, 'S06PC01CA02', 1::float8), (2, 'S06PC01CA03', 1::float8)$$,
    'each column gets its candidate: names split or spaced differently have the same key'
);
select results_eq(
    $$select distinct pc_no, next_pc, pc_score from matched$$,
    $$values (1, 2, 1::float8)$$,
    'the PC is the one whose candidates fit the columns best; the runner-up is told'
);

-- A column like no candidate of the PC is not guessed: no code, its nearest candidate told.
create temporary table weak on commit drop as
select * from form20_match_candidates(
    array['KAMALBHAI MATANG', 'NARENDRA MODI'], array['KAMALBHAIMATANG', 'NARENDRAMODI'],
    (select array_agg(code order by code) from cand), (select array_agg(pc_no order by code) from cand),
    (select array_agg(norm order by code) from cand), (select array_agg(key order by code) from cand),
    1, 0.6
);
select results_eq(
    $$select idx, code, nearest_code is not null, nearest_similarity < 0.6 from weak order by idx$$,
    $$values (0, 'S06PC01CA01', true, false), (1, null, true, true)$$,
    'a column below the minimum similarity gets no candidate, only its nearest'
);
select is((select distinct pc_score from weak), null, 'a PC given is not ranked');

-- Best pairs first, each candidate once: two columns that both look like one candidate.
select results_eq(
    $$select idx, code from form20_match_candidates(
        array['DINESH PARMAR', 'DINESH PARMA'], array['DINESHPARMAR', 'DINESHPARMA'],
        array['A', 'B'], array[1, 1], array['DINESH PARMAR', 'DINESH PARMARR'], array['DINESHPARMAR', 'DINESHPARMARR'],
        1, 0.5) order by idx$$,
    $$values (0, 'A'), (1, 'B')$$,
    'a candidate taken by a better column is not given to a second one'
);
select is(
    (select count(*)::int from form20_match_candidates(array['X'], array['X'], '{}', '{}', '{}', '{}', null, 0.6)),
    0, 'no candidates, no PC: nothing to match'
);
select throws_ok(
    $$select * from form20_match_candidates(array['X'], array['X'], '{}', '{}', '{}', '{}', null, 'NaN')$$,
    '22023', 'form20_match_candidates: minimum similarity must be in (0, 1], got NaN',
    'NaN is not a similarity'
);
select throws_ok(
    $$select * from form20_match_candidates(array['X'], '{}', '{}', '{}', '{}', '{}', null, 0.6)$$,
    '22023', 'form20_match_candidates: the column arrays (1 and 0) and the candidate arrays (0, 0, 0, 0) must each be of one length',
    'arrays of unequal lengths are refused'
);

-- Parties by ECI code: registered, registered by name only (given the code), or new.
reset role;
update party set eci_code = null
where code = 'INC';
set local role tap_admin;
create temporary table parties on commit drop as
select * from form20_parties(
    array['N0002', 'U9001', 'U9003', 'U9001'],
    array['Bharatiya Janata Party', 'Tap Test Party', 'Indian National Congress', 'Tap Test Party']
);
select results_eq(
    $$select code, party_key, registry_name, how from parties order by code$$,
    $$values ('N0002', 'BJP', 'Bharatiya Janata Party', 'registered'), ('U9001', 'Tap Test Party', 'Tap Test Party', 'created'),
      ('U9003', 'INC', 'Indian National Congress', 'code given')$$,
    'each code once: found by its code, found by name and given the code, or made with it'
);
select is((
    select eci_code::text from party
    where code = 'INC'
), 'U9003', 'a party known by name only gets its ECI code');
select results_eq(
    $$select code, how from form20_parties(array['N0002', 'U9001', 'U9003'],
        array['Bharatiya Janata Party', 'Tap Test Party', 'Indian National Congress']) order by code$$,
    $$values ('N0002', 'registered'), ('U9001', 'registered'), ('U9003', 'registered')$$,
    'a second import finds every party: nothing made twice'
);
select is((
    select count(*)::int from party
    where name = 'Tap Test Party'
), 1, 'one row per party');
select throws_ok(
    $$select * from form20_parties(array['N0002'], '{}')$$,
    '22023', 'form20_parties: codes and names must be arrays of one length, at most 10000, got 1 and 0',
    'a code needs its name'
);

reset role;
set local role tap_analyst;
select throws_ok(
    $$select * from form20_parties(array['U9009'], array['Another Party'])$$,
    '42501', null,
    'an analyst cannot make parties'
);

select * from finish();
rollback;
