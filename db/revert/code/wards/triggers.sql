-- Revert lokdarpan:code/wards/triggers from pg

drop trigger ward_touch_before_update on public.ward;
drop trigger ward_keep_created_at on public.ward;
