-- Verify lokdarpan:vectors/embedding_store on pg

select
    model_name,
    dimensions,
    provider
from public.embedding_model
where false;
select
    id,
    content_hash,
    content_chunk,
    ward_context,
    ward_id,
    embedding,
    embedding_model,
    embedding_dimensions,
    embedding_bits
from public.ai_embedding_store
where false;
select
    embedding_id,
    access_count,
    last_accessed_at
from public.ai_embedding_usage
where false;
select
    embedding_id,
    accessed_at
from public.ai_embedding_access
where false;
select 1 / count(*)::integer from pg_catalog.pg_indexes
where schemaname = 'public' and indexname = 'ix_embedding_hnsw_te3_large';
