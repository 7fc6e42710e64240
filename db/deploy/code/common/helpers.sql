-- Deploy lokdarpan:code/common/helpers to pg
-- requires: clock
-- Shared behaviour said once: the generic updated_at / created_at triggers each table's own change
-- attaches, and the one way an error message names a value a user supplied.

create or replace function public.touch_updated_at()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
declare
    -- Stored generated columns are not computed yet in a BEFORE trigger (null in NEW); they change
    -- only with the columns they are computed from, so they are left out of the comparison.
    ignored text [] := array['updated_at'] || array(
        select a.attname::text from pg_catalog.pg_attribute as a
        where a.attrelid = tg_relid and a.attgenerated <> '' and not a.attisdropped
    );
begin
    -- Compared as text: jsonb equality calls [1.0] and [1.00] equal, but the stored value changed.
    if (to_jsonb(new) - ignored)::text is distinct from (to_jsonb(old) - ignored)::text then
        new.updated_at := public.lokdarpan_now();
    else
        new.updated_at := old.updated_at;
    end if;
    return new;
end
$$;

comment on function public.touch_updated_at() is
'Generic BEFORE UPDATE FOR EACH ROW trigger: sets updated_at to lokdarpan_now() when any other column '
'changed (compared as stored text, so a jsonb [1.0] -> [1.00] counts; generated columns follow the '
'columns they are computed from) and keeps the old updated_at '
'otherwise, whatever value the writer gave. A table''s own change attaches it; new columns count '
'without editing it.';

revoke execute on function public.touch_updated_at() from public;

create or replace function public.keep_created_at()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    new.created_at := old.created_at;
    return new;
end
$$;

comment on function public.keep_created_at() is
'Generic BEFORE UPDATE FOR EACH ROW trigger: created_at keeps its first value, whatever the writer gave. '
'Name the trigger so it sorts before the table''s touch_updated_at trigger (triggers fire in name '
'order), so a rewrite of created_at alone is no change.';

revoke execute on function public.keep_created_at() from public;

create or replace function public.input_excerpt(p_value text)
returns text
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_value is null then 'null'
        when pg_catalog.length(p_value) <= 20 then pg_catalog.quote_literal(p_value)
        else pg_catalog.quote_literal(pg_catalog.left(p_value, 20))
            || '... (' || pg_catalog.length(p_value) || ' characters)'
    end
$$;

comment on function public.input_excerpt(text) is
'How an error message names a value a user supplied: quoted when at most 20 characters, else its '
'first 20 characters quoted and "... (N characters)"; null as null. Never echoes a long input whole.';
