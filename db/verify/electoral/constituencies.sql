-- Verify lokdarpan:electoral/constituencies on pg

select
    constituency_id,
    state_code,
    kind,
    number,
    name,
    reserved_for,
    district,
    pc_id,
    boundary,
    source
from public.constituency
where false;
select
    ward_id,
    constituency_id,
    ward_fraction,
    constituency_fraction,
    overlap_area_m2,
    method,
    note,
    computed_at
from public.ward_constituency
where false;
select
    ward_id,
    constituency_id,
    ward_fraction,
    reason,
    source
from public.ward_constituency_override
where false;
select
    id,
    sliver_threshold
from public.electoral_setting
where false;
