-- pgTAP: code/electoral/results_merge/merge — a campaign admin merges staged results files; constituencies found by number or by
-- name, parties by any spelling; bad files refused whole, with their lines.
begin;
select tap_ensure_personas();
select plan(24);

insert into constituency (state_code, kind, number, name, reserved_for) values
('S29', 'PC', 11, 'Mahbubnagar', null),
('S29', 'PC', 14, 'Bhongir', null),
('S29', 'PC', 16, 'Mahabubabad', 'ST'),
('S29', 'PC', 17, 'Khammam', null);
insert into party (name, kind) values ('Alpha Beta Party', 'party'), ('Alpha Bete Party', 'party');

set local role tap_admin;
select throws_ok(
    $$select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'name', '{}')$$,
    '55000', null,
    'nothing staged, nothing merged'
);
select constituency_result_stage();
-- Another publisher: no numbers, names spelled its own way, parties by abbreviation and typo.
insert into pg_temp.constituency_result_stage (
    line, constituency_name, candidate, party, evm_votes, postal_votes, total_votes
) values
(2, 'Mahabubnagar', 'Asha', 'BJP', 900, 10, 910),
(3, 'Mahabubnagar', 'Ravi', 'I.N.C.', 800, 5, 805),
(4, 'Bhuvanagiri', 'Sita', 'Bharatiya Janta Party', 700, 7, 707),
(5, 'Bhuvanagiri', 'None of the Above', 'NOTA', 70, 0, 70),
(6, 'Mahabubabad (ST)', 'Gita', 'Bharat Rashtra Samithi (BRS)', 500, 5, 505),
(7, 'Mahabubabad (ST)', 'Mohan', 'Nava Praja Party', 400, 4, 404);
create temporary table merged on commit drop as
select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'name', '{"file": "other.csv"}') as r;

select is(
    (select (r ->> 'inserted')::int from merged), 6, 'every staged row is inserted'
);
select results_eq(
    $$select c.number, count(*)::int from constituency_result as r join constituency as c using (constituency_id)
      group by c.number order by c.number$$,
    $$values (11, 2), (14, 2), (16, 2)$$,
    'each name reached its constituency: by trigram, by a recorded alias, exactly'
);
select results_eq(
    $$select (m ->> 'line')::int, m ->> 'how', (m ->> 'number')::int from merged, jsonb_array_elements(r -> 'constituency_matches') as m$$,
    $$values (2, 'trigram', 11), (4, 'alias', 14)$$,
    'every match that is not exact is reported'
);
select results_eq(
    $$select m ->> 'party', m ->> 'how', m ->> 'registry_name' from merged, jsonb_array_elements(r -> 'party_matches') as m
      order by (m ->> 'line')::int$$,
    $$values ('I.N.C.', 'normalised', 'Indian National Congress'), ('Bharatiya Janta Party', 'fuzzy', 'Bharatiya Janata Party'),
      ('Bharat Rashtra Samithi (BRS)', 'normalised', 'Bharat Rashtra Samithi')$$,
    'parties registered under another spelling resolve to their row'
);
select is(
    (select r -> 'parties_created' from merged), '["Nava Praja Party"]'::jsonb,
    'a spelling no rule reaches is a new party, reported'
);
select is(
    (
        select count(*)::int from party
        where name in ('BJP', 'I.N.C.', 'Bharatiya Janta Party', 'Bharat Rashtra Samithi (BRS)')
    ),
    0, 'never a second row for a known party'
);
select is(
    (select (r ->> 'unchanged')::int from (
        select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'name', '{"file": "other.csv"}') as r
    ) as again),
    6, 'merging the same rows again changes nothing'
);

-- A name between two constituencies, a name like none, and two names of one constituency.
truncate pg_temp.constituency_result_stage;
insert into pg_temp.constituency_result_stage (line, constituency_name, candidate, party, total_votes) values
(2, 'Mahabubnagarabad', 'Asha', 'BJP', 10),
(3, 'Xyzpur', 'Ravi', 'BJP', 10),
(4, 'Khammam', 'Sita', 'BJP', 10),
(5, 'Khamam', 'Gita', 'BJP', 10),
(6, 'Bhongir', 'Mohan', 'Alpha Beto Party', 10);
select throws_ok(
    $$select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'name', '{}')$$,
    'LDI01',
    'constituency_result_merge: 4 problem(s) in the staged file, first: line 2: PC ''Mahabubnagarabad'' is ambiguous: '
    'it matches PC 16 ''Mahabubabad'' (similarity 0.53), PC 11 ''Mahbubnagar'' (similarity 0.45); give the '
    'constituency number or write the name as the registry does',
    'an ambiguous name is refused naming its line and the candidates'
);
create function pg_temp.refusal() returns jsonb language plpgsql as $$
begin
    perform constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'name', '{}');
    return null;
exception when sqlstate 'LDI01' then
    declare d text;
    begin
        get stacked diagnostics d = pg_exception_detail;
        return d::jsonb;
    end;
