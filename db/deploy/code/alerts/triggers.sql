-- Deploy lokdarpan:code/alerts/triggers to pg
-- requires: alerts code/common/helpers
-- alert.updated_at is kept by the database: the generic touch_updated_at() trigger, under the name
-- the alert table has always had for it.

drop trigger if exists alert_set_updated_at on public.alert;
create trigger alert_set_updated_at
before update on public.alert
for each row execute function public.touch_updated_at();

comment on trigger alert_set_updated_at on public.alert is
'Keeps alert.updated_at: the time of the last real change.';
