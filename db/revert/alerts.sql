-- Revert lokdarpan:alerts from pg

drop table public.alert;
drop function public.jsonb_is_url_array(jsonb);
