-- Revert lokdarpan:news from pg

drop function public.ward_party_emotion(text, integer);
drop function public.search_posts(text, text, integer);
drop type public.search_hit;
drop function public.tsquery_restrict_weights(tsquery, text);
drop trigger post_check_and_link_ward_trigger on public.post;
drop function public.post_check_and_link_ward();
drop trigger update_post_search_vector_trigger on public.post;
drop function public.update_post_search_vector();
drop table public.post;
drop trigger epaper_fill_sha256_before_write on public.epaper;
drop function public.epaper_fill_sha256();
drop table public.epaper;
drop table public.author;
