-- Deploy lokdarpan:code/vectors/embedding_store/checks to pg
-- requires: vectors/embedding_store
-- ai_embedding_store_check_row trigger: a row's vector fits its model.

-- Model, dimension and ward, checked and resolved with messages a DBA can act on.
-- updated_at is kept here, not by touch_updated_at() (issue 22): that one compares to_jsonb() text,
-- which reads a float -0 as 0, and a 0 -> -0 write must count (issue 18, pinned by the pgTAP suite).
create or replace function public.ai_embedding_store_check_row()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    model_dims integer;
    resolved text;
begin
    select m.dimensions into model_dims from public.embedding_model as m where m.model_name = new.embedding_model;
    if not found then
        raise exception 'unknown embedding model "%": register it in embedding_model first', new.embedding_model
            using errcode = 'foreign_key_violation', constraint = 'fk_ai_embedding_store_embedding_model';
    end if;
    if public.vector_dims(new.embedding) <> model_dims then
        raise exception 'the embedding has % dimensions; model % has %',
            public.vector_dims(new.embedding), new.embedding_model, model_dims
            using errcode = 'check_violation', constraint = 'fk_ai_embedding_store_embedding_model';
    end if;
    if new.ward_context is not null then
        resolved := public.ward_resolve(new.ward_context);
        if tg_op = 'UPDATE' and new.ward_context is distinct from old.ward_context
            and new.ward_id is not distinct from old.ward_id then
            new.ward_id := resolved; -- the text changed and the id was not touched: follow the text
        elsif new.ward_id is null then
            new.ward_id := resolved;
        elsif resolved is not null and resolved <> new.ward_id then
            raise exception 'ward_context "%" names ward %, but ward_id is %', new.ward_context, resolved, new.ward_id
                using errcode = 'check_violation', constraint = 'fk_ai_embedding_store_ward';
        end if;
    end if;
    if tg_op = 'UPDATE' then
        -- Compared as stored, not by equality: jsonb and numeric call 1.0 and 1.00 equal, floats
        -- 0 and -0; the text forms differ. The vector is compared in its binary form (cheaper
        -- than 3,072 numbers as text, and as exact).
        if row(
            new.content_chunk, new.source_type, new.source_url, new.source_title, new.chunk_index, new.published_at,
            new.fetched_at, new.expires_at, new.ward_context, new.ward_id, new.region_context, new.political_entities,
            new.embedding_model, new.content_type, new.language, new.political_relevance_score,
            new.credibility_score, new.fact_check_status, new.processing_metadata, new.quality_flags
        )::text is distinct from row(
            old.content_chunk, old.source_type, old.source_url, old.source_title, old.chunk_index, old.published_at,
            old.fetched_at, old.expires_at, old.ward_context, old.ward_id, old.region_context, old.political_entities,
            old.embedding_model, old.content_type, old.language, old.political_relevance_score,
            old.credibility_score, old.fact_check_status, old.processing_metadata, old.quality_flags
        )::text or public.vector_send(new.embedding) is distinct from public.vector_send(old.embedding) then
            new.updated_at := public.lokdarpan_now();
        else
            new.updated_at := old.updated_at;
        end if;
        new.created_at := old.created_at;
    end if;
    return new;
end
$$;

comment on function public.ai_embedding_store_check_row() is
'BEFORE INSERT OR UPDATE trigger on ai_embedding_store: refuses an unknown model (23503) or an embedding '
'whose dimension is not its model''s (23514) with a message naming both; resolves ward_id from ward_context '
'(refusing a contradicting explicit ward_id); keeps created_at and sets updated_at when content changed as '
'stored (text forms; the vector''s binary form), so a jsonb [1.0] -> [1.00] counts and a no-op update does not.';

drop trigger if exists ai_embedding_store_check_row on public.ai_embedding_store;
create trigger ai_embedding_store_check_row
before insert or update on public.ai_embedding_store
for each row execute function public.ai_embedding_store_check_row();
