-- Deploy lokdarpan:code/maintenance/cleanup/settings to pg
-- requires: maintenance/cleanup
-- requires: code/common/helpers
-- maintenance_setting_stamp trigger, maintenance_interval() and maintenance_integer(): the retention settings read.

-- Not touch_updated_at() (issue 22): this stamp records who (session_user) and when for every write
-- of a setting by an admin, as the audit of a retention change, not whether the row changed.
create or replace function public.maintenance_setting_stamp()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    new.updated_at := public.lokdarpan_now();
    new.updated_by := session_user;
    return new;
end
$$;

comment on function public.maintenance_setting_stamp() is
'BEFORE UPDATE trigger on maintenance_setting: records when and by whom (session_user) a value changed.';

drop trigger if exists maintenance_setting_stamp on public.maintenance_setting;
create trigger maintenance_setting_stamp before update on public.maintenance_setting
for each row execute function public.maintenance_setting_stamp();

-- A setting's value; a missing or mistyped setting is an error naming it.
create or replace function public.maintenance_interval(p_name text)
returns interval
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v interval;
begin
    select s.value_interval into v from public.maintenance_setting as s where s.name = p_name;
    if v is null then
        raise exception 'maintenance setting % has no period', public.input_excerpt(p_name)
            using errcode = '22023';
    end if;
    return v;
end
$$;

comment on function public.maintenance_interval(text) is
'The period a maintenance_setting holds; 22023 naming the setting when it has none. Anyone who may read the table.';

create or replace function public.maintenance_integer(p_name text)
returns integer
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    v integer;
begin
    select s.value_integer into v from public.maintenance_setting as s where s.name = p_name;
    if v is null then
        raise exception 'maintenance setting % has no count', public.input_excerpt(p_name)
            using errcode = '22023';
    end if;
    return v;
end
$$;

comment on function public.maintenance_integer(text) is
'The count a maintenance_setting holds; 22023 naming the setting when it has none. Anyone who may read the table.';

revoke execute on function public.maintenance_setting_stamp() from public;
