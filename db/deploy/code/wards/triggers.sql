-- Deploy lokdarpan:code/wards/triggers to pg
-- requires: wards code/common/helpers
-- ward.created_at keeps its first value and ward.updated_at follows real changes: the generic
-- triggers of code/common/helpers. ward_keep_created_at sorts before ward_touch_before_update, so
-- it runs first (triggers fire in name order) and a rewrite of created_at alone is no change.

drop trigger if exists ward_keep_created_at on public.ward;
create trigger ward_keep_created_at
before update on public.ward
for each row
execute function public.keep_created_at();

comment on trigger ward_keep_created_at on public.ward is
'Keeps ward.created_at as it was first registered (keep_created_at()).';

drop trigger if exists ward_touch_before_update on public.ward;
create trigger ward_touch_before_update
before update on public.ward
for each row
execute function public.touch_updated_at();

comment on trigger ward_touch_before_update on public.ward is
'Sets ward.updated_at to the database clock when an update changes what the ward stores, compared '
'as text (a boundary 78.4 -> 78.40 counts; a no-op update keeps it): touch_updated_at(), so a new '
'column counts without editing it.';
