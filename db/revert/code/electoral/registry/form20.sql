-- Revert lokdarpan:code/electoral/registry/form20 from pg

drop function public.form20_parties(text [], text []);
drop function public.form20_match_candidates(text [], text [], text [], integer [], text [], text [], integer, double precision);
