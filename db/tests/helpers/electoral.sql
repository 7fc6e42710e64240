-- pgTAP helpers: the electoral suites' fixtures. tap_box() is the rectangle lon x1-x2, lat 17.40-17.42
-- as GeoJSON (equal-width rectangles have equal areas, so the overlap fractions are exact).
-- tap_electoral_two_acs() empties the ward registry and makes the "two ACs over four wards" case:
-- wards W1 78.40-78.41, W2 78.41-78.43, W3 78.43-78.44 (and W4 78.3901-78.4001, a sliver, unless
-- p_edge_ward is false); AC 901 'A' 78.40-78.42 and AC 902 'B' 78.42-78.44 (under PC 9 'Hyderabad'
-- unless p_pc is false). tap_electoral_one_ac_results() empties the ward registry and makes the
-- "one AC with results" case: ward GHMC-001, AC 901 'A', the 2023 assembly and 2020 GHMC elections,
-- and AC 901's 2023 result (Asha BRS 600, Ravi INC 300, Sita BJP 100, NOTA 10; 1,010 valid votes).
-- tap_form20_stage_file() stages a Form 20 file of three stations and two candidates as the importer
-- would (the third station's votes a parameter).
-- tap_electoral_polling_stations() adds AC 901's four polling stations (two in GHMC-001, one outside
-- every ward, one without coordinates).

create or replace function public.tap_box(p_x1 numeric, p_x2 numeric)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if p_x1 is null or p_x2 is null or p_x1 = 'NaN' or p_x2 = 'NaN' then
        raise exception 'tap_box needs two finite longitudes, got % and %', p_x1, p_x2
            using errcode = 'invalid_parameter_value';
    end if;
    return jsonb_build_object('type', 'Polygon', 'coordinates', jsonb_build_array(jsonb_build_array(
        jsonb_build_array(p_x1, 17.40), jsonb_build_array(p_x2, 17.40), jsonb_build_array(p_x2, 17.42),
        jsonb_build_array(p_x1, 17.42), jsonb_build_array(p_x1, 17.40)
    )));
end
$fn$;

comment on function public.tap_box(numeric, numeric) is
'pgTAP helper: the GeoJSON rectangle from longitude x1 to x2, latitude 17.40 to 17.42.';

create or replace function public.tap_electoral_two_acs(p_edge_ward boolean default true, p_pc boolean default true)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $fn$
begin
    if p_edge_ward is null or p_pc is null then
        raise exception 'tap_electoral_two_acs: p_edge_ward (%) and p_pc (%) must be true or false', p_edge_ward, p_pc
            using errcode = 'null_value_not_allowed';
    end if;
    truncate ward cascade;
    insert into ward (ward_id, ward_no, name, zone, boundary) values
    ('GHMC-001', 1, 'West Ward', 'West Zone', public.tap_box(78.40, 78.41)),
    ('GHMC-002', 2, 'Middle Ward', 'West Zone', public.tap_box(78.41, 78.43)),
    ('GHMC-003', 3, 'East Ward', 'West Zone', public.tap_box(78.43, 78.44));
    if p_edge_ward then
        insert into ward (ward_id, ward_no, name, zone, boundary) values
        ('GHMC-004', 4, 'Edge Ward', 'West Zone', public.tap_box(78.3901, 78.4001));
    end if;

    if p_pc then
        insert into constituency (state_code, kind, number, name) values ('S29', 'PC', 9, 'Hyderabad');
    end if;
    insert into constituency (state_code, kind, number, name, pc_id, boundary)
    select
        'S29',
        'AC',
        v.n,
        v.name,
        case
            when p_pc then (
                select c.constituency_id from constituency as c
                where c.kind = 'PC'
            )
        end,
        public.geojson_geometry(public.tap_box(v.x1, v.x2))
    from (values (901, 'A', 78.40, 78.42), (902, 'B', 78.42, 78.44)) as v (n, name, x1, x2);
end
$fn$;

comment on function public.tap_electoral_two_acs(boolean, boolean) is
'pgTAP helper: empties the ward registry; wards GHMC-001..003 (and the sliver GHMC-004 unless '
'p_edge_ward is false), ACs 901 ''A'' and 902 ''B'' (under PC 9 ''Hyderabad'' unless p_pc is false).';

