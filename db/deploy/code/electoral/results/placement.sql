-- Deploy lokdarpan:code/electoral/results/placement to pg
-- requires: electoral/results
-- place_polling_stations(): polling stations placed in wards from their locations.

-- Which ward each placed station stands in (point in polygon), for stations whose source did not say.
create or replace function public.place_polling_stations()
returns table (placed integer, outside_every_ward integer, without_location integer)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    with hit as (
        select distinct on (s.id) s.id, w.ward_id, w.name
        from public.polling_station as s
        inner join public.ward as w
            on w.boundary is not null
            and public.st_intersects(public.geojson_geometry(w.boundary), s.location)
        where s.ward_id is null and s.location is not null
        order by s.id, w.ward_id
    )
    update public.polling_station as s
    set ward_id = hit.ward_id,
        ward_name = coalesce(s.ward_name, hit.name),
        source_meta = s.source_meta || jsonb_build_object('ward_from', 'point in ward boundary')
    from hit
    where s.id = hit.id;
    get diagnostics placed = row_count;
    select count(*) filter (where s.location is not null and s.ward_id is null),
        count(*) filter (where s.location is null and s.ward_id is null)
    into outside_every_ward, without_location
    from public.polling_station as s;
    return next;
end
$$;

comment on function public.place_polling_stations() is
'Sets polling_station.ward_id (and ward_name when empty) to the ward whose boundary contains the '
'station, for stations with a location and no ward; notes it in source_meta. Returns how many were '
'placed, how many lie outside every ward and how many have no location. SECURITY DEFINER, '
'executable by lokdarpan_analyst.';

revoke execute on function public.place_polling_stations() from public;

grant execute on function public.place_polling_stations() to lokdarpan_analyst;
