-- Verify lokdarpan:code/electoral/constituencies/overlaps on pg

select 'public.electoral_recompute_lock(text)'::regprocedure;
select 'public.compute_ward_constituency(numeric)'::regprocedure;
