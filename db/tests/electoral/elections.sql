-- pgTAP: the election catalog.
begin;
select plan(4);

insert into election (type, year, state_code) values ('ASSEMBLY', 2023, 'S29');
select throws_ok(
    $$insert into election (type, year, state_code) values ('ASSEMBLY', 2023, 'S29')$$,
    '23505', 'duplicate key value violates unique constraint "ux_election_type_year_state_round"',
    'one Telangana Assembly election in 2023'
);
select lives_ok(
    $$insert into election (type, year, state_code, round) values ('ASSEMBLY', 2023, 'S29', 'by-election Cantonment')$$,
    'a by-election is another round'
);
select throws_ok(
    $$insert into election (type, year) values ('GHMC', 2020)$$,
    '23514', 'new row for relation "election" violates check constraint "chk_election_state_needed"',
    'a municipal or assembly election belongs to a state'
);
select throws_ok(
    $$insert into election (type, year, state_code) values ('MUNICIPAL', 2020, 'S29')$$,
    '23514', 'new row for relation "election" violates check constraint "chk_election_type"',
    'types are the seed''s three'
);

select * from finish();
rollback;
