-- Revert lokdarpan:clock from pg

drop function public.lokdarpan_now();
