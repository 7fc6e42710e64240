-- Revert lokdarpan:code/common/helpers from pg

drop function public.input_excerpt(text);
drop function public.keep_created_at();
drop function public.touch_updated_at();
