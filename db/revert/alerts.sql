-- Revert lokdarpan:alerts from pg

drop trigger alert_set_updated_at on public.alert;
drop function public.alert_set_updated_at();
drop table public.alert;
drop function public.jsonb_is_url_array(jsonb);
