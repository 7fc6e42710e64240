-- Deploy lokdarpan:code/electoral/form20_merge/results to pg
-- requires: code/electoral/form20_merge/stations
-- requires: code/common/helpers

-- The result side of the Form 20 merge (see code/electoral/form20_merge/stations for the staging
-- and the stations): what a file would remove, and the station results and candidate rows.

create or replace function public.form20_ac_loaded(p_election_id integer, p_ac_id integer, p_delimitation integer)
returns boolean
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    -- One probe of polling_station_result's key per station of the AC (OFFSET 0 keeps each a
    -- probe: no plan hashes the election's station results), stopping at the first found.
    select exists (
        select
        from public.polling_station as p
        cross join lateral (
            select 1 as hit from public.polling_station_result as r
            where r.election_id = p_election_id and r.polling_station_id = p.id
            offset 0
        ) as r
        where p.delimitation = p_delimitation and p.constituency_id = p_ac_id
    )
$$;

comment on function public.form20_ac_loaded(integer, integer, integer) is
'Whether election p_election_id has a station result at any polling station of AC p_ac_id '
'(delimitation p_delimitation): false for a first load of the AC, which then neither removes nor '
'updates anything.';

create or replace function public.form20_removals(p_election_id integer, p_ac_id integer, p_delimitation integer)
returns table (station_results bigint, results bigint, votes bigint)
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
-- Generic plans: for an election the statistics do not know yet, a custom plan takes
-- "election_id = <new>" for one row and probed an index led by election_id (since dropped), reading
-- the election's every row for each station; a generic plan takes an election for its share of
-- result_ps and probes result_ps_candidate_key by (election, station). The lookups are lateral
-- probes (OFFSET 0), so no generic plan hashes a whole election either.
set plan_cache_mode = force_generic_plan
as $$
begin
    -- A first load of the AC in this election (no station result at any of its stations; the
    -- file's stations are the AC's, and result_ps rows need a station result) removes nothing:
    -- answered from the AC's station keys alone, before any probe of result_ps.
    if not public.form20_ac_loaded(p_election_id, p_ac_id, p_delimitation) then
        return query select 0::bigint, 0::bigint, 0::bigint;
        return;
    end if;
    return query
    -- Every lookup in the big tables is a lateral probe of a key (OFFSET 0 keeps it one: the
    -- planner cannot turn it into a join that hashes the election's rows). The ORDER BY is
    -- result_ps_candidate_key's, the key each probe reads.
    with gone_station as (
        select p.id as polling_station_id
        from public.polling_station as p
        cross join lateral (
            select 1 as hit from public.polling_station_result as r
            where r.election_id = p_election_id and r.polling_station_id = p.id
            offset 0
        ) as r
        where
            p.delimitation = p_delimitation and p.constituency_id = p_ac_id
            and not exists (select from pg_temp.form20_station as s where s.station_id = p.id)
    ),

    gone_row as (
        select v.votes from gone_station as g
        cross join lateral (
            select r.votes from public.result_ps as r
            where r.election_id = p_election_id and r.polling_station_id = g.polling_station_id
            order by r.election_id, r.polling_station_id, r.candidate
            offset 0
        ) as v
        union all
        select v.votes from pg_temp.form20_station as s
        cross join lateral (
            select r.votes, r.candidate from public.result_ps as r
            where r.election_id = p_election_id and r.polling_station_id = s.station_id
            order by r.election_id, r.polling_station_id, r.candidate
            offset 0
        ) as v
        where not exists (select from pg_temp.form20_candidate as c where c.candidate = v.candidate)
    )

    select
        (select count(*) from gone_station),
        (select count(*) from gone_row),
        (select coalesce(sum(g.votes), 0)::bigint from gone_row as g);
end
$$;

comment on function public.form20_removals(integer, integer, integer) is
'What loading the staged Form 20 file would remove from election p_election_id: the results at AC '
'p_ac_id''s stations the file no longer has, and candidate rows of its stations it no longer has '
'(counts and votes). The importer refuses such an import unless --replace.';

create or replace function public.form20_merge_results(
    p_file text, p_election_id integer, p_ac_id integer, p_delimitation integer, p_replace boolean
)
returns table (
    station_results_inserted bigint, station_results_updated bigint, station_results_unchanged bigint,
    station_results_removed bigint, results_inserted bigint, results_updated bigint,
    results_unchanged bigint, results_removed bigint
)
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
-- Generic plans: for an election the statistics do not know yet, a custom plan takes
-- "election_id = <new>" for one row and probed an index led by election_id (since dropped), reading
-- the election's every row for each station; a generic plan takes an election for its share of
-- result_ps and probes result_ps_candidate_key by (election, station). The lookups are lateral
-- probes (OFFSET 0), so no generic plan hashes a whole election either.
set plan_cache_mode = force_generic_plan
as $$
declare
    stations bigint;
    loaded timestamptz := public.lokdarpan_now();  -- result_ps.created_at's default, once
    gone record;
    fresh boolean;
    gone_ids integer [];
    removed_rows bigint;
begin
    if p_file is null or length(p_file) not between 1 and 255 then
        raise exception 'form20_merge_results: file name % must be 1-255 characters',
            public.input_excerpt(p_file)
            using errcode = 'invalid_parameter_value';
    end if;
    if exists (select from pg_temp.form20_station as s where s.station_id is null) then
        raise exception 'form20_merge_results: staged stations without a polling station: run form20_merge_stations first'
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    if not coalesce(p_replace, false) then
        select * into gone from public.form20_removals(p_election_id, p_ac_id, p_delimitation);
        if gone.station_results > 0 or gone.results > 0 then
            raise exception 'form20_merge_results: % would remove % station results and % candidate rows (% votes) of election %',
                quote_literal(p_file), gone.station_results, gone.results, gone.votes, p_election_id
                using errcode = 'restrict_violation',
                hint = 'Check that the file is complete, or replace to remove them.';
        end if;
    end if;
    select count(*) into stations from pg_temp.form20_station;
    -- A first load of the AC in this election: none of its stations (the file's are among them)
    -- has a station result, so none has candidate rows (result_ps needs one) and nothing goes.
    fresh := not public.form20_ac_loaded(p_election_id, p_ac_id, p_delimitation);

    -- The AC's station results the file no longer has, and their candidate rows.
    if not fresh then
        select array_agg(p.id) into gone_ids
        from public.polling_station as p
        cross join lateral (
            select 1 as hit from public.polling_station_result as r
            where r.election_id = p_election_id and r.polling_station_id = p.id
            offset 0
        ) as r
        where
            p.delimitation = p_delimitation and p.constituency_id = p_ac_id
            and not exists (select from pg_temp.form20_station as s where s.station_id = p.id);
    end if;
    station_results_removed := coalesce(cardinality(gone_ids), 0);
    results_removed := 0;
    if gone_ids is not null then
        select count(*) into results_removed from public.result_ps as r
        where r.election_id = p_election_id and r.polling_station_id = any(gone_ids);
        delete from public.polling_station_result as r  -- the rows go with them (the cascade)
        where r.election_id = p_election_id and r.polling_station_id = any(gone_ids);
    end if;

    if fresh then
        -- A first load of the AC: none of its stations has a station result, so a plain insert (no
        -- conflict arbitration, about a third of the CPU of a station's row).
        insert into public.polling_station_result (
            election_id, polling_station_id, total_valid, rejected, nota, total_polled, tendered, source_meta
        )
        select
            p_election_id, s.station_id, s.total_valid, s.rejected, s.nota, s.total, s.tendered,
            jsonb_build_object('file', p_file, 'line', s.line)
        from pg_temp.form20_station as s;
        get diagnostics station_results_inserted = row_count;
        station_results_updated := 0;
    else
        with w as (
            insert into public.polling_station_result as r (
                election_id, polling_station_id, total_valid, rejected, nota, total_polled, tendered, source_meta
            )
            select
                p_election_id, s.station_id, s.total_valid, s.rejected, s.nota, s.total, s.tendered,
                jsonb_build_object('file', p_file, 'line', s.line)
            from pg_temp.form20_station as s
            order by s.line
            on conflict (election_id, polling_station_id) do update set
                total_valid = excluded.total_valid, rejected = excluded.rejected, nota = excluded.nota,
                total_polled = excluded.total_polled, tendered = excluded.tendered,
                source_meta = excluded.source_meta
            where
                (r.total_valid, r.rejected, r.nota, r.total_polled, r.tendered, r.source_meta)
                is distinct from (
                    excluded.total_valid, excluded.rejected, excluded.nota, excluded.total_polled,
                    excluded.tendered, excluded.source_meta
                )
            returning (xmax = 0) as fresh
        )

        select count(*) filter (where w.fresh), count(*) filter (where not w.fresh)
        into station_results_inserted, station_results_updated
        from w;
    end if;
    station_results_unchanged := stations - station_results_inserted - station_results_updated;

    if fresh then
        -- A first load of these stations: plain inserts, no conflict to arbitrate. No ORDER BY:
        -- sorting the file's rows by (line, column) cost a quarter of the CPU of inserting a row
        -- (docs/electoral.md). With both staging tables analyzed (form20_merge_stations), the plan
        -- reads the stations in the order COPY wrote them and the few candidates (materialized)
        -- inside each, so a station's rows still land together; nothing else depends on the order.
        insert into public.result_ps (election_id, polling_station_id, candidate, party_id, votes, created_at)
        select p_election_id, s.station_id, c.candidate, c.party_id, c.votes, loaded
        from pg_temp.form20_station as s
        cross join lateral (
            select c.candidate, c.party_id, s.votes[c.idx] as votes from pg_temp.form20_candidate as c
        ) as c;
        get diagnostics results_inserted = row_count;
        results_updated := 0;
    else
        -- Candidate rows of the file's stations that the file no longer has.
        delete from public.result_ps as r
        using pg_temp.form20_station as s
        where
            r.election_id = p_election_id and r.polling_station_id = s.station_id
            and not exists (select from pg_temp.form20_candidate as c where c.candidate = r.candidate);
        get diagnostics removed_rows = row_count;
        results_removed := results_removed + removed_rows;
        update public.result_ps as r
        set party_id = c.party_id, votes = s.votes[c.idx]
        from pg_temp.form20_station as s
        cross join pg_temp.form20_candidate as c
        where
            r.election_id = p_election_id and r.polling_station_id = s.station_id and r.candidate = c.candidate
            and (r.party_id, r.votes) is distinct from (c.party_id, s.votes[c.idx]);
        get diagnostics results_updated = row_count;
        insert into public.result_ps (election_id, polling_station_id, candidate, party_id, votes, created_at)
        select p_election_id, s.station_id, c.candidate, c.party_id, s.votes[c.idx], loaded
        from pg_temp.form20_station as s
        cross join pg_temp.form20_candidate as c
        where not exists (
            select from public.result_ps as r
            where r.election_id = p_election_id and r.polling_station_id = s.station_id and r.candidate = c.candidate
        )
        order by s.line, c.idx;
        get diagnostics results_inserted = row_count;
    end if;
    results_unchanged := stations * (select count(*) from pg_temp.form20_candidate)
        - results_inserted - results_updated;
    return next;
end
$$;

comment on function public.form20_merge_results(text, integer, integer, integer, boolean) is
'Loads the staged Form 20 file into election p_election_id: removes the AC''s station results and '
'the stations'' candidate rows the file no longer has (refused with 23001 unless p_replace), '
'upserts polling_station_result and result_ps (plain inserts when the stations have no rows yet) '
'and returns the rows inserted, updated, unchanged and removed of each. The votes-add-up check '
'stays the deferred trigger''s, at commit.';

revoke all on function public.form20_ac_loaded(integer, integer, integer) from public;
revoke all on function public.form20_removals(integer, integer, integer) from public;
revoke all on function public.form20_merge_results(text, integer, integer, integer, boolean) from public;
grant execute on function public.form20_ac_loaded(integer, integer, integer) to lokdarpan_admin;
grant execute on function public.form20_removals(integer, integer, integer) to lokdarpan_admin;
grant execute on function public.form20_merge_results(text, integer, integer, integer, boolean) to lokdarpan_admin;
