-- Revert lokdarpan:analytics/ward_notify from pg

drop trigger alert_notify_ward on public.alert;
drop trigger post_notify_ward on public.post;
drop function public.ward_notify_new_rows();
drop function public.ward_channel(text);
