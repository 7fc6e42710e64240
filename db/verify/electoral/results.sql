-- Verify lokdarpan:electoral/results on pg

select
    id,
    election_id,
    constituency_id,
    candidate,
    party_id,
    party_as_published,
    evm_votes,
    postal_votes,
    total_votes,
    published_percent,
    source_meta
from public.constituency_result
where false;
select
    id,
    ps_id,
    delimitation,
    constituency_id,
    serial,
    name,
    address,
    lat,
    lon,
    location,
    ward_id,
    ward_name,
    source_meta
from public.polling_station
where false;
select
    election_id,
    polling_station_id,
    total_valid,
    rejected,
    nota,
    total_polled,
    tendered,
    electors,
    source_meta
from public.polling_station_result
where false;
select
    election_id,
    polling_station_id,
    candidate,
    party_id,
    votes,
    created_at
from public.result_ps
where false;
select
    xact,
    election_id,
    polling_station_id
from public.polling_station_result_check_queue
where false;
select xact from public.polling_station_result_check_pending
where false;
