-- pgTAP: code/electoral/results/checks — Form 20 votes must add up: the deferred constraint trigger
-- and the result_ps triggers.
begin;
select tap_ensure_personas();
select plan(44);

select tap_electoral_one_ac_results();

select has_function('public', 'polling_station_result_check_sum', array[]::text [], 'polling_station_result_check_sum() exists');
select is_definer('public', 'polling_station_result_check_sum', array[]::text [], 'polling_station_result_check_sum() runs as its owner: it empties the queue no role writes');
select isnt(obj_description('public.polling_station_result_check_sum()'::regprocedure, 'pg_proc'), null, 'polling_station_result_check_sum() says what it does');
select ok(not has_function_privilege('public', 'public.polling_station_result_check_sum()'::regprocedure, 'execute'), 'PUBLIC may not execute polling_station_result_check_sum()');
select trigger_is('public', 'polling_station_result_check_pending', 'chk_polling_station_result_votes_add_up', 'public', 'polling_station_result_check_sum', 'constraint trigger chk_polling_station_result_votes_add_up on the pending table runs polling_station_result_check_sum()');
select has_function('public', 'polling_station_result_queue_check', array[]::text [], 'polling_station_result_queue_check() exists');
select is_definer('public', 'polling_station_result_queue_check', array[]::text [], 'polling_station_result_queue_check() runs as its owner: it appends to the queue no role writes');
select isnt(obj_description('public.polling_station_result_queue_check()'::regprocedure, 'pg_proc'), null, 'polling_station_result_queue_check() says what it does');
select ok(not has_function_privilege('public', 'public.polling_station_result_queue_check()'::regprocedure, 'execute'), 'PUBLIC may not execute polling_station_result_queue_check()');
select has_function('public', 'result_ps_check_truncate', array[]::text [], 'result_ps_check_truncate() exists');
select isnt_definer('public', 'result_ps_check_truncate', array[]::text [], 'result_ps_check_truncate() runs as its caller (security invoker)');
select isnt(obj_description('public.result_ps_check_truncate()'::regprocedure, 'pg_proc'), null, 'result_ps_check_truncate() says what it does');
select ok(not has_function_privilege('public', 'public.result_ps_check_truncate()'::regprocedure, 'execute'), 'PUBLIC may not execute result_ps_check_truncate()');
select trigger_is('public', 'polling_station_result', 'polling_station_result_queue_check_insert', 'public', 'polling_station_result_queue_check', 'trigger polling_station_result_queue_check_insert queues the inserted stations');
select trigger_is('public', 'polling_station_result', 'polling_station_result_queue_check_update', 'public', 'polling_station_result_queue_check', 'trigger polling_station_result_queue_check_update queues the updated stations');
select trigger_is('public', 'result_ps', 'result_ps_queue_check_insert', 'public', 'polling_station_result_queue_check', 'trigger result_ps_queue_check_insert queues the stations of inserted rows');
select trigger_is('public', 'result_ps', 'result_ps_queue_check_update', 'public', 'polling_station_result_queue_check', 'trigger result_ps_queue_check_update queues the stations rows left and moved to');
select trigger_is('public', 'result_ps', 'result_ps_queue_check_delete', 'public', 'polling_station_result_queue_check', 'trigger result_ps_queue_check_delete queues the stations of deleted rows');
select trigger_is('public', 'result_ps', 'result_ps_check_truncate', 'public', 'result_ps_check_truncate', 'trigger result_ps_check_truncate on result_ps runs result_ps_check_truncate()');
select ok(
    (
        select c.relpersistence = 'u' from pg_class as c
        where c.oid = 'public.polling_station_result_check_queue'::regclass
    )
    and (
        select c.relpersistence = 'u' from pg_class as c
        where c.oid = 'public.polling_station_result_check_pending'::regclass
    ),
    'the queue and the pending table are unlogged (their rows never outlive their transaction)'
);
select ok(
    not exists (
        select
        from (values ('lokdarpan_admin'), ('lokdarpan_analyst'), ('lokdarpan_app'), ('lokdarpan_maintenance'), ('public')) as g (role)
        cross join (values ('public.polling_station_result_check_queue'), ('public.polling_station_result_check_pending')) as t (name)
        cross join (values ('insert'), ('update'), ('delete'), ('truncate')) as p (priv)
        where has_table_privilege(g.role, t.name, p.priv)
    ),
    'no role may write the queue or the pending table'
);

