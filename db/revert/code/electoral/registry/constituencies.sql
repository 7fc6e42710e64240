-- Revert lokdarpan:code/electoral/registry/constituencies from pg

drop function public.form20_constituency(text, text, integer, text, integer, text, real);
