-- Revert lokdarpan:maintenance/partitions from pg
-- post becomes one plain table again (every row, id, index, trigger, grant and view kept), and
-- ai_model_execution gets back the ledger's own default partition, with ai_execution_ensure_partitions()
-- alone making its months.

select public.table_rebuild(
    'public.post', null, array['id'],
    'Political content: social-media posts and e-paper articles, each placed in a city or ward, with '
    'sentiment and party classification and a weighted full-text search vector.'
);
delete from partman.part_config
where parent_table in ('public.post', 'public.ai_model_execution');
drop table partman.template_public_post;
drop table partman.template_public_ai_model_execution;

do $$
begin
    alter table public.ai_model_execution detach partition public.ai_model_execution_default;
    alter table public.ai_model_execution_default rename to ai_model_execution_default__partman;
    create table public.ai_model_execution_default partition of public.ai_model_execution default;
    comment on table public.ai_model_execution_default is
    'Rows no monthly partition covers. Should stay empty: ai_ledger_checks() reports it when it is not, '
    'and ai_execution_ensure_partitions() cannot make a month whose rows sit here.';
    execute format(
        'insert into public.ai_model_execution (%1$s) overriding system value '
        'select %1$s from public.ai_model_execution_default__partman',
        (
            select string_agg(quote_ident(a.attname), ', ' order by a.attnum)
            from pg_attribute as a
            where a.attrelid = 'public.ai_model_execution'::regclass and a.attnum > 0
                and not a.attisdropped and a.attgenerated = ''
        )
    );
    drop table public.ai_model_execution_default__partman;
end
$$;

drop extension pg_partman;
drop schema partman;
