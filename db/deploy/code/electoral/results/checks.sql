-- Deploy lokdarpan:code/electoral/results/checks to pg
-- requires: electoral/results
-- Form 20 votes add up: the constraint trigger on polling_station_result and the result_ps triggers that re-check touched stations.

-- The candidates' votes of a station add up to its stated total_valid: checked at commit, once
-- per station written (or touched by a change to result_ps), so a loader may write the station
-- and its candidates in either order.
create or replace function public.polling_station_result_check_sum()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
-- While an election is being loaded its statistics say "no rows": a custom plan would then scan
-- the whole election once per station (measured: 228 s of a 319 s bench load). The generic plan
-- uses the (election_id, polling_station_id, candidate) key.
set plan_cache_mode = force_generic_plan
as $$
declare
    counted bigint;
    current_row public.polling_station_result;
begin
    select * into current_row from public.polling_station_result as r
    where r.election_id = new.election_id and r.polling_station_id = new.polling_station_id;
    if not found then
        return null;  -- deleted later in the same transaction
    end if;
    select coalesce(sum(p.votes), 0) into counted from public.result_ps as p
    where p.election_id = new.election_id and p.polling_station_id = new.polling_station_id;
    if counted <> current_row.total_valid then
        raise exception 'polling station % in election %: candidates'' votes add up to %, total_valid says %',
            (select s.ps_id from public.polling_station as s where s.id = new.polling_station_id),
            new.election_id, counted, current_row.total_valid
            using errcode = 'check_violation', constraint = 'chk_polling_station_result_votes_add_up',
            hint = 'Correct the candidate votes or the stated total in the same transaction.';
    end if;
    return null;
end
$$;

comment on function public.polling_station_result_check_sum() is
'Deferred constraint trigger on polling_station_result: at commit, the station''s result_ps votes must '
'add up to total_valid (23514, naming the station and both numbers). Runs with a generic plan, so a '
'freshly loaded election (no statistics yet) is read by its key, not scanned.';

drop trigger if exists chk_polling_station_result_votes_add_up on public.polling_station_result;
create constraint trigger chk_polling_station_result_votes_add_up
after insert or update on public.polling_station_result
deferrable initially deferred
for each row execute function public.polling_station_result_check_sum();

-- A change to result_ps re-queues the check of each station it touched: for an update, the station
-- a row left as well as the one it moved to (any column may change: station, election, votes). No
-- station is skipped for having been written earlier in the transaction: its queued check may have
-- run already (SET CONSTRAINTS ... IMMEDIATE, as the Form 20 loader does after each file).
create or replace function public.result_ps_touch_stations()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if tg_op = 'UPDATE' then
        update public.polling_station_result as r
        set total_valid = r.total_valid
        where (r.election_id, r.polling_station_id) in (
            select c.election_id, c.polling_station_id from changed as c
            union
            select o.election_id, o.polling_station_id from changed_old as o
        );
    else
        update public.polling_station_result as r
        set total_valid = r.total_valid
        where (r.election_id, r.polling_station_id) in (
            select c.election_id, c.polling_station_id from changed as c
        );
    end if;
    return null;
end
$$;

comment on function public.result_ps_touch_stations() is
'Statement trigger on result_ps: re-queues the deferred votes-add-up check of every station whose '
'candidate rows the statement inserted, updated (the stations rows left and the ones they moved to) or '
'deleted (a no-op update of polling_station_result).';

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

drop trigger if exists result_ps_touch_stations_insert on public.result_ps;
create trigger result_ps_touch_stations_insert
after insert on public.result_ps
referencing new table as changed
for each statement execute function public.result_ps_touch_stations();

drop trigger if exists result_ps_touch_stations_update on public.result_ps;
create trigger result_ps_touch_stations_update
after update on public.result_ps
referencing old table as changed_old new table as changed
for each statement execute function public.result_ps_touch_stations();

drop trigger if exists result_ps_touch_stations_delete on public.result_ps;
create trigger result_ps_touch_stations_delete
after delete on public.result_ps
referencing old table as changed
for each statement execute function public.result_ps_touch_stations();

drop trigger if exists result_ps_check_truncate on public.result_ps;
create trigger result_ps_check_truncate
after truncate on public.result_ps
for each statement execute function public.result_ps_check_truncate();

revoke execute on function public.polling_station_result_check_sum() from public;

revoke execute on function public.result_ps_touch_stations() from public;

revoke execute on function public.result_ps_check_truncate() from public;
