-- Verify lokdarpan:electoral/results_merge on pg

select
    state_code,
    kind,
    number,
    alias,
    alias_key,
    note
from public.constituency_alias
where false;
