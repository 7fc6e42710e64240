-- Revert lokdarpan:electoral/constituencies from pg

drop table public.electoral_setting;
drop table public.ward_constituency_override;
drop table public.ward_constituency;
drop table public.constituency;
