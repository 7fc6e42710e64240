-- Deploy lokdarpan:code/electoral/form20_merge/stations to pg
-- requires: electoral/form20_merge
-- requires: code/common/helpers

-- The Form 20 importer (lokdarpan_db/importers/electoral/load_form20.py) parses a file and COPYs
-- its stations into the staging table form20_stage() makes; these set-based functions do the
-- rest in the importer's one transaction: check the staged rows (each problem with its file line),
-- upsert the polling stations, count what a re-import would remove, upsert the station results
-- and the candidates' rows. Each returns what it inserted, updated and left unchanged.
--
-- Security invoker throughout: they write only what the caller may write (lokdarpan_admin
-- imports); analysts and readers get no execute.

create or replace function public.form20_stage()
returns void
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning  -- no "does not exist, skipping" notice on the first load
as $$
begin
    -- Made once per session and emptied at each commit (ON COMMIT DELETE ROWS empties a temporary
    -- table in place): a Form 20 batch loads hundreds of files on one connection, and making the
    -- tables again for each file cost more than staging its rows.
    if to_regclass('pg_temp.form20_station') is not null and to_regclass('pg_temp.form20_candidate') is not null then
        -- An earlier file of the same transaction (a batch): emptied by TRUNCATE, not DELETE, which
        -- would leave its rows dead in the table until the batch ends, for every later file's
        -- scans and ANALYZE to read again (quadratic over a batch of hundreds of files).
        truncate pg_temp.form20_station, pg_temp.form20_candidate;
        return;
    end if;
    drop table if exists pg_temp.form20_station;
    drop table if exists pg_temp.form20_candidate;
    create temporary table form20_station (
        line integer not null,
        serial text not null,
        serial_db text not null,
        occurrence integer not null,
        first_line integer not null,
        total_valid integer not null,
        rejected integer not null,
        nota integer,
        total integer not null,
        tendered integer,
        votes integer [] not null,
        ps_id text,
        station_id integer
    ) on commit delete rows;
    create temporary table form20_candidate (
        idx integer primary key,
        candidate text not null,
        party_id integer not null
    ) on commit delete rows;
end
$$;

comment on function public.form20_stage() is
'Makes (once per session) or empties the Form 20 importer''s staging tables, emptied at each commit: '
'pg_temp.form20_station (one row per station as the file gives it: line, serial, serial_db, '
'occurrence, first_line, total_valid without NOTA, rejected, nota, total, tendered, votes[] in '
'candidate column order) and pg_temp.form20_candidate (idx = 1-based column, candidate, party_id).';

create or replace function public.form20_station_problems(p_limit integer default 1000)
returns table (line integer, problem text, found bigint)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    -- plpgsql, not sql: the staging table exists only in the importer's transaction.
    return query
    with problem as (
        select
            s.line,
            'polling station ' || s.serial || ': '
            || concat_ws(
                '; ',
                case when v.counted <> s.total_valid then
                    'the candidates'' votes add up to ' || v.counted || ', total valid (without NOTA) is '
                    || s.total_valid
                end,
                case when s.total <> s.total_valid + s.rejected + coalesce(s.nota, 0) then
                    'total valid ' || s.total_valid || ' + rejected ' || s.rejected || ' + NOTA '
                    || coalesce(s.nota, 0) || ' = ' || s.total_valid + s.rejected + coalesce(s.nota, 0)
                    || ', Total is ' || s.total
                end
            ) as problem
        from pg_temp.form20_station as s
        cross join lateral (select coalesce(sum(x), 0) as counted from unnest(s.votes) as x) as v
        where v.counted <> s.total_valid or s.total <> s.total_valid + s.rejected + coalesce(s.nota, 0)
        union all
        -- A repeat's serial (232 -> 232Z) must be a serial the registry accepts and not one the
        -- file has.
        select
            s.line,
            'polling station ' || s.serial || ' appears ' || s.occurrence || ' times: cannot keep it apart'
        from pg_temp.form20_station as s
        where
            s.occurrence > 1
            and (
                s.serial_db !~ '^[0-9]{1,4}( ?[A-Za-z]{1,2})?$'
                or exists (select from pg_temp.form20_station as t where t.serial = s.serial_db)
            )
    )

    select p.line, p.problem, count(*) over () as found
    from problem as p
    order by p.line
    limit greatest(p_limit, 0);
end
$$;

comment on function public.form20_station_problems(integer) is
'The staged Form 20 stations'' problems, in line order (at most p_limit; found counts them all): a '
'station whose candidates do not add up to total valid or whose total valid + rejected + NOTA is '
'not its Total, and a repeated serial that cannot be kept apart. The importer refuses the file '
'when there is any, naming each line.';

create or replace function public.form20_repeats(p_limit integer default 1000)
returns table (line integer, serial text, first_line integer, ps_id text, serial_db text, found bigint)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    return query
    select s.line, s.serial, s.first_line, s.ps_id, s.serial_db, count(*) over () as found
    from pg_temp.form20_station as s
    where s.occurrence > 1
    order by s.line
    limit greatest(p_limit, 0);
