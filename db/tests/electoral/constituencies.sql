-- pgTAP: constituencies and their constraints (schema change electoral/constituencies).
begin;
select tap_ensure_personas();
select plan(6);

truncate ward cascade;
create function pg_temp.box(x1 numeric, x2 numeric) returns jsonb language sql as $$
    select jsonb_build_object('type', 'Polygon', 'coordinates', jsonb_build_array(jsonb_build_array(
        jsonb_build_array(x1, 17.40), jsonb_build_array(x2, 17.40), jsonb_build_array(x2, 17.42),
        jsonb_build_array(x1, 17.42), jsonb_build_array(x1, 17.40))))
$$;
insert into ward (ward_id, ward_no, name, zone, boundary) values
('GHMC-001', 1, 'West Ward', 'West Zone', pg_temp.box(78.40, 78.41)),
('GHMC-002', 2, 'Middle Ward', 'West Zone', pg_temp.box(78.41, 78.43)),
('GHMC-003', 3, 'East Ward', 'West Zone', pg_temp.box(78.43, 78.44)),
('GHMC-004', 4, 'Edge Ward', 'West Zone', pg_temp.box(78.3901, 78.4001));

insert into constituency (state_code, kind, number, name) values ('S29', 'PC', 9, 'Hyderabad');
insert into constituency (state_code, kind, number, name, pc_id, boundary)
select
    'S29',
    'AC',
    n,
    name,
    (
        select constituency_id from constituency
        where kind = 'PC'
    ),
    public.geojson_geometry(pg_temp.box(x1, x2))
from (values (901, 'A', 78.40, 78.42), (902, 'B', 78.42, 78.44)) as v (n, name, x1, x2);

select has_table('public', 'constituency', 'table constituency exists');
select has_table('public', 'ward_constituency', 'table ward_constituency exists');
select has_table('public', 'ward_constituency_override', 'table ward_constituency_override exists');
select has_table('public', 'electoral_setting', 'table electoral_setting exists');
select is((select count(*)::integer from electoral_setting), 1, 'electoral_setting has its one row');

select throws_ok(
    $$insert into constituency (state_code, kind, number, name) values ('S29', 'AC', 901, 'Again')$$,
    '23505', 'duplicate key value violates unique constraint "constituency_state_kind_number_key"',
    'constituencies are numbered once per state and kind'
);

select * from finish();
rollback;
