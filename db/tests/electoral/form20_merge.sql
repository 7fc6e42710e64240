-- pgTAP: result_ps's foreign keys, checked per statement (issue 21): the same rules, locks, codes,
-- names and cascade as the foreign keys they replace.
begin;
select tap_ensure_personas();
select plan(9);

insert into constituency (state_code, kind, number, name) values ('S06', 'AC', 1, 'Abadasa');
insert into election (type, year, state_code) values ('LOKSABHA', 2014, null);
insert into polling_station (ps_id, constituency_id, serial)
select
    'S06-AC001-' || s,
    constituency_id,
    s::text
from constituency, generate_series(1, 2) as s;
insert into polling_station_result (election_id, polling_station_id, total_valid, rejected, nota, total_polled)
select
    e.id,
    p.id,
    15,
    0,
    0,
    15
from election as e, polling_station as p
where p.serial = '1';
insert into result_ps (election_id, polling_station_id, candidate, party_id, votes)
select
    r.election_id,
    r.polling_station_id,
    x.c,
    public.party_resolve(x.p),
    x.v
from polling_station_result as r, (values ('Asha Rao', 'BJP', 10), ('Ravi Kumar', 'INC', 5)) as x (c, p, v);

set local role tap_admin;

select hasnt_fk('public', 'result_ps', 'the per-row foreign keys are gone: the statement triggers below check the same');
-- result_ps's foreign keys, checked per statement: the same rules, codes and names.
reset role;
insert into election (type, year, state_code) values ('LOKSABHA', 2009, null);
set local role tap_admin;
select throws_ok(
    $$insert into result_ps (election_id, polling_station_id, candidate, party_id, votes)
      select election_id, polling_station_id, 'Nobody', -1, 0 from polling_station_result limit 1$$,
    '23503', 'insert or update on table "result_ps" violates foreign key constraint "fk_result_ps_party"',
    'a row of an unknown party is refused (fk_result_ps_party)'
);
select throws_ok(
    $$insert into result_ps (election_id, polling_station_id, candidate, party_id, votes)
      select (select min(id) from election), s.id, 'Nobody', public.party_resolve('BJP'), 0
      from polling_station as s where not exists (
          select from polling_station_result as r where r.polling_station_id = s.id) limit 1$$,
    '23503', 'insert or update on table "result_ps" violates foreign key constraint "fk_result_ps_station_result"',
    'a row of a station without its station result is refused (fk_result_ps_station_result)'
);
select throws_ok(
    $$update polling_station_result set election_id = (select max(id) from election)
      where polling_station_id = (select min(polling_station_id) from result_ps)$$,
    '23503', 'update or delete on table "polling_station_result" violates foreign key constraint "fk_result_ps_station_result" on table "result_ps"',
    'a station result whose rows use its key keeps it'
);
select throws_ok(
    $$delete from party where party_id = (select min(party_id) from result_ps)$$,
    '23503', 'update or delete on table "party" violates foreign key constraint "fk_result_ps_party" on table "result_ps"',
    'a party with rows stays'
);
select lives_ok(
    $$update party set name = name where party_id = (select min(party_id) from result_ps)$$,
    'a party''s other columns may change'
);
create temporary table gone_station on commit drop as
select min(polling_station_id) as id from result_ps;
delete from polling_station_result
where polling_station_id = (select g.id from gone_station as g);
select is(
    (
        select count(*) from result_ps
        where polling_station_id = (select g.id from gone_station as g)
    ),
    0::bigint,
    'deleting a station result deletes its candidate rows (the cascade)'
);
select is(
    (
        select count(*) from result_ps as r
        where not exists (
                select from polling_station_result as s
                where s.election_id = r.election_id and s.polling_station_id = r.polling_station_id
            )
    ),
    0::bigint,
    'no candidate row is left without its station result'
);
set constraints chk_polling_station_result_votes_add_up immediate;
truncate polling_station_result;
set constraints chk_polling_station_result_votes_add_up deferred;
select is(
    (select count(*) from result_ps), 0::bigint,
    'truncating the station results empties result_ps too, as TRUNCATE ... CASCADE did'
);

reset role;

select * from finish();
rollback;
