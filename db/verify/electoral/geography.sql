-- Verify lokdarpan:electoral/geography on pg

select public.st_area(public.geojson_geometry('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}'));
select 'public.ix_ward_geometry'::regclass;
