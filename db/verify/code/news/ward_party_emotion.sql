-- Verify lokdarpan:code/news/ward_party_emotion on pg

select 'public.ward_party_emotion(text, integer)'::regprocedure;
