-- Verify lokdarpan:electoral/ward_analytics on pg

select
    id,
    election_id,
    ward_id,
    party_id,
    party,
    votes,
    vote_share,
    turnout_pct,
    method,
    computed_at
from public.result_ward_agg
where false;
select
    id,
    ward_id,
    election_id,
    electors,
    votes_cast,
    turnout_pct,
    last_winner_party,
    last_winner_year,
    method,
    updated_at
from public.ward_profile
where false;
select
    id,
    ward_id,
    literacy_idx,
    muslim_idx,
    scst_idx,
    secc_deprivation_idx,
    source,
    updated_at
from public.ward_demographics
where false;
select
    id,
    ward_id,
    as23_party_shares,
    ls24_party_shares,
    dvi,
    dvi_ls24,
    aci_23,
    turnout_volatility,
    incumbency_weakness,
    null_reasons,
    updated_at
from public.ward_features
where false;
