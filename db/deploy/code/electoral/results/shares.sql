-- Deploy lokdarpan:code/electoral/results/shares to pg
-- requires: electoral/results
-- constituency_result_share: each candidate's share of the constituency's votes.

create or replace view public.constituency_result_share as
select
    r.id,
    r.election_id,
    r.constituency_id,
    r.candidate,
    r.party_id,
    r.total_votes,
    sum(r.total_votes) over w as valid_votes,
    round(100.0 * r.total_votes / nullif(sum(r.total_votes) over w, 0), 2) as vote_share,
    rank() over (partition by r.election_id, r.constituency_id order by r.total_votes desc) as position,
    r.published_percent
from public.constituency_result as r
window w as (partition by r.election_id, r.constituency_id);

comment on view public.constituency_result_share is
'Each candidate''s vote share of the constituency''s valid votes (the sum of its rows, NOTA included, '
'as ECI counts it), rounded to 0.01 like ECI''s percent_votes, and the position (1 = winner).';
