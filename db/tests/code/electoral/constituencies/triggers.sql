-- pgTAP: code/electoral/constituencies/triggers — an AC's pc_id names a PC of its state.
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

select has_function('public', 'constituency_check_pc', array[]::text [], 'constituency_check_pc() exists');
select isnt_definer('public', 'constituency_check_pc', array[]::text [], 'constituency_check_pc() runs as its caller (security invoker)');
select isnt(obj_description('public.constituency_check_pc()'::regprocedure, 'pg_proc'), null, 'constituency_check_pc() says what it does');
select ok(not has_function_privilege('public', 'public.constituency_check_pc()'::regprocedure, 'execute'), 'PUBLIC may not execute constituency_check_pc()');
select trigger_is('public', 'constituency', 'constituency_check_pc', 'public', 'constituency_check_pc', 'trigger constituency_check_pc on constituency runs constituency_check_pc()');

select throws_ok(
    $$insert into constituency (state_code, kind, number, name, pc_id)
      select 'S29', 'AC', 903, 'C', constituency_id from constituency where name = 'A'$$,
    '23514', null,
    'an AC''s pc_id must name a PC'
);

select * from finish();
rollback;
