-- Verify lokdarpan:code/electoral/parties/resolve on pg

select 'public.party_resolve(text)'::regprocedure;
select 1 / (public.party_resolve('TRS') = public.party_resolve('Bharat Rashtra Samithi'))::integer;
