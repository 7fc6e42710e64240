-- Deploy lokdarpan:code/electoral/results_merge/merge to pg
-- requires: electoral/results
-- requires: electoral/results_merge
-- requires: code/electoral/results_merge/staging
-- requires: code/electoral/results_merge/constituencies
-- requires: code/electoral/results_merge/parties
-- requires: code/electoral/results/shares
-- requires: code/common/helpers
-- requires: code/electoral/constituencies/names
-- constituency_result_merge(): a staged results file merged set-based (LDI01 refuses a bad file, LDI02
-- a load that would remove rows without p_allow_removal); election_ensure(): the election row it loads into.

-- The election row of an import, found or made: constituency_result_merge() and the Form 20
-- importer (load_results.ensure_election()) both call it.
create or replace function public.election_ensure(
    p_election_type text, p_year integer, p_state_code text, p_round text, p_source text
)
returns table (election_id integer, created boolean)
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_election_type is null or p_election_type not in ('GHMC', 'ASSEMBLY', 'LOKSABHA') then
        raise exception 'election_ensure: election type must be GHMC, ASSEMBLY or LOKSABHA, got %',
            public.input_excerpt(p_election_type)
            using errcode = '22023';
    end if;
    if p_year is null or p_year not between 1951 and 2100 then
        raise exception 'election_ensure: year % is not an election year (1951-2100)', coalesce(p_year::text, 'null')
            using errcode = '22023';
    end if;
    if p_state_code is not null and p_state_code !~ '^[SU][0-9]{2}$' then
        raise exception 'election_ensure: state code must look like S29 (or be null for a Lok Sabha election), got %',
            public.input_excerpt(p_state_code)
            using errcode = '22023';
    end if;
    if p_round is not null and (length(p_round) > 32 or p_round <> btrim(p_round) or p_round = '') then
        raise exception 'election_ensure: round % must be a trimmed, non-empty name of at most 32 characters',
            public.input_excerpt(p_round)
            using errcode = '22023';
    end if;
    if length(p_source) > 500 then
        raise exception 'election_ensure: the source is % characters long; at most 500', length(p_source)
            using errcode = '22023';
    end if;

    return query
    insert into public.election as e (type, year, state_code, round, source)
    values (p_election_type, p_year, p_state_code, p_round, p_source)
    on conflict (type, year, coalesce(state_code, ''), coalesce(round, ''))
    do update set source = coalesce(e.source, excluded.source)
    returning e.id, (e.xmax = 0);
end
$$;

comment on function public.election_ensure(text, integer, text, text, text) is
'The election (type, year, state, round) an import loads into: its id, and whether this call created it. '
'A row already there keeps its source unless it had none. The state is null only for a Lok Sabha election '
'(the check constraint says so: 23514). 22023 for a bad type, year, state code or round, or a source over '
'500 characters.';

revoke execute on function public.election_ensure(text, integer, text, text, text) from public;
grant execute on function public.election_ensure(text, integer, text, text, text) to lokdarpan_admin;

