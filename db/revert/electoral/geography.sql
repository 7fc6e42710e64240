-- Revert lokdarpan:electoral/geography from pg

drop index public.ix_ward_geometry;
drop function public.geojson_geometry(jsonb);
grant insert, update, delete, truncate on public.spatial_ref_sys, public.geometry_columns, public.geography_columns
to lokdarpan_admin;
grant execute on function public.st_estimatedextent(text, text) to public;
grant execute on function public.st_estimatedextent(text, text, text) to public;
grant execute on function public.st_estimatedextent(text, text, text, boolean) to public;
drop extension if exists postgis;
