-- pgTAP: code/electoral/results/shares — constituency_result_share computes shares and positions.
begin;
select tap_ensure_personas();
select plan(4);

truncate ward cascade;
insert into ward (ward_id, ward_no, name, zone, boundary) values
(
    'GHMC-001', 1, 'West Ward', 'West Zone',
    '{"type": "Polygon", "coordinates": [[[78.40, 17.40], [78.41, 17.40], [78.41, 17.42], [78.40, 17.42], [78.40, 17.40]]]}'
);
insert into constituency (state_code, kind, number, name) values ('S29', 'AC', 901, 'A');
insert into election (type, year, state_code) values ('ASSEMBLY', 2023, 'S29'), ('GHMC', 2020, 'S29');

-- Shares are computed from the votes, as ECI computes percent_votes (NOTA in the denominator).
insert into constituency_result (
    election_id, constituency_id, candidate, party_id, party_as_published,
    evm_votes, postal_votes, total_votes, published_percent
)
select
    (
        select id from election
        where type = 'ASSEMBLY'
    ),
    (select constituency_id from constituency),
    c,
    party_resolve(p),
    p,
    e,
    v - e,
    v,
    pct
from (
    values ('Asha', 'Bharat Rashtra Samithi', 590, 600, 59.41), ('Ravi', 'Indian National Congress', 300, 300, 29.70),
    ('Sita', 'Bharatiya Janata Party', 100, 100, 9.90), ('None of the Above', 'None of the Above', 10, 10, 0.99))
    as v (c, p, e, v, pct);

select has_view('public', 'constituency_result_share', 'view constituency_result_share exists');
select isnt(obj_description('public.constituency_result_share'::regclass, 'pg_class'), null, 'constituency_result_share says what it shows');

select results_eq(
    $$select candidate::text, vote_share, position::int, valid_votes::int from constituency_result_share order by position$$,
    $$values ('Asha', 59.41, 1, 1010), ('Ravi', 29.70, 2, 1010), ('Sita', 9.90, 3, 1010), ('None of the Above', 0.99, 4, 1010)$$,
    'shares and positions are computed, and agree with the published percentages'
);
set local role tap_reader;
select lives_ok($$select count(*) from constituency_result_share$$, 'a reader reads results and shares');
reset role;

select * from finish();
rollback;