create or replace function public.tap_electoral_one_ac_results()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $fn$
begin
    truncate ward cascade;
    insert into ward (ward_id, ward_no, name, zone, boundary) values
    ('GHMC-001', 1, 'West Ward', 'West Zone', public.tap_box(78.40, 78.41));
    insert into constituency (state_code, kind, number, name) values ('S29', 'AC', 901, 'A');
    insert into election (type, year, state_code) values ('ASSEMBLY', 2023, 'S29'), ('GHMC', 2020, 'S29');

    -- Shares are computed from the votes, as ECI computes percent_votes (NOTA in the denominator).
    insert into constituency_result (
        election_id, constituency_id, candidate, party_id, party_as_published,
        evm_votes, postal_votes, total_votes, published_percent
    )
    select
        (
            select e.id from election as e
            where e.type = 'ASSEMBLY'
        ),
        (select c.constituency_id from constituency as c),
        v.c,
        public.party_resolve(v.p),
        v.p,
        v.e,
        v.v - v.e,
        v.v,
        v.pct
    from (
        values ('Asha', 'Bharat Rashtra Samithi', 590, 600, 59.41), ('Ravi', 'Indian National Congress', 300, 300, 29.70),
        ('Sita', 'Bharatiya Janata Party', 100, 100, 9.90), ('None of the Above', 'None of the Above', 10, 10, 0.99))
        as v (c, p, e, v, pct);
end
$fn$;

comment on function public.tap_electoral_one_ac_results() is
'pgTAP helper: empties the ward registry; ward GHMC-001, AC 901 ''A'', the 2023 assembly and 2020 GHMC '
'elections, and AC 901''s 2023 result (Asha, Ravi, Sita, NOTA; 1,010 valid votes).';

create or replace function public.tap_form20_stage_file(p_votes_third integer [] default array[6, 1])
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $fn$
begin
    if cardinality(p_votes_third) is distinct from 2 or array_position(p_votes_third, null) is not null then
        raise exception 'tap_form20_stage_file needs the third station''s two candidates'' votes, got %', p_votes_third
            using errcode = 'invalid_parameter_value';
    end if;
    -- plpgsql: form20_stage() makes the temporary staging tables this function then fills
    perform public.form20_stage();
    insert into pg_temp.form20_station
    (line, serial, serial_db, occurrence, first_line, total_valid, rejected, nota, total, tendered, votes)
    values
    (3, '1', '1', 1, 3, 15, 1, 2, 18, 0, array[10, 5]),
    (4, '2', '2', 1, 4, 7, 0, 1, 8, 0, array[3, 4]),
    (5, '2', '2Z', 2, 4, 7, 0, 0, 7, null, p_votes_third);
    insert into pg_temp.form20_candidate (idx, candidate, party_id)
    values (1, 'Asha Rao', public.party_resolve('BJP')), (2, 'Ravi Kumar', public.party_resolve('INC'));
end
$fn$;

comment on function public.tap_form20_stage_file(integer []) is
'pgTAP helper: stages a Form 20 file as the importer would: three stations (the third, a second '
'occurrence of serial 2, with the given votes) of two candidates, Asha Rao (BJP) and Ravi Kumar (INC).';

create or replace function public.tap_electoral_polling_stations()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $fn$
begin
    -- after tap_electoral_one_ac_results(): the only constituency is AC 901
    insert into polling_station (ps_id, constituency_id, serial, lat, lon)
    select
        'S29-AC901-' || v.s,
        (select c.constituency_id from constituency as c),
        v.s,
        v.lat,
        v.lon
    from (values ('1', 17.41, 78.405), ('2', 17.41, 78.406), ('3', 17.50, 78.50), ('4', null, null)) as v (s, lat, lon);
end
$fn$;

comment on function public.tap_electoral_polling_stations() is
'pgTAP helper: AC 901''s four polling stations: 1 and 2 inside ward GHMC-001, 3 outside every ward, '
'4 without coordinates (after tap_electoral_one_ac_results()).';
