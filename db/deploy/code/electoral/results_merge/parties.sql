-- Deploy lokdarpan:code/electoral/results_merge/parties to pg
-- requires: electoral/parties
-- requires: code/electoral/parties/resolve
-- party_words_similarity() and constituency_result_match_parties(): step 2 of
-- constituency_result_merge(), the file's party spellings resolved to the registry's parties.

-- Parties: two spellings agree word by word or not at all, because distinct parties share most
-- of their words ("Communist Party of India" / "... (Marxist)", "Bahujan Samaj" / "Bahujan Mukti").
create or replace function public.party_words_similarity(p_a text, p_b text)
returns real
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    a text[];
    b text[];
    worst real := 1;
begin
    if length(p_a) > 200 or length(p_b) > 200 then
        raise exception 'party_words_similarity: a name is % characters long; at most 200',
            greatest(length(p_a), length(p_b))
            using errcode = '22023';
    end if;
    if p_a is null or p_b is null then
        return null;
    end if;
    a := pg_catalog.string_to_array(public.party_normalise(p_a), ' ');
    b := pg_catalog.string_to_array(public.party_normalise(p_b), ' ');
    if coalesce(pg_catalog.cardinality(a), 0) = 0 or coalesce(pg_catalog.cardinality(a), 0) <> coalesce(pg_catalog.cardinality(b), 0) then
        return 0;
    end if;
    for i in 1 .. pg_catalog.cardinality(a) loop
        if a[i] <> b[i] then
            worst := least(worst, public.similarity(a[i], b[i]));
        end if;
    end loop;
    return worst;
end
$$;

comment on function public.party_words_similarity(text, text) is
'How closely two party spellings agree word by word (party_normalise() first): 0 when their word counts '
'differ, else the lowest pg_trgm similarity of the words in the same place (1 when every word is equal). '
'"Bharatiya Janta Party" / "Bharatiya Janata Party" 0.44; "Marxist Communist Party of India (United)" / '
'"Communist Party of India (Marxist)" 0. Null for a null; 22023 for a name over 200 characters.';

-- Step 2 of constituency_result_merge(): any registered spelling (party_resolve), then the same
-- letters without spaces ("I.N.C." is INC), then "Name (ABBR)" whose two parts name one party, then a
-- word-by-word trigram match (party_words_similarity) that must point at one party only.
create or replace function public.constituency_result_match_parties()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set client_min_messages = warning
as $$
declare
    party_match constant real := 0.4;
    party_weak constant real := 0.25;
begin
    if pg_catalog.to_regclass('pg_temp.crm_problem') is null or pg_catalog.to_regclass('pg_temp.constituency_result_stage') is null then
        raise exception 'constituency_result_match_parties: a step of constituency_result_merge(), which makes its work tables first'
            using errcode = '55000';
    end if;

    drop table if exists pg_temp.crm_party;
    create temporary table crm_party on commit drop as
    select
        p.party,
        p.line,
        public.party_normalise(p.party) as norm,
        public.party_resolve(p.party) as party_id,
        'exact'::text as how,
        null::real as similarity,
        null::jsonb as candidates
    from (
        select t.party, min(t.line) as line
        from pg_temp.constituency_result_stage as t
        group by t.party
    ) as p;

    update pg_temp.crm_party as p set party_id = m.party_id, how = 'normalised'
    from (
        select q.party, min(a.party_id) as party_id
        from pg_temp.crm_party as q
        inner join public.party_alias as a on replace(a.alias, ' ', '') = replace(q.norm, ' ', '')
        where q.party_id is null
        group by q.party
        having count(distinct a.party_id) = 1
    ) as m
    where p.party = m.party;

    update pg_temp.crm_party as p set party_id = m.party_id, how = 'normalised'
    from (
        select
            q.party,
            public.party_resolve(regexp_replace(q.party, '\s*\([^()]*\)\s*', ' ', 'g')) as party_id,
            public.party_resolve(substring(q.party from '\(([^()]*)\)')) as inner_id
        from pg_temp.crm_party as q
        where q.party_id is null and q.party ~ '\([^()]+\)'
    ) as m
    where p.party = m.party and m.party_id = m.inner_id;

    update pg_temp.crm_party as p
    set
        party_id = case when m.matches = 1 then m.party_id end,
        how = case when m.matches = 1 then 'fuzzy' when m.matches > 1 then 'ambiguous' else 'weak' end,
        similarity = m.best,
        candidates = m.candidates
    from (
        select
            c.party,
            count(*) filter (where c.score >= party_match) as matches,
            min(c.party_id) filter (where c.score >= party_match) as party_id,
            max(c.score) as best,
            jsonb_agg(jsonb_build_object('name', c.name, 'similarity', round(c.score::numeric, 2)) order by c.score desc, c.name)
                filter (where c.rank <= 3) as candidates
        from (
            select
                b.*,
                row_number() over (partition by b.party order by b.score desc, b.name) as rank
            from (
                select distinct on (q.party, a.party_id)
                    q.party,
                    a.party_id,
                    r.name,
                    public.party_words_similarity(q.norm, a.alias) as score
                from pg_temp.crm_party as q
                cross join public.party_alias as a
                inner join public.party as r on a.party_id = r.party_id
                where q.party_id is null and q.how = 'exact'
                    and public.party_words_similarity(q.norm, a.alias) >= party_weak
                order by q.party, a.party_id, public.party_words_similarity(q.norm, a.alias) desc
            ) as b
        ) as c
        group by c.party
    ) as m
    where p.party = m.party;

    insert into pg_temp.crm_problem (line, message)
    select
        p.line,
        format(
            'party %s is %s: it %s %s; register the spelling as an alias of its party (party_alias) or correct the file',
            quote_literal(left(p.party, 60)),
            case p.how when 'ambiguous' then 'ambiguous' else 'a weak match' end,
            case p.how when 'ambiguous' then 'matches' else 'only resembles' end,
            (select string_agg(format('%s (similarity %s)', quote_literal(x ->> 'name'), x ->> 'similarity'), ', ')
                from jsonb_array_elements(p.candidates) as x)
        )
    from pg_temp.crm_party as p
    where p.how in ('ambiguous', 'weak');
end
$$;

comment on function public.constituency_result_match_parties() is
'Step 2 of constituency_result_merge(): fills pg_temp.crm_party with one row per party spelling of '
'pg_temp.constituency_result_stage and the party it names (how: exact by any alias, normalised by the same '
'letters without spaces or "Name (ABBR)" naming one party, fuzzy by party_words_similarity() at least 0.4 '
'with one party only; ambiguous or weak, with the three nearest as candidates; a null party_id is a new '
'party), and records each ambiguous or weak spelling (0.25-0.4) in pg_temp.crm_problem. 55000 outside '
'constituency_result_merge() (its work tables missing).';

revoke execute on function public.party_words_similarity(text, text) from public;
revoke execute on function public.constituency_result_match_parties() from public;
grant execute on function public.party_words_similarity(text, text) to lokdarpan_readonly;
grant execute on function public.constituency_result_match_parties() to lokdarpan_admin;
