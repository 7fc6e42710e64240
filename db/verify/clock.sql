-- Verify lokdarpan:clock on pg

select public.lokdarpan_now();
