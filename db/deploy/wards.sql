-- Deploy lokdarpan:wards to pg
-- requires: roles
-- The GHMC ward registry. The seed keys posts, alerts and analytics on a ward but never defines
-- one; this is that table. Boundaries are GeoJSON geometries kept as jsonb (no PostGIS: the
-- product draws them on a map and needs a bounding box, not spatial joins), validated by
-- ward_boundary_problem(). Fuzzy lookup by name uses pg_trgm.

-- ward_boundary_problem() and ward_boundary_bbox() stay here: the check constraint and the
-- generated column bbox call them when the table is created.
-- Why a GeoJSON geometry is unacceptable, in words a DBA can act on; null when it is sound.
create function public.ward_boundary_problem(p_geometry jsonb)
returns text
language plpgsql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    polygons jsonb;
    polygon jsonb;
    ring jsonb;
    pos jsonb;
    p integer := 0;
    r integer;
    i integer;
begin
    if p_geometry is null then
        return null;
    end if;
    if jsonb_typeof(p_geometry) <> 'object' then
        return format('geometry is a JSON %s, not an object', jsonb_typeof(p_geometry));
    end if;
    if coalesce(p_geometry ->> 'type', '') not in ('Polygon', 'MultiPolygon') then
        return format('geometry type %s is not Polygon or MultiPolygon', coalesce(p_geometry ->> 'type', 'null'));
    end if;
    if jsonb_typeof(p_geometry -> 'coordinates') is distinct from 'array'
        or jsonb_array_length(p_geometry -> 'coordinates') = 0 then
        return format('%s has no coordinates array', p_geometry ->> 'type');
    end if;
    polygons := case
        when p_geometry ->> 'type' = 'Polygon' then jsonb_build_array(p_geometry -> 'coordinates')
        else p_geometry -> 'coordinates'
    end;
    for polygon in select value from jsonb_array_elements(polygons) loop
        p := p + 1;
        if jsonb_typeof(polygon) <> 'array' or jsonb_array_length(polygon) = 0 then
            return format('polygon %s has no rings', p);
        end if;
        r := 0;
        for ring in select value from jsonb_array_elements(polygon) loop
            r := r + 1;
            if jsonb_typeof(ring) <> 'array' or jsonb_array_length(ring) < 4 then
                return format('polygon %s ring %s has fewer than 4 positions', p, r);
            end if;
            i := 0;
            for pos in select value from jsonb_array_elements(ring) loop
                i := i + 1;
                if jsonb_typeof(pos) <> 'array' or jsonb_array_length(pos) not between 2 and 3
                    or jsonb_typeof(pos -> 0) <> 'number' or jsonb_typeof(pos -> 1) <> 'number' then
                    return format('polygon %s ring %s position %s is not [longitude, latitude]', p, r, i);
                end if;
                if (pos ->> 0)::float8 not between -180 and 180 or (pos ->> 1)::float8 not between -90 and 90 then
                    return format('polygon %s ring %s position %s %s is outside longitude/latitude range', p, r, i, pos);
                end if;
            end loop;
            if ring -> 0 <> ring -> -1 then
                return format('polygon %s ring %s is not closed (first position %s, last %s)', p, r, ring -> 0, ring -> -1);
            end if;
        end loop;
    end loop;
    return null;
end
$$;

comment on function public.ward_boundary_problem(jsonb) is
'Why a ward boundary is not a usable GeoJSON Polygon/MultiPolygon geometry (type, coordinates '
'nesting, rings of at least 4 closed [longitude, latitude] positions within range), or null when '
'it is sound. Backs the check on ward.boundary; importers call it to report a defect by name.';

-- The bounding box of a sound boundary as a PostgreSQL box ((max lon, max lat), (min lon, min lat)).
create function public.ward_boundary_bbox(p_geometry jsonb)
returns box
language sql
immutable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select box(point(min((pos ->> 0)::float8), min((pos ->> 1)::float8)),
        point(max((pos ->> 0)::float8), max((pos ->> 1)::float8)))
    from jsonb_path_query(
        p_geometry,
        case
            when p_geometry ->> 'type' = 'Polygon' then 'strict $.coordinates[*][*]'::jsonpath
            else 'strict $.coordinates[*][*][*]'::jsonpath
        end
    ) as pos
    where public.ward_boundary_problem(p_geometry) is null
$$;

comment on function public.ward_boundary_bbox(jsonb) is
'Bounding box (x = longitude, y = latitude) of a GeoJSON Polygon/MultiPolygon; null for a null '
'or unsound geometry. Computes ward.bbox.';

create table public.ward (
    ward_id text primary key,
    ward_no integer not null,
    name text not null,
    zone text,
    boundary jsonb,
    bbox box generated always as (public.ward_boundary_bbox(boundary)) stored,
    source text,
    boundary_source text,
    created_at timestamptz not null default public.lokdarpan_now(),
    updated_at timestamptz not null default public.lokdarpan_now(),
    constraint ward_id_format check (ward_id ~ '^GHMC-[0-9]{3}$'),
    constraint ward_no_range check (ward_no between 1 and 150),
    constraint ward_ward_no_key unique (ward_no),
    constraint ward_id_matches_no check (ward_id = 'GHMC-' || lpad(ward_no::text, 3, '0')),
    constraint ward_name_trimmed check (name = btrim(name) and name <> ''),
    constraint ward_zone_known check (
        zone in ('East Zone', 'South Zone', 'Central Zone', 'West Zone', 'North Zone')
    ),
    constraint ward_boundary_geojson check (public.ward_boundary_problem(boundary) is null)
);

comment on table public.ward is
'GHMC wards (Greater Hyderabad Municipal Corporation, 150 wards in 5 zones): the unit every '
'ward-centric query keys on. Loaded by `lokdarpan-db import wards`.';
comment on column public.ward.ward_id is 'Stable key, GHMC-NNN with the zero-padded ward number (GHMC-091).';
comment on column public.ward.ward_no is 'GHMC ward number, 1-150; must agree with ward_id.';
comment on column public.ward.name is 'Ward name as GHMC spells it (Jubilee Hills); unique ignoring case.';
comment on column public.ward.zone is
'GHMC zone: East Zone, South Zone, Central Zone, West Zone or North Zone; null when unknown.';
comment on column public.ward.boundary is
'Ward boundary as a GeoJSON geometry object (Polygon or MultiPolygon, WGS 84 longitude/latitude); '
'null when no boundary is known. Validated by ward_boundary_problem().';
comment on column public.ward.bbox is
'Bounding box of boundary (x = longitude, y = latitude), maintained by the database; null without boundary.';
comment on column public.ward.source is 'Where the ward number, name and zone came from.';
comment on column public.ward.boundary_source is
'Where the boundary came from, with its attribution (e.g. OpenStreetMap relation, ODbL).';
comment on column public.ward.created_at is 'When the ward was first registered.';
comment on column public.ward.updated_at is 'When the ward last changed; maintained by the database.';

create unique index ux_ward_name_lower on public.ward (lower(name));
create index ix_ward_name_trgm on public.ward using gin (lower(name) gin_trgm_ops);
create index ix_ward_bbox on public.ward using gist (bbox);

comment on index public.ux_ward_name_lower is 'Ward names are unique ignoring case; resolves a post''s city.';
comment on index public.ix_ward_name_trgm is 'Trigram index for fuzzy ward lookup (ward_lookup).';
