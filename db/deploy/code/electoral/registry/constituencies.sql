-- Deploy lokdarpan:code/electoral/registry/constituencies to pg
-- requires: electoral/constituencies
-- requires: code/electoral/results_merge/constituencies
-- requires: code/common/helpers
-- requires: code/electoral/constituencies/names
-- form20_constituency(): the AC or PC row a Form 20 file loads into, found or made; the name the
-- file gives it checked with constituency_name_match(), the matcher results files use.

create or replace function public.form20_constituency(
    p_state_code text,
    p_kind text,
    p_number integer,
    p_name text,
    p_pc_id integer,
    p_source text,
    p_min_similarity real default 0.5
)
returns table (
    constituency_id integer,
    created boolean,
    name text,
    pc_id integer,
    how text,
    similarity real,
    problem text
)
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v_placeholder text := p_kind || ' ' || p_number;
    v_row public.constituency%rowtype;
    v_match record;
    v_near text;
    m_id integer;
    m_number integer;
    m_name text;
    m_how text;
    m_sim real;
begin
    perform public.electoral_check_scope('form20_constituency', p_state_code, p_kind);
    if p_number is null or p_number not between 1 and 999 then
        raise exception 'form20_constituency: a constituency number is 1-999, got %', coalesce(p_number::text, 'null')
            using errcode = '22023';
    end if;
    if length(p_name) > 120 or p_name <> btrim(p_name) or p_name = '' then
        raise exception 'form20_constituency: the name % must be trimmed, non-empty and at most 120 characters',
            public.input_excerpt(p_name)
            using errcode = '22023';
    end if;
    if p_kind = 'PC' and p_pc_id is not null then
        raise exception 'form20_constituency: a PC belongs to no PC, got pc_id %', p_pc_id
            using errcode = '22023';
    end if;
    if length(p_source) > 1000 then
        raise exception 'form20_constituency: the source is % characters long; at most 1000', length(p_source)
            using errcode = '22023';
    end if;
    if p_min_similarity is null or p_min_similarity = 'NaN'::real or p_min_similarity not between 0.3 and 1 then
        raise exception 'form20_constituency: minimum similarity must be in [0.3, 1], got %',
            coalesce(p_min_similarity::text, 'null')
            using errcode = '22023';
    end if;

    -- The file's name, matched as a results file's would be.
    if p_name is not null then
        select m.* into v_match
        from public.constituency_name_match(p_state_code, p_kind, array[p_name], p_min_similarity) as m;
        v_near := (
            select string_agg(
                format('%s %s %s (similarity %s)', p_kind, x ->> 'number', quote_literal(x ->> 'name'), x ->> 'similarity'),
                ', '
            )
            from jsonb_array_elements(v_match.candidates) as x
        );
        m_id := v_match.constituency_id;
        m_number := v_match.number;
        m_name := v_match.registry_name;
        m_how := v_match.how;
        m_sim := v_match.similarity;
    end if;

    select c.* into v_row
    from public.constituency as c
    where c.state_code = p_state_code and c.kind = p_kind and c.number = p_number
    for update;

    -- The name is another registered constituency's: the file's numbering is not the registry's.
    if m_id is not null and m_id is distinct from v_row.constituency_id then
        return query select
            null::integer, false, null::text, null::integer, m_how, m_sim,
            format(
                '%s %s is named %s in the file, which is %s %s %s in the registry (matched %s%s): the file''s '
                'numbering is not the registry''s; give the right number',
                p_kind, p_number, quote_literal(p_name), p_kind, m_number, quote_literal(m_name),
                case m_how
                    when 'alias' then 'by a recorded alias' when 'trigram' then 'by trigram'
                    when 'normalised' then 'by its normalised name' else 'exactly'
                end,
                case when m_how = 'trigram' then format(', similarity %s', round(m_sim::numeric, 2)) else '' end
            );
        return;
    end if;

    if v_row.constituency_id is null then
        insert into public.constituency as c (state_code, kind, number, name, pc_id, source)
        values (p_state_code, p_kind, p_number, coalesce(p_name, v_placeholder), p_pc_id, p_source)
        returning c.* into v_row;
        return query select v_row.constituency_id, true, v_row.name::text, v_row.pc_id, m_how, m_sim, null::text;
        return;
    end if;

    -- A placeholder name ('AC 2') gives way to the file's.
    if p_name is not null and v_row.name = v_placeholder and m_id is null then
        update public.constituency as c set name = p_name, pc_id = coalesce(c.pc_id, p_pc_id)
        where c.constituency_id = v_row.constituency_id
        returning c.* into v_row;
        return query select v_row.constituency_id, false, v_row.name::text, v_row.pc_id, 'placeholder'::text,
            null::real, null::text;
        return;
    end if;

    if p_name is not null and m_id is null then
        return query select
            null::integer, false, null::text, null::integer, m_how, m_sim,
            format(
                '%s %s is named %s in the file but %s in the registry, and %s; correct the file''s label or give the right number',
                p_kind, p_number, quote_literal(p_name), quote_literal(v_row.name),
                case m_how
                    when 'ambiguous' then format('the name is ambiguous: it matches %s', v_near)
                    else format(
                        'the name matches no %s of state %s closely enough (similarity at least %s)%s',
                        p_kind, p_state_code, round(p_min_similarity::numeric, 2), coalesce(': nearest ' || v_near, '')
                    )
                end
            );
        return;
    end if;

    if v_row.pc_id is null and p_pc_id is not null then
        update public.constituency as c set pc_id = p_pc_id
        where c.constituency_id = v_row.constituency_id
        returning c.* into v_row;
    end if;
    return query select v_row.constituency_id, false, v_row.name::text, v_row.pc_id, m_how, m_sim, null::text;
end
$$;

comment on function public.form20_constituency(text, text, integer, text, integer, text, real) is
'The AC or PC (p_kind, p_number of state p_state_code) a Form 20 file loads into, made when missing (named '
'p_name, else a placeholder "AC 2"; an AC linked to p_pc_id; source p_source). The name the file gives '
'(p_name, may be null) is matched with constituency_name_match() at p_min_similarity (default 0.5), as a '
'results file''s: it must name this constituency (how: exact, normalised, alias or trigram; the registry''s '
'name is kept) or a placeholder, which it replaces. Otherwise nothing is written and problem says why: the '
'name is another registered constituency''s (the file''s numbering is not the registry''s), or it does not '
'match the registered one (weak or ambiguous). An AC without a PC gets p_pc_id; one linked to another PC keeps its link (pc_id says '
'which). 22023 for a bad state code, kind, number, name, similarity or pc_id, or a source over 1000 '
'characters.';

revoke execute on function public.form20_constituency(text, text, integer, text, integer, text, real) from public;
grant execute on function public.form20_constituency(text, text, integer, text, integer, text, real) to lokdarpan_admin;