select tap_electoral_polling_stations();
-- Form 20 results: the candidates' votes add up to the station's valid votes, checked at commit
-- (here immediately, to see it).
set constraints chk_polling_station_result_votes_add_up immediate;
select lives_ok(
    $$with st as (
        insert into polling_station_result (election_id, polling_station_id, total_valid, rejected, nota, total_polled)
        select e.id, s.id, 150, 2, 3, 155 from election e, polling_station s where e.type = 'GHMC' and s.serial = '1'
        returning election_id, polling_station_id
      )
      insert into result_ps (election_id, polling_station_id, candidate, party_id, votes)
      select st.election_id, st.polling_station_id, c, party_resolve(p), v from st,
          (values ('Asha', 'BRS', 100), ('Ravi', 'INC', 50)) as x (c, p, v)$$,
    'a station whose candidates add up to its valid votes loads'
);
select throws_ok(
    $$update result_ps set votes = 51 where candidate = 'Ravi'$$,
    '23514', 'polling station S29-AC901-1 in election ' || (
        select id from election
        where type = 'GHMC'
    )
    || ': candidates'' votes add up to 151, total_valid says 150',
    'changing one candidate''s votes alone is caught'
);
select throws_ok(
    $$update polling_station_result set total_valid = 149, total_polled = 154$$,
    '23514', null,
    'and so is changing the stated total alone'
);
select throws_ok(
    $$update polling_station_result set total_polled = 160$$,
    '23514', 'new row for relation "polling_station_result" violates check constraint "chk_polling_station_result_total"',
    'total polled is valid + rejected + NOTA'
);
set constraints chk_polling_station_result_votes_add_up deferred;
select lives_ok(
    $$update result_ps set votes = 51 where candidate = 'Ravi'$$,
    'inside a transaction the numbers may disagree for a while (deferred check) ...'
);
update polling_station_result set total_valid = 151, total_polled = 156;
select lives_ok(
    $$set constraints chk_polling_station_result_votes_add_up immediate$$,
    '... as long as they agree at commit (the pending checks pass)'
);

-- An admin writing result_ps directly cannot commit sums that no longer add up (issue 18): every
-- station a statement touches is checked again, the one a row left included, even when its check
-- already ran earlier in the transaction (the loader runs it after each file).
set local role tap_admin;
set constraints chk_polling_station_result_votes_add_up deferred;
insert into polling_station_result (election_id, polling_station_id, total_valid, rejected, nota, total_polled)
select
    e.id,
    s.id,
    150,
    0,
    0,
    150
from election as e, polling_station as s
where e.type = 'GHMC' and s.serial = '2';
insert into result_ps (election_id, polling_station_id, candidate, party_id, votes)
select
    e.id,
    s.id,
    x.c,
    party_resolve(x.p),
    x.v
from election as e, polling_station as s,
    (values ('Asha', 'BRS', 100), ('Ravi', 'INC', 50)) as x (c, p, v)
where e.type = 'GHMC' and s.serial = '2';
select lives_ok(
    $$set constraints chk_polling_station_result_votes_add_up immediate$$,
    'an admin loads a second station that adds up (checked now, as the loader checks after each file)'
);
set constraints chk_polling_station_result_votes_add_up deferred;
-- Each case runs in one throws_ok (its own subtransaction): the error undoes it.
select throws_ok(
    $$update result_ps set polling_station_id = (select id from polling_station where serial = '2'), candidate = 'Ravi (moved)'
      where candidate = 'Ravi' and polling_station_id = (select id from polling_station where serial = '1');
      update polling_station_result set total_valid = 201, total_polled = 201
      where polling_station_id = (select id from polling_station where serial = '2');
      set constraints chk_polling_station_result_votes_add_up immediate$$,
    '23514', 'polling station S29-AC901-1 in election ' || (
        select id from election
        where type = 'GHMC'
    )
    || ': candidates'' votes add up to 100, total_valid says 151',
    'moving a candidate row to another station is caught at the station it left'
);
select throws_ok(
    $$update result_ps set votes = 60
      where candidate = 'Ravi' and polling_station_id = (select id from polling_station where serial = '2');
      set constraints chk_polling_station_result_votes_add_up immediate$$,
    '23514', 'polling station S29-AC901-2 in election ' || (
        select id from election
        where type = 'GHMC'
    )
    || ': candidates'' votes add up to 160, total_valid says 150',
    'a station checked earlier in the transaction is checked again after a later change'
);
select throws_ok(
    $$delete from result_ps where candidate = 'Asha' and polling_station_id = (select id from polling_station where serial = '2');
      set constraints chk_polling_station_result_votes_add_up immediate$$,
    '23514', null, 'deleting a candidate row is caught'
);
select throws_ok(
    $$truncate result_ps$$,
    '23514', 'result_ps cannot be truncated while polling_station_result states valid votes',
    'emptying result_ps alone is refused (TRUNCATE fires no row triggers)'
);

