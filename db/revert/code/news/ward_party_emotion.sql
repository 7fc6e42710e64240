-- Revert lokdarpan:code/news/ward_party_emotion from pg

drop function public.ward_party_emotion(text, integer);
