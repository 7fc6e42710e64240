-- Revert lokdarpan:clock from pg

drop function public.lokdarpan_clock_now();
drop function public.lokdarpan_now();
drop function public.lokdarpan_clock_frozen_at();

-- The role is cluster-wide: keep it while another database still uses it.
do $$
begin
    if exists (
        select from pg_catalog.pg_shdepend as d
        inner join pg_catalog.pg_roles as ro on d.refobjid = ro.oid
        where ro.rolname = 'lokdarpan_timekeeper'
            and d.dbid <> (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database())
    ) or exists (
        select from pg_catalog.pg_auth_members as m
        inner join pg_catalog.pg_roles as ro on m.roleid = ro.oid
        where ro.rolname = 'lokdarpan_timekeeper'
    ) then
        raise notice 'role lokdarpan_timekeeper has members or is used by another database; keeping it';
    elsif exists (select from pg_catalog.pg_roles where rolname = 'lokdarpan_timekeeper') then
        drop role lokdarpan_timekeeper;
    end if;
end
$$;
