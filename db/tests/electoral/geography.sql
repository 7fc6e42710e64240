-- pgTAP: PostGIS and ward boundaries as indexed geometry.
begin;
select plan(4);

select has_extension('postgis', 'PostGIS is installed');
select is(
    public.st_geometrytype(public.geojson_geometry('{"type": "Polygon", "coordinates": [[[78.4, 17.4], [78.41, 17.4], [78.41, 17.41], [78.4, 17.4]]]}')),
    'ST_MultiPolygon', 'a GeoJSON Polygon becomes a MultiPolygon'
);
select is(
    public.st_srid(public.geojson_geometry('{"type": "Polygon", "coordinates": [[[78.4, 17.4], [78.41, 17.4], [78.41, 17.41], [78.4, 17.4]]]}')),
    4326, 'in longitude/latitude (SRID 4326)'
);
select ok(
    public.st_isvalid(public.geojson_geometry(
        '{"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}'
    )),
    'a self-crossing ring (a bow tie, as OpenStreetMap exports sometimes have) is made valid'
);

select * from finish();
rollback;
