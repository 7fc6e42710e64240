-- Verify lokdarpan:electoral/parties on pg

select
    party_id,
    code,
    name,
    eci_code,
    kind,
    created_at
from public.party
where false;
select
    alias,
    party_id,
    kind,
    note
from public.party_alias
where false;