-- Issue 21: the queue. One pending check per transaction, however many statements; each touched
-- station queued once; the check empties both; a statement that touched nothing queues nothing.
set constraints chk_polling_station_result_votes_add_up immediate;
set constraints chk_polling_station_result_votes_add_up deferred;
update result_ps set votes = votes
where false;
select is(
    (select count(*) from polling_station_result_check_pending), 0::bigint,
    'a statement that touched no row queues no check'
);
update result_ps set votes = votes + 1
where candidate = 'Asha';
update result_ps set votes = votes - 1
where candidate = 'Asha';
update polling_station_result set total_valid = total_valid
where election_id = (
        select id from election
        where type = 'GHMC'
    );
select is(
    (select count(*) from polling_station_result_check_pending), 1::bigint,
    'three statements over two stations queue one check for the transaction'
);
select is(
    (
        select count(*) from polling_station_result_check_queue
        where xact = pg_current_xact_id()
    ), 2::bigint,
    'and each touched station once'
);
set constraints chk_polling_station_result_votes_add_up immediate;
select is(
    (select count(*) from polling_station_result_check_queue) + (select count(*) from polling_station_result_check_pending),
    0::bigint,
    'the check empties the queue and the pending row'
);
set constraints chk_polling_station_result_votes_add_up deferred;
select throws_ok(
    $$insert into polling_station_result_check_queue values (pg_current_xact_id(), 1, 1)$$,
    '42501', null, 'an admin may not write the queue'
);
select throws_ok(
    $$delete from polling_station_result_check_pending$$,
    '42501', null, 'nor empty the pending checks'
);
-- Either order: the stated total first, then the candidates' votes, in separate statements.
update polling_station_result set total_valid = 160, total_polled = 160
where polling_station_id = (
        select id from polling_station
        where serial = '2'
    );
update result_ps set votes = 60
where candidate = 'Ravi' and polling_station_id = (
        select id from polling_station
        where serial = '2'
    );
select lives_ok(
    $$set constraints chk_polling_station_result_votes_add_up immediate$$,
    'the total changed before the votes: they agree at the check'
);
set constraints chk_polling_station_result_votes_add_up deferred;
-- A subtransaction rolled back takes its queued stations and its pending check with it.
do $$
begin
    update public.result_ps set votes = 1 where candidate = 'Asha';
    raise exception 'undone';
exception when raise_exception then
    null;
end
$$;
select is(
    (select count(*) from polling_station_result_check_pending), 0::bigint,
    'a rolled-back savepoint leaves no pending check'
);
select lives_ok(
    $$set constraints chk_polling_station_result_votes_add_up immediate$$,
    'and nothing of it is checked'
);
set constraints chk_polling_station_result_votes_add_up deferred;
-- A station result deleted after its votes changed is not checked: its candidate rows went with it.
select lives_ok(
    $$update result_ps set votes = 1
      where candidate = 'Asha' and polling_station_id = (select id from polling_station where serial = '2');
      delete from polling_station_result where polling_station_id = (select id from polling_station where serial = '2');
      set constraints chk_polling_station_result_votes_add_up immediate$$,
    'a station whose result is deleted in the same transaction is not checked'
);
-- Immediate mode checks each statement as it ends.
set constraints chk_polling_station_result_votes_add_up immediate;
select throws_ok(
    $$update result_ps set votes = votes + 1 where candidate = 'Asha'$$,
    '23514', null, 'in immediate mode a statement that breaks the sums fails at once'
);
select lives_ok(
    $$with t as (
        update polling_station_result set total_valid = total_valid + 1, total_polled = total_polled + 1
        where polling_station_id = (select id from polling_station where serial = '1')
        returning polling_station_id
      )
      update result_ps set votes = votes + 1 from t where result_ps.polling_station_id = t.polling_station_id and candidate = 'Asha'$$,
    'one statement writing both the total and a vote passes in immediate mode'
);
set constraints chk_polling_station_result_votes_add_up deferred;
reset role;

select * from finish();
rollback;
