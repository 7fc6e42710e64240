-- Deploy lokdarpan:code/maintenance/integrity/run to pg
-- requires: maintenance/integrity
-- requires: code/maintenance/integrity/catalog
-- validate_data_integrity(): runs the checks of integrity_check_catalog() and reports each.

create or replace function public.validate_data_integrity(p_only text [] default null)
returns table (
    check_name text,
    status text,
    record_count bigint,
    issue_description text,
    hint text,
    elapsed_ms numeric
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    c record;
    unknown text;
    started timestamptz;
begin
    -- Sizes first: nothing below may read (or echo) an unbounded input.
    if cardinality(p_only) > 100 then
        raise exception 'validate_data_integrity: % check names given; at most 100', cardinality(p_only)
            using errcode = '22023';
    end if;
    if exists (select from unnest(p_only) as n (name) where n.name is null or length(n.name) > 64) then
        raise exception 'validate_data_integrity: a check name is null or longer than 64 characters'
            using errcode = '22023';
    end if;
    select string_agg(quote_literal(n.name), ', ' order by n.name) into unknown
    from (select distinct u.name from unnest(p_only) as u (name)) as n
    where n.name not in (select k.check_name from public.integrity_check_catalog() as k);
    if unknown is not null then
        raise exception 'validate_data_integrity: unknown check %', unknown
            using errcode = '22023',
            hint = 'The checks are: ' || (
                select string_agg(k.check_name, ', ') from public.integrity_check_catalog() as k
            );
    end if;

    for c in
        select k.check_name, k.severity, k.issue_description, k.hint, k.query
        from public.integrity_check_catalog() as k
        where p_only is null or k.check_name = any(p_only)
    loop
        started := clock_timestamp();
        execute c.query into record_count;
        elapsed_ms := round((extract(epoch from clock_timestamp() - started) * 1000)::numeric, 3);
        check_name := c.check_name;
        status := case when record_count = 0 then 'PASS' else c.severity end;
        issue_description := c.issue_description;
        hint := c.hint;
        return next;
    end loop;
end
$$;

comment on function public.validate_data_integrity(text []) is
'The seed''s data integrity validation: runs every check of integrity_check_catalog() (or only those '
'named in p_only, at most 100 names of at most 64 characters; an unknown name raises 22023 naming it) '
'and returns check_name, status (PASS when nothing is found, else the check''s severity: FAIL = data '
'is wrong, WARN = needs attention), record_count, issue_description, hint (what to do) and elapsed_ms. '
'SECURITY DEFINER so a monitoring login reads counts of tables it may not read; it returns counts, '
'never rows. lokdarpan_readonly and up (lokdarpan-db integrity).';

revoke execute on function public.validate_data_integrity(text []) from public;
grant execute on function public.validate_data_integrity(text []) to lokdarpan_readonly;
