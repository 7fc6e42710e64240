-- Deploy lokdarpan:electoral/geography to pg
-- requires: wards
-- PostGIS, the field's standard tool for the geometry the electoral backbone needs: which
-- constituency a ward overlaps and by how much, and which ward a polling station stands in.
-- Ward boundaries stay GeoJSON in ward.boundary (the registry's own change); an expression
-- index gives PostGIS a geometry for each without a second copy in the table or the audit log.

create extension if not exists postgis with schema public;

-- st_estimatedextent() reads the planner's statistics of any table it is named, whoever may read the
-- table (issue 18): not PUBLIC's, and the project needs it nowhere. PostGIS's own tables and views
-- in public got the data privileges of the deploying role's default privileges: not the admins'.
revoke execute on function public.st_estimatedextent(text, text, text, boolean) from public;
revoke execute on function public.st_estimatedextent(text, text, text) from public;
revoke execute on function public.st_estimatedextent(text, text) from public;
revoke insert, update, delete, truncate, references, trigger on public.spatial_ref_sys, public.geometry_columns,
public.geography_columns from lokdarpan_admin;

-- Kept in this schema change: index ix_ward_geometry below is on geojson_geometry(boundary).
create function public.geojson_geometry(p_geojson jsonb)
returns public.geometry
language sql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
        select public.st_setsrid(
        public.st_multi(public.st_collectionextract(public.st_makevalid(public.st_geomfromgeojson(p_geojson::text)), 3)),
        4326
    )
$$;

comment on function public.geojson_geometry(jsonb) is
'A GeoJSON Polygon or MultiPolygon geometry (longitude/latitude, as ward.boundary holds it) as a '
'PostGIS MultiPolygon in SRID 4326, made valid (st_makevalid: OpenStreetMap rings may touch themselves); null for null. Backs ix_ward_geometry: queries that place '
'points or measure overlaps use public.geojson_geometry(ward.boundary) so the index serves them.';

create index ix_ward_geometry on public.ward using gist (public.geojson_geometry(boundary))
where boundary is not null;

comment on index public.ix_ward_geometry is
'Ward boundaries as PostGIS geometry: point-in-polygon for polling stations, ward/constituency overlaps.';
