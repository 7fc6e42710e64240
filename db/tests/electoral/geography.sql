-- pgTAP: PostGIS and ward boundaries as indexed geometry.
begin;
select plan(6);

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

-- Issue 18: st_estimatedextent() would read any table's statistics; PostGIS's tables are not the admins' to write.
select tap_ensure_personas();
select ok(
    not exists (
        select from pg_proc as p
        where p.proname = 'st_estimatedextent'
            and (
                has_function_privilege('tap_outsider', p.oid, 'execute')
                or has_function_privilege('tap_admin', p.oid, 'execute')
            )
    ),
    'no login may call any st_estimatedextent() overload'
);
select throws_ok(
    $$set local role tap_admin; delete from public.spatial_ref_sys$$,
    '42501', 'permission denied for table spatial_ref_sys',
    'admins cannot rewrite PostGIS''s spatial reference systems'
);
reset role;

select * from finish();
rollback;
