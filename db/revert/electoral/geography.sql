-- Revert lokdarpan:electoral/geography from pg

drop index public.ix_ward_geometry;
drop function public.geojson_geometry(jsonb);
drop extension if exists postgis;