end
$$;

comment on function public.form20_repeats(integer) is
'The staged Form 20 rows whose serial the file has before with other votes, in line order (at most '
'p_limit; found counts them all), with the ps_id and serial form20_merge_stations gave them: the '
'importer reports each as a separate station.';

create or replace function public.form20_merge_stations(
    p_file text, p_state_code text, p_ac_no integer, p_ac_id integer, p_delimitation integer
)
returns table (inserted bigint, updated bigint, unchanged bigint)
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    offered bigint;
begin
    if p_file is null or length(p_file) not between 1 and 255 then
        raise exception 'form20_merge_stations: file name % must be 1-255 characters',
            public.input_excerpt(p_file)
            using errcode = 'invalid_parameter_value';
    end if;
    if p_state_code is null or p_state_code !~ '^[SU][0-9]{2}$' then
        raise exception 'form20_merge_stations: state code % is not an ECI state code like S06',
            public.input_excerpt(p_state_code)
            using errcode = 'invalid_parameter_value';
    end if;
    if p_ac_no is null or p_ac_no not between 1 and 999 then
        raise exception 'form20_merge_stations: AC number % is not between 1 and 999', coalesce(p_ac_no::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    -- ps_id '<state>-AC<nnn>-<serial>', '/2' for the second row of a repeated serial.
    update pg_temp.form20_station as s
    set ps_id = p_state_code || '-AC' || lpad(p_ac_no::text, 3, '0') || '-' || s.serial
        || case when s.occurrence > 1 then '/' || s.occurrence else '' end;
    get diagnostics offered = row_count;
    with w as (
        insert into public.polling_station as p (ps_id, delimitation, constituency_id, serial, source_meta)
        select
            s.ps_id,
            p_delimitation,
            p_ac_id,
            s.serial_db,
            jsonb_build_object('file', p_file, 'line', s.line)
            || case
                when s.occurrence > 1 then jsonb_build_object(
                    'serial_as_typed', s.serial, 'occurrence', s.occurrence,
                    'note', 'the serial appears more than once in the file'
                )
                else '{}'::jsonb
            end
        from pg_temp.form20_station as s
        order by s.line
        on conflict (delimitation, ps_id) do update set
            constituency_id = excluded.constituency_id, serial = excluded.serial,
            source_meta = excluded.source_meta
        where
            (p.constituency_id, p.serial, p.source_meta)
            is distinct from (excluded.constituency_id, excluded.serial, excluded.source_meta)
        returning (xmax = 0) as fresh
    )

    select count(*) filter (where w.fresh), count(*) filter (where not w.fresh)
    into inserted, updated
    from w;
    -- One probe per staged station: a join planned a hash of every station of the delimitation (a
    -- scan of polling_station per file), analyzed or not. The probe names both unique keys in full
    -- (the upsert above gave each staged station's row this AC and serial_db): a plan made while
    -- polling_station was nearly empty, and kept for the session, otherwise probed (delimitation,
    -- constituency_id, serial) by delimitation alone and read every station for each one.
    update pg_temp.form20_station as s
    set station_id = (
        select p.id from public.polling_station as p
        where
            p.delimitation = p_delimitation and p.ps_id = s.ps_id
            and p.constituency_id = p_ac_id and p.serial = s.serial_db
    );
    -- Analyzed once station_id is known (not before: with it counted as all null, the plans of
    -- form20_merge_results expect no match and scan result_ps where they should probe it; nothing
    -- above joins the staged rows, so an ANALYZE before the upsert only cost CPU). The candidates
    -- too (the importer has staged them by now): unanalyzed, their few rows were taken for 1,200
    -- and the result_ps insert went candidate by candidate instead of station by station.
    analyze pg_temp.form20_station, pg_temp.form20_candidate;
    unchanged := offered - inserted - updated;
    return next;
end
$$;

comment on function public.form20_merge_stations(text, text, integer, integer, integer) is
'Upserts the staged Form 20 stations into polling_station (ps_id <state>-AC<nnn>-<serial>, /2 for a '
'repeated serial; source_meta names the file and line) for AC p_ac_id, fills form20_station.ps_id '
'and station_id, and returns the rows inserted, updated and unchanged.';

revoke all on function public.form20_stage() from public;
revoke all on function public.form20_station_problems(integer) from public;
revoke all on function public.form20_repeats(integer) from public;
revoke all on function public.form20_merge_stations(text, text, integer, integer, integer) from public;
grant execute on function public.form20_stage() to lokdarpan_admin;
grant execute on function public.form20_station_problems(integer) to lokdarpan_admin;
grant execute on function public.form20_repeats(integer) to lokdarpan_admin;
grant execute on function public.form20_merge_stations(text, text, integer, integer, integer) to lokdarpan_admin;
