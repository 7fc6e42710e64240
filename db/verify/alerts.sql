-- Verify lokdarpan:alerts on pg

select
    id,
    ward,
    description,
    severity,
    opportunities,
    threats,
    actionable_alerts,
    source_articles,
    created_at,
    updated_at
from public.alert
where false;

select 'public.ix_alert_ward'::regclass;
select 'public.ix_alert_severity'::regclass;

-- The URL validator answers (raises if missing).
select 1 / public.jsonb_is_url_array('["https://example.in/a"]')::int;
