-- Deploy lokdarpan:code/electoral/results/checks to pg
-- requires: electoral/results
-- Form 20 votes add up: the statement triggers that queue the stations a transaction touched, and the one deferred constraint trigger that checks them all.

-- The candidates' votes of a station add up to its stated total_valid: checked at commit, so a
-- loader may write the station and its candidates in either order. Issue 21: once per transaction,
-- set-based, over every station the transaction touched. Statement triggers on
-- polling_station_result (inserted and updated rows) and result_ps (inserted, updated, deleted rows;
-- for an update both the station a row left and the one it moved to) append the keys to
-- polling_station_result_check_queue and, the first time, the transaction's row to
-- polling_station_result_check_pending, whose deferred constraint trigger
-- chk_polling_station_result_votes_add_up runs the check and empties both. Before, each station
-- cost a row event on insert plus a no-op update of polling_station_result (a new row version and a
-- second row event) per result_ps statement: two sum checks per station.
--
-- SET CONSTRAINTS ... IMMEDIATE runs the pending check now; a later write queues a new one (the
-- transaction's pending row is gone), so a station checked earlier is checked again. A
-- subtransaction rolled back takes its queued keys, its pending row and its trigger event with it.
create or replace function public.polling_station_result_queue_check()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    this_xact xid8 := pg_catalog.pg_current_xact_id();
begin
    if tg_argv[0] = 'old_and_new' then
        insert into public.polling_station_result_check_queue (xact, election_id, polling_station_id)
        select this_xact, c.election_id, c.polling_station_id from changed as c
        union  -- union, not union all: each key once
        select this_xact, o.election_id, o.polling_station_id from changed_old as o
        on conflict do nothing;
    else
        insert into public.polling_station_result_check_queue (xact, election_id, polling_station_id)
        select distinct this_xact, c.election_id, c.polling_station_id from changed as c
        on conflict do nothing;
    end if;
    -- A statement that touched no row queues nothing; otherwise the transaction's one check, unless
    -- it is queued already (its row is there).
    if found then
        insert into public.polling_station_result_check_pending (xact) values (this_xact)
        on conflict do nothing;
    end if;
    return null;
end
$$;

comment on function public.polling_station_result_queue_check() is
'Statement trigger on polling_station_result (insert, update) and result_ps (insert, update, delete): '
'appends the (election, station) keys the statement touched (for a result_ps update, the stations rows '
'left too: argument old_and_new) to polling_station_result_check_queue and queues the transaction''s '
'one deferred votes-add-up check. Security definer: no role writes the queue itself.';

create or replace function public.polling_station_result_check_sum()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    this_xact xid8 := pg_catalog.pg_current_xact_id();
    bad record;
begin
    -- Each queued station that still has its station result (one deleted since has no candidate
    -- rows left: the cascade), its candidates' votes summed by the result_ps key. Lateral probes
    -- (OFFSET 0 keeps each one): no plan hashes an election's rows, whatever the statistics say of
    -- an election being loaded.
    select q.election_id, q.polling_station_id, r.total_valid, v.counted into bad
    from public.polling_station_result_check_queue as q
    cross join lateral (
        select s.total_valid from public.polling_station_result as s
        where s.election_id = q.election_id and s.polling_station_id = q.polling_station_id
        offset 0
    ) as r
    cross join lateral (
        select coalesce(sum(p.votes), 0) as counted from public.result_ps as p
        where p.election_id = q.election_id and p.polling_station_id = q.polling_station_id
    ) as v
    where q.xact = this_xact and v.counted <> r.total_valid
    order by q.election_id, q.polling_station_id
    limit 1;
    if found then
        raise exception 'polling station % in election %: candidates'' votes add up to %, total_valid says %',
            (select s.ps_id from public.polling_station as s where s.id = bad.polling_station_id),
            bad.election_id, bad.counted, bad.total_valid
            using errcode = 'check_violation', constraint = 'chk_polling_station_result_votes_add_up',
            hint = 'Correct the candidate votes or the stated total in the same transaction.';
    end if;
    delete from public.polling_station_result_check_queue as q where q.xact = this_xact;
    delete from public.polling_station_result_check_pending as p where p.xact = this_xact;
    return null;
end
$$;

comment on function public.polling_station_result_check_sum() is
'Deferred constraint trigger chk_polling_station_result_votes_add_up (once per transaction, on its '
'row in polling_station_result_check_pending): every station the transaction queued that still has '
'its station result must have result_ps votes adding up to total_valid (23514, naming the station '
'and both numbers); then the transaction''s queue is emptied. Security definer: it reads and empties '
'the queue no role may write.';

drop trigger if exists chk_polling_station_result_votes_add_up on public.polling_station_result_check_pending;
create constraint trigger chk_polling_station_result_votes_add_up
after insert on public.polling_station_result_check_pending
deferrable initially deferred
for each row execute function public.polling_station_result_check_sum();

drop trigger if exists polling_station_result_queue_check_insert on public.polling_station_result;
create trigger polling_station_result_queue_check_insert
after insert on public.polling_station_result
referencing new table as changed
for each statement execute function public.polling_station_result_queue_check();

drop trigger if exists polling_station_result_queue_check_update on public.polling_station_result;
create trigger polling_station_result_queue_check_update
after update on public.polling_station_result
referencing new table as changed
for each statement execute function public.polling_station_result_queue_check();

drop trigger if exists result_ps_queue_check_insert on public.result_ps;
create trigger result_ps_queue_check_insert
after insert on public.result_ps
referencing new table as changed
for each statement execute function public.polling_station_result_queue_check();

drop trigger if exists result_ps_queue_check_update on public.result_ps;
create trigger result_ps_queue_check_update
after update on public.result_ps
referencing old table as changed_old new table as changed
for each statement execute function public.polling_station_result_queue_check('old_and_new');

drop trigger if exists result_ps_queue_check_delete on public.result_ps;
create trigger result_ps_queue_check_delete
after delete on public.result_ps
referencing old table as changed
for each statement execute function public.polling_station_result_queue_check();

-- TRUNCATE fires no row triggers: emptying result_ps alone would leave every station's total
-- unexplained, so it is refused unless polling_station_result is emptied in the same statement.
create or replace function public.result_ps_check_truncate()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if exists (select from public.polling_station_result as r where r.total_valid <> 0) then
        raise exception 'result_ps cannot be truncated while polling_station_result states valid votes'
            using errcode = 'check_violation', constraint = 'chk_polling_station_result_votes_add_up',
            hint = 'truncate polling_station_result cascade, or delete the stations'' rows';
    end if;
    return null;
end
$$;

comment on function public.result_ps_check_truncate() is
'AFTER TRUNCATE trigger on result_ps: refuses (23514) to empty result_ps while polling_station_result '
'still states valid votes the candidates no longer add up to.';

drop trigger if exists result_ps_check_truncate on public.result_ps;
create trigger result_ps_check_truncate
after truncate on public.result_ps
for each statement execute function public.result_ps_check_truncate();

revoke execute on function public.polling_station_result_queue_check() from public;

revoke execute on function public.polling_station_result_check_sum() from public;

revoke execute on function public.result_ps_check_truncate() from public;
