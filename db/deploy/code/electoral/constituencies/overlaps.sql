-- Deploy lokdarpan:code/electoral/constituencies/overlaps to pg
-- requires: electoral/constituencies
-- electoral_recompute_lock() and compute_ward_constituency(): ward/constituency overlaps from the boundaries, overrides applied.

create or replace function public.electoral_recompute_lock(p_what text)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
set lock_timeout = '10s'
as $$
declare
    holder integer;
begin
    lock table public.electoral_setting in share row exclusive mode;
exception when lock_not_available then
    select min(l.pid) into holder from pg_catalog.pg_locks as l
    where l.locktype = 'relation' and l.relation = 'public.electoral_setting'::pg_catalog.regclass and l.granted
        and l.mode in ('ShareRowExclusiveLock', 'RowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
        and l.pid <> pg_catalog.pg_backend_pid();
    raise exception '%: another recompute of the electoral tables is running (pid %); waited 10 s',
        left(p_what, 40), coalesce(holder::text, 'unknown')
        using errcode = 'lock_not_available',
        hint = 'Try again when its transaction ends; an abandoned session can be ended with pg_terminate_backend(pid).';
end
$$;

comment on function public.electoral_recompute_lock(text) is
'Called first by every function that rewrites the shared electoral tables: locks electoral_setting '
'(SHARE ROW EXCLUSIVE) for the transaction, waiting at most 10 s, then raises 55P03 naming the pid of the '
'session holding it. Runs as its caller: only the functions'' owner may take the lock.';

revoke execute on function public.electoral_recompute_lock(text) from public;

-- Recompute ward_constituency from the boundaries, then apply the overrides.
create or replace function public.compute_ward_constituency(p_sliver numeric default null)
returns table (ward_id text, constituencies integer, largest_fraction numeric, dropped_slivers integer, method text)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    shared numeric;
begin
    if p_sliver < 0 or p_sliver >= 0.5 then  -- NaN is above 0.5 for numeric
        raise exception 'compute_ward_constituency: sliver threshold must be in [0, 0.5), got %', p_sliver
            using errcode = '22023';
    end if;
    perform public.electoral_recompute_lock('compute_ward_constituency');
    select s.sliver_threshold into shared from public.electoral_setting as s;
    if p_sliver is not null and p_sliver <> shared then
        raise exception 'compute_ward_constituency: the sliver threshold is shared (electoral_setting.sliver_threshold = %), got %',
            shared, p_sliver
            using errcode = 'insufficient_privilege',
            hint = 'Call it without a threshold; an admin changes the setting (update electoral_setting set '
            'sliver_threshold = ..., or import constituencies --sliver).';
    end if;
    p_sliver := shared;
    if exists (
        select from public.ward_constituency_override as o
        group by o.ward_id having abs(sum(o.ward_fraction) - 1) > 0.0005
    ) then
        raise exception 'ward_constituency_override: the fractions of ward % do not add up to 1', (
            select o.ward_id from public.ward_constituency_override as o
            group by o.ward_id having abs(sum(o.ward_fraction) - 1) > 0.0005 order by 1 limit 1
        ) using errcode = 'check_violation';
    end if;

    -- Every overlap; covered is the part of the ward inside any AC: a sliver is judged against it,
    -- so a ward the constituency layer only partly covers keeps what it has.
    create temporary table ward_overlap on commit drop as
    select o.*, sum(o.area) over (partition by o.ward_id) as covered
    from (
        select
            w.ward_id,
            c.constituency_id,
            public.st_area(public.st_intersection(public.geojson_geometry(w.boundary), c.boundary)::public.geography)
                as area,
            public.st_area(c.boundary::public.geography) as constituency_area
        from public.ward as w
        inner join public.constituency as c
            on c.kind = 'AC'
            and public.st_intersects(public.geojson_geometry(w.boundary), c.boundary)
        where w.boundary is not null
    ) as o;

    delete from public.ward_constituency;

    insert into public.ward_constituency (
        ward_id, constituency_id, ward_fraction, constituency_fraction, overlap_area_m2, method, computed_at
    )
    select
        k.ward_id, k.constituency_id,
        round((k.area / sum(k.area) over (partition by k.ward_id))::numeric, 6),
        round((k.area / nullif(k.constituency_area, 0))::numeric, 6),
        k.area, 'computed', public.lokdarpan_now()
    from (
        select o.* from pg_temp.ward_overlap as o
        where o.area > 0 and o.area / nullif(o.covered, 0) >= p_sliver
    ) as k
    where k.ward_id not in (select v.ward_id from public.ward_constituency_override as v);

    -- An override's area is its share of the ward (the layers' overlap is what it overrides: issue 21,
    -- where the AC polygon may not touch the ward at all).
    insert into public.ward_constituency (ward_id, constituency_id, ward_fraction, constituency_fraction,
        overlap_area_m2, method, note, computed_at)
    select
        v.ward_id, v.constituency_id, v.ward_fraction, null,
        public.st_area(public.geojson_geometry(w.boundary)::public.geography) * v.ward_fraction::double precision,
        'override', v.reason, public.lokdarpan_now()
    from public.ward_constituency_override as v
    inner join public.ward as w on v.ward_id = w.ward_id;

    -- An AC that gains or loses a ward by override is no longer its polygon: its extent is the ward
    -- areas now assigned to it plus the part of its polygon outside every ward. constituency_fraction
    -- (the weight areal interpolation gives its votes) is each row's area over that extent, so the
    -- AC's votes are shared out once, among the wards the review put in it. Other ACs keep theirs.
    update public.ward_constituency as wc
    set constituency_fraction = least(1, round((wc.overlap_area_m2 / nullif(e.area, 0))::numeric, 6))
    from (
        select
            t.constituency_id,
            (select sum(x.overlap_area_m2) from public.ward_constituency as x where x.constituency_id = t.constituency_id)
            + greatest(0, coalesce(
                (
                    select max(o.constituency_area) - sum(o.area) from pg_temp.ward_overlap as o
                    where o.constituency_id = t.constituency_id
                ),
                public.st_area(c.boundary::public.geography)
            )) as area
        from (
            select v.constituency_id from public.ward_constituency_override as v
            union
            select o.constituency_id from pg_temp.ward_overlap as o
            where o.ward_id in (select v.ward_id from public.ward_constituency_override as v)
        ) as t
        inner join public.constituency as c on t.constituency_id = c.constituency_id
    ) as e
    where wc.constituency_id = e.constituency_id;

    return query
    select
        wc.ward_id,
        count(*)::integer,
        max(wc.ward_fraction),
        (
            select count(*)::integer from pg_temp.ward_overlap as o
            where o.ward_id = wc.ward_id and o.area > 0 and o.area / nullif(o.covered, 0) < p_sliver
        ),
        min(wc.method)::text
    from public.ward_constituency as wc
    group by wc.ward_id
    order by wc.ward_id;
    drop table pg_temp.ward_overlap;
end
$$;

comment on function public.compute_ward_constituency(numeric) is
'Recomputes ward_constituency from ward and AC boundaries (PostGIS overlap areas on the spheroid): '
'overlaps smaller than the shared electoral_setting.sliver_threshold (default 0.02 = 2 %; p_sliver may only '
'repeat it, 42501 otherwise: admins change the setting) of the ward''s covered area (the part inside any '
'AC) are dropped as slivers where the two layers disagree, the rest are rescaled so each ward''s '
'fractions add up to 1; wards with rows in '
'ward_constituency_override take those instead (method override, area = the ward''s area times the '
'fraction), and the constituency_fraction of every AC an override moves a ward into or out of is re-based '
'on its reviewed extent. Returns one row per ward: how many '
'constituencies, the largest fraction, how many slivers were dropped, and the method. SECURITY '
'DEFINER (analysts may recompute), executable by lokdarpan_analyst.';

revoke execute on function public.compute_ward_constituency(numeric) from public;

grant execute on function public.compute_ward_constituency(numeric) to lokdarpan_analyst;
