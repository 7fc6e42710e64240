-- Revert lokdarpan:code/alerts/triggers from pg

drop trigger alert_set_updated_at on public.alert;
