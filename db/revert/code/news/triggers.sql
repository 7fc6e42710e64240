-- Revert lokdarpan:code/news/triggers from pg

drop trigger post_check_and_link_ward_trigger on public.post;
drop function public.post_check_and_link_ward();
drop trigger update_post_search_vector_trigger on public.post;
drop function public.update_post_search_vector();
drop trigger epaper_fill_sha256_before_write on public.epaper;
drop function public.epaper_fill_sha256();