end
$$;
select results_eq(
    $$select (p ->> 'line')::int, p ->> 'message' from jsonb_array_elements(pg_temp.refusal() -> 'problems') as p$$,
    $$values
    (2, 'PC ''Mahabubnagarabad'' is ambiguous: it matches PC 16 ''Mahabubabad'' (similarity 0.53), PC 11 ''Mahbubnagar'' (similarity 0.45); give the constituency number or write the name as the registry does'),
    (3, 'PC ''Xyzpur'' matches no PC of state S29 closely enough (similarity at least 0.50): no constituency is similar (are the constituencies of this state and kind loaded?)'),
    (5, 'PC ''Khamam'' and ''Khammam'' (line 4) both resolve to PC 17 ''Khammam'''),
    (6, 'party ''Alpha Beto Party'' is ambiguous: it matches ''Alpha Beta Party'' (similarity 0.43), ''Alpha Bete Party'' (similarity 0.43); register the spelling as an alias of its party (party_alias) or correct the file')$$,
    'every problem is listed with its line, in DETAIL'
);
select is(
    (select count(*)::int from constituency_result), 6, 'a refused file writes nothing'
);

-- By number: a candidate twice is refused; a shorter file removes only when allowed.
truncate pg_temp.constituency_result_stage;
insert into pg_temp.constituency_result_stage (line, constituency_no, constituency_name, candidate, party, total_votes) values
(2, 11, 'Mahbubnagar', 'Asha', 'BJP', 910),
(3, 11, 'Mahbubnagar', 'ASHA', 'BJP', 910);
select results_eq(
    $$select line, message, total::int from constituency_result_stage_duplicates()$$,
    $$values (3, 'duplicate candidate ''ASHA'' in constituency 11 (first on line 2)', 1)$$,
    'the importer asks staging for repeated candidates, to report them with the file''s other errors'
);
select throws_ok(
    $$select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'number', '{}')$$,
    'LDI01',
    'constituency_result_merge: 1 problem(s) in the staged file, first: line 3: duplicate candidate ''ASHA'' in constituency 11 (first on line 2)',
    'a candidate twice in one constituency is refused'
);
delete from pg_temp.constituency_result_stage
where line = 3;
select throws_ok(
    $$select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'number', '{"file": "other.csv"}')$$,
    'LDI02',
    'constituency_result_merge: the file would remove 1 candidate rows (805 votes) of 1 constituencies that earlier imports loaded',
    'a file that would remove rows is refused unless removal is allowed'
);
select is(
    (select r ->> 'removed' from (
        select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'number', '{"file": "other.csv"}', true) as r
    ) as m),
    '1', 'with removal allowed the row goes'
);
select is(
    (
        select count(*)::int from constituency_result
        inner join constituency as c using (constituency_id)
        where c.number = 11
    ),
    1, 'only the file''s constituency lost a row'
);
insert into pg_temp.constituency_result_stage (line, constituency_no, constituency_name, candidate, party, total_votes) values
(4, 12, 'Nagarkurnool', 'Kiran', 'BJP', 10);
select throws_ok(
    $$select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'number', '{}')$$,
    'LDI01',
    'constituency_result_merge: 1 problem(s) in the staged file, first: line 4: PC 12 ''Nagarkurnool'' of state S29 is not in the constituency registry: load the constituencies first (`lokdarpan-db import constituencies`)',
    'an unregistered number is refused naming its line'
);
select throws_ok(
    $$select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'name', '{}', false, 'NaN')$$,
    '22023', 'constituency_result_merge: minimum similarity must be in [0.3, 1], got NaN',
    'NaN is not a similarity'
);

-- election_ensure(): the election row of an import, found or made (the Form 20 importer calls it too).
select results_eq(
    $$select created from election_ensure('ASSEMBLY', 2018, 'S29', null, 'form20 files')$$,
    $$values (true)$$,
    'a new election is made and says so'
);
select results_eq(
    $$select e.created, e.election_id = (select id from election where type = 'ASSEMBLY' and year = 2018 and state_code = 'S29')
      from election_ensure('ASSEMBLY', 2018, 'S29', null, 'another source') as e$$,
    $$values (false, true)$$,
    'the same election again is the same row, not a second one'
);
select is(
    (
        select source from election
        where type = 'ASSEMBLY' and year = 2018 and state_code = 'S29'
    ), 'form20 files',
    'an election keeps the source it was made with'
);
select throws_ok(
    $$select * from election_ensure('ASSEMBLY', 2018, 'S29', ' by-election', null)$$,
    '22023', 'election_ensure: round '' by-election'' must be a trimmed, non-empty name of at most 32 characters',
    'a round is a trimmed name'
);
select throws_ok(
    $$select * from election_ensure('ASSEMBLY', 2018, null, null, null)$$,
    '23514', null,
    'only a Lok Sabha election has no state'
);

reset role;
set local role tap_analyst;
select throws_ok(
    $$select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'name', '{}')$$,
    '42501', null,
    'an analyst cannot merge results'
);
select * from finish();
rollback;