create or replace function public.constituency_result_merge(
    p_election_type text,
    p_year integer,
    p_state_code text,
    p_round text,
    p_kind text,
    p_match_by text,
    p_source jsonb,
    p_allow_removal boolean default false,
    p_min_similarity real default 0.5,
    p_max_listed integer default 1000
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
set work_mem = '64MB'
as $$
declare
    v_election integer;
    v_created boolean;
    v_counts record;
    v_gone record;
    v_shares record;
    v_report jsonb;
begin
    if p_election_type is null or p_election_type not in ('GHMC', 'ASSEMBLY', 'LOKSABHA') then
        raise exception 'constituency_result_merge: election type must be GHMC, ASSEMBLY or LOKSABHA, got %',
            public.input_excerpt(p_election_type)
            using errcode = '22023';
    end if;
    if p_year is null or p_year not between 1951 and 2100 then
        raise exception 'constituency_result_merge: year % is not an election year (1951-2100)',
            coalesce(p_year::text, 'null')
            using errcode = '22023';
    end if;
    -- The state code and the kind (AC or PC) in one call: a bad kind is named before a bad round.
    perform public.electoral_check_scope('constituency_result_merge', p_state_code, p_kind);
    if p_round is not null and (length(p_round) > 32 or p_round <> btrim(p_round) or p_round = '') then
        raise exception 'constituency_result_merge: round % must be a trimmed, non-empty name of at most 32 characters',
            public.input_excerpt(p_round)
            using errcode = '22023';
    end if;
    if p_match_by is null or p_match_by not in ('number', 'name') then
        raise exception 'constituency_result_merge: match_by must be number or name, got %',
            public.input_excerpt(p_match_by)
            using errcode = '22023';
    end if;
    if p_source is null or jsonb_typeof(p_source) <> 'object' or length(p_source::text) > 2000 then
        raise exception 'constituency_result_merge: source must be a JSON object of at most 2000 characters, got %',
            public.input_excerpt(p_source::text)
            using errcode = '22023';
    end if;
    if p_min_similarity is null or p_min_similarity = 'NaN'::real or p_min_similarity not between 0.3 and 1 then
        raise exception 'constituency_result_merge: minimum similarity must be in [0.3, 1], got %',
            coalesce(p_min_similarity::text, 'null')
            using errcode = '22023';
    end if;
    if p_max_listed is null or p_max_listed not between 1 and 100000 then
        raise exception 'constituency_result_merge: max_listed must be in [1, 100000], got %',
            coalesce(p_max_listed::text, 'null')
            using errcode = '22023';
    end if;
    if pg_catalog.to_regclass('pg_temp.constituency_result_stage') is null then
        raise exception 'constituency_result_merge: no staged rows: call constituency_result_stage() and COPY the file into pg_temp.constituency_result_stage first'
            using errcode = '55000';
    end if;

    lock table public.constituency_result in share row exclusive mode;

    drop table if exists pg_temp.crm_problem;
    create temporary table crm_problem (line integer, message text not null) on commit drop;

    -- 1. Constituencies: one row per constituency as the file names it.
    drop table if exists pg_temp.crm_constituency;
    create temporary table crm_constituency (
        file_no integer,
        file_name text not null,
        line integer not null,
        file_reserved text,
        constituency_id integer,
        number integer,
        registry_name text,
        reserved_for text,
        how text,
        similarity real,
        candidates jsonb
    ) on commit drop;

    if p_match_by = 'number' then
        perform public.constituency_result_match_by_number(p_state_code, p_kind);
    else
        perform public.constituency_result_match_by_name(p_state_code, p_kind, p_min_similarity);
    end if;

    -- 2. Parties: any registered spelling, then looser rules that must point at one party.
    perform public.constituency_result_match_parties();

    perform public.import_refuse_problems('constituency_result_merge', p_max_listed);

    -- 3. The rows, with their constituency; a candidate twice in one constituency is refused.
    drop table if exists pg_temp.crm_row;
    if p_match_by = 'number' then
        create temporary table crm_row on commit drop as
        select c.constituency_id, c.number, s.*
        from pg_temp.constituency_result_stage as s
        inner join pg_temp.crm_constituency as c on s.constituency_no = c.file_no;
    else
        create temporary table crm_row on commit drop as
        select c.constituency_id, c.number, s.*
        from pg_temp.constituency_result_stage as s
        inner join pg_temp.crm_constituency as c on s.constituency_name = c.file_name;
    end if;

    insert into pg_temp.crm_problem (line, message)
    select
        d.line,
        format(
            'duplicate candidate %s in constituency %s (first on line %s)',
            quote_literal(left(d.candidate, 60)), d.number, d.first_line
        )
    from (
        select r.line, r.candidate, r.number, min(r.line) over (partition by r.constituency_id, lower(r.candidate)) as first_line
        from pg_temp.crm_row as r
    ) as d
    where d.line > d.first_line;

    perform public.import_refuse_problems('constituency_result_merge', p_max_listed);

    -- 4. The election; parties no spelling reaches are new parties.
    select e.election_id, e.created into v_election, v_created
    from public.election_ensure(
        p_election_type, p_year, case when p_election_type = 'LOKSABHA' then null else p_state_code end, p_round,
        left(p_source ->> 'file', 500)
    ) as e;

    with created as (
        insert into public.party (name, kind)
        select distinct on (p.norm) left(p.party, 200), 'party'
        from pg_temp.crm_party as p
        where p.party_id is null
        order by p.norm, p.line
        returning party_id, name
    )

    update pg_temp.crm_party as p set party_id = c.party_id, how = 'created'
    from created as c
    where public.party_normalise(c.name) = p.norm;

    -- 5. Rows of the file's constituencies that it no longer has go, only when allowed.
    select count(*) as removed, coalesce(sum(r.total_votes), 0) as votes, count(distinct r.constituency_id) as constituencies
    into v_gone
    from public.constituency_result as r
    where r.election_id = v_election
        and r.constituency_id in (select c.constituency_id from pg_temp.crm_constituency as c)
        and not exists (
            select from pg_temp.crm_row as s
            where s.constituency_id = r.constituency_id and s.candidate = r.candidate
        );
    if v_gone.removed > 0 and not p_allow_removal then
        raise exception 'constituency_result_merge: the file would remove % candidate rows (% votes) of % constituencies that earlier imports loaded',
            v_gone.removed, v_gone.votes, v_gone.constituencies
            using errcode = 'LDI02',
            detail = jsonb_build_object(
                'removed', v_gone.removed, 'votes_removed', v_gone.votes, 'constituencies', v_gone.constituencies
            )::text;
    end if;
    delete from public.constituency_result as r
    where r.election_id = v_election
        and r.constituency_id in (select c.constituency_id from pg_temp.crm_constituency as c)
        and not exists (
            select from pg_temp.crm_row as s
            where s.constituency_id = r.constituency_id and s.candidate = r.candidate
        );

    -- 6. The upsert; a row whose every value is the same is not written.
    with w as (
        insert into public.constituency_result as r (
            election_id, constituency_id, candidate, party_id, party_as_published,
            evm_votes, postal_votes, total_votes, published_percent, source_meta
        )
        select
            v_election, s.constituency_id, s.candidate, p.party_id, s.party,
            s.evm_votes, s.postal_votes, s.total_votes, s.published_percent,
            p_source || jsonb_build_object('line', s.line)
        from pg_temp.crm_row as s
        inner join pg_temp.crm_party as p on s.party = p.party
        on conflict (election_id, constituency_id, candidate) do update set
            party_id = excluded.party_id, party_as_published = excluded.party_as_published,
            evm_votes = excluded.evm_votes, postal_votes = excluded.postal_votes,
            total_votes = excluded.total_votes, published_percent = excluded.published_percent,
            source_meta = excluded.source_meta
        where (r.party_id, r.party_as_published, r.evm_votes, r.postal_votes, r.total_votes,
               r.published_percent, r.source_meta)
            is distinct from
            (excluded.party_id, excluded.party_as_published, excluded.evm_votes, excluded.postal_votes,
             excluded.total_votes, excluded.published_percent, excluded.source_meta)
        returning (r.xmax = 0) as inserted
    )

    select
        count(*) filter (where w.inserted) as inserted,
        count(*) filter (where not w.inserted) as updated,
        (select count(*) from pg_temp.crm_row) as offered
    into v_counts
    from w;

    -- 7. The computed shares against the published percents.
    with checked as (
        select
            (r.source_meta ->> 'line')::integer as line, c.number, v.candidate::text as candidate, v.vote_share,
            v.published_percent
        from public.constituency_result_share as v
        inner join public.constituency_result as r on v.id = r.id
        inner join public.constituency as c on v.constituency_id = c.constituency_id
        where v.election_id = v_election
            and v.constituency_id in (select s.constituency_id from pg_temp.crm_constituency as s)
            and v.published_percent is not null
    )

    select
        (select count(*) from checked) as checked,
        (select count(*) from checked as k where k.vote_share <> k.published_percent) as differ,
        coalesce((
            select jsonb_agg(to_jsonb(d) order by d.line)
            from (
                select k.line, k.number, k.candidate, k.vote_share, k.published_percent
                from checked as k
                where k.vote_share <> k.published_percent
                order by k.line
                limit p_max_listed
            ) as d
        ), '[]'::jsonb) as listed
    into v_shares;

    v_report := jsonb_build_object(
        'election_id', v_election,
        'election_created', v_created,
        'rows', v_counts.offered,
        'constituencies', (select count(distinct c.constituency_id) from pg_temp.crm_constituency as c),
        'inserted', v_counts.inserted,
        'updated', v_counts.updated,
        'unchanged', v_counts.offered - v_counts.inserted - v_counts.updated,
        'removed', v_gone.removed,
        'votes_removed', v_gone.votes,
        'constituencies_removed_from', v_gone.constituencies,
        'parties_resolved', (select count(*) from pg_temp.crm_party as p where p.how <> 'created'),
        'parties_created', coalesce((
            select jsonb_agg(p.party order by p.party) from pg_temp.crm_party as p where p.how = 'created'
        ), '[]'::jsonb),
        'constituency_matches', coalesce((
            select jsonb_agg(
                jsonb_build_object(
                    'line', c.line, 'file_name', c.file_name, 'number', c.number, 'registry_name', c.registry_name,
                    'how', c.how, 'similarity', round(c.similarity::numeric, 2),
                    'file_reserved', c.file_reserved, 'reserved_for', c.reserved_for
                ) order by c.line
            )
            from pg_temp.crm_constituency as c
            where c.how not in ('number', 'exact')
                or (c.file_reserved is not null and c.file_reserved is distinct from c.reserved_for)
        ), '[]'::jsonb),
        'party_matches', coalesce((
            select jsonb_agg(
                jsonb_build_object(
                    'line', p.line, 'party', p.party, 'registry_name', r.name, 'how', p.how,
                    'similarity', round(p.similarity::numeric, 2)
                ) order by p.line
            )
            from pg_temp.crm_party as p
            inner join public.party as r on p.party_id = r.party_id
            where p.how in ('normalised', 'fuzzy')
        ), '[]'::jsonb),
        'shares_checked', v_shares.checked,
        'share_differences', v_shares.listed,
        'share_differences_more', v_shares.differ - jsonb_array_length(v_shares.listed)
    );
    return v_report;
end
$$;

comment on function public.constituency_result_merge(text, integer, text, text, text, text, jsonb, boolean, real, integer) is
'Merges the rows staged in pg_temp.constituency_result_stage (constituency_result_stage()) into '
'constituency_result for one election (type, year, state, round; made when missing, a Lok Sabha election '
'for the whole country) and returns a JSON report: election_id, election_created, rows, constituencies, '
'inserted, updated, unchanged, removed, votes_removed, parties_resolved, parties_created, '
'constituency_matches and party_matches (every match that was not exact: normalised, alias, trigram, a name '
'or reservation that differs), shares_checked and share_differences (computed vs published percent). '
'Constituencies (kind AC or PC of p_state_code) resolve by number, or with p_match_by name by '
'constituency_name_key() or a constituency_alias, else by pg_trgm similarity at least p_min_similarity '
'(default 0.5) and 0.1 above the next constituency. Parties resolve by any alias, the same letters without '
'spaces, "Name (ABBR)" naming one party, or party_words_similarity() at least 0.4 with one party only; '
'a spelling no rule reaches is a new party. Refused, nothing written: an unknown, ambiguous or weak '
'constituency, two names of one constituency, a weak (0.25-0.4) or ambiguous party, a candidate twice in a '
'constituency (LDI01, problems as JSON [{line, message}] in DETAIL, at most p_max_listed); rows of the file''s '
'constituencies it no longer has are deleted only with p_allow_removal (else LDI02, counts in DETAIL). '
'Idempotent: a second merge of the same rows reports them unchanged. 22023 for a bad argument, 55000 when '
'nothing is staged.';

revoke execute on function public.constituency_result_merge(
    text, integer, text, text, text, text, jsonb, boolean, real, integer
) from public;
grant execute on function public.constituency_result_merge(
    text, integer, text, text, text, text, jsonb, boolean, real, integer
) to lokdarpan_admin;
