-- Deploy lokdarpan:maintenance/partitions to pg
-- requires: news
-- requires: analytics/ward_dashboards
-- requires: analytics/ward_notify
-- requires: ledger/executions
-- requires: code/maintenance/table_rebuild
-- The seed's "Horizontal Scaling": post range-partitioned by month, migrated in place (every row,
-- id, index name, constraint, trigger, grant, comment and dependent view kept), with pg_partman
-- making monthly partitions ahead for post and ai_model_execution. Months are UTC months.

create schema partman;
comment on schema partman is
'pg_partman (Debian''s postgresql-15-partman): its configuration (part_config) and template tables.';
create extension pg_partman with schema partman;

select public.table_rebuild(
    'public.post', 'created_at', array['id', 'created_at'],
    'Political content: social-media posts and e-paper articles, each placed in a city or ward, with '
    'sentiment and party classification and a weighted full-text search vector. Range-partitioned by '
    'month (UTC) on created_at, partitions post_pYYYY_MM made ahead by pg_partman; post_default catches '
    'rows no month covers (maintain_partitions() moves them). The primary key is (id, created_at); ids '
    'still come from one sequence and validate_data_integrity() checks they stay unique.'
);

-- ai_model_execution is already partitioned the same way (ledger/executions); pg_partman takes over
-- making its months ahead. pg_partman makes its own default partition, so the ledger's steps aside
-- and its rows (normally none) are routed again.
do $$
declare
    zone text := current_setting('timezone');
    messages text := current_setting('client_min_messages');
    columns text;
begin
    -- pg_partman computes month boundaries in the session's time zone; ours are UTC months.
    perform set_config('timezone', 'UTC', true);
    -- Every month up to 3 ahead exists already (ledger/executions made them), so pg_partman warns
    -- that it made no child and makes no default partition: expected here, and made below.
    perform set_config('client_min_messages', 'error', true);
    alter table public.ai_model_execution detach partition public.ai_model_execution_default;
    alter table public.ai_model_execution_default rename to ai_model_execution_default__ledger;
    perform partman.create_parent(
        p_parent_table := 'public.ai_model_execution', p_control := 'created_at', p_type := 'native',
        p_interval := 'monthly', p_premake := 3,
        p_start_partition := replace(coalesce(
            (
                select min(substring(c.relname from '_p(\d{4}_\d{2})$'))
                from pg_inherits as i join pg_class as c on c.oid = i.inhrelid
                where i.inhparent = 'public.ai_model_execution'::regclass
            ),
            to_char(now(), 'YYYY_MM')
        ), '_', '-') || '-01 00:00:00+00'
    );
    perform set_config('client_min_messages', messages, true);
    update partman.part_config set infinite_time_partitions = true
    where parent_table = 'public.ai_model_execution';
    create table if not exists public.ai_model_execution_default partition of public.ai_model_execution default;
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into columns
    from pg_attribute as a
    where a.attrelid = 'public.ai_model_execution'::regclass and a.attnum > 0
        and not a.attisdropped and a.attgenerated = '';
    execute format(
        'insert into public.ai_model_execution (%1$s) overriding system value '
        'select %1$s from public.ai_model_execution_default__ledger', columns
    );
    drop table public.ai_model_execution_default__ledger;
    perform set_config('timezone', zone, true);
end
$$;
comment on table public.ai_model_execution_default is
'Rows no monthly partition covers. Should stay empty: ai_ledger_checks() reports it when it is not, '
'and maintain_partitions() moves its rows into the months they belong to.';
comment on table partman.template_public_ai_model_execution is
'pg_partman''s template for the partitions of public.ai_model_execution (properties a partition cannot inherit).';

-- Project roles may not touch pg_partman: its configuration drives SQL that maintain_partitions()
-- runs as the tables' owner (issue 18: an admin who could write part_config became superuser).
-- Nothing was granted in a fresh database (default privileges reach schema public only); these
-- revokes also hold where grants were made by hand or by the old defaults. Admins may read the
-- configuration (`lokdarpan-db partitions` shows it); nobody else sees into the schema.
revoke all on schema partman from public, lokdarpan_readonly, lokdarpan_analyst, lokdarpan_admin, lokdarpan_app,
lokdarpan_maintenance;
revoke all on all tables in schema partman from public, lokdarpan_readonly, lokdarpan_analyst, lokdarpan_admin,
lokdarpan_app, lokdarpan_maintenance;
revoke all on all sequences in schema partman from public, lokdarpan_readonly, lokdarpan_analyst, lokdarpan_admin,
lokdarpan_app, lokdarpan_maintenance;
grant usage on schema partman to lokdarpan_admin;
grant select on partman.part_config to lokdarpan_admin;
