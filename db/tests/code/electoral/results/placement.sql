-- pgTAP: code/electoral/results/placement — place_polling_stations() places stations in the ward they
-- stand in.
begin;
select tap_ensure_personas();
select plan(6);

select tap_electoral_one_ac_results();

select has_function('public', 'place_polling_stations', array[]::text [], 'place_polling_stations() exists');
select is_definer('public', 'place_polling_stations', array[]::text [], 'place_polling_stations() runs as its owner (security definer)');
select isnt(obj_description('public.place_polling_stations()'::regprocedure, 'pg_proc'), null, 'place_polling_stations() says what it does');
select ok(not has_function_privilege('public', 'public.place_polling_stations()'::regprocedure, 'execute'), 'PUBLIC may not execute place_polling_stations()');

-- Polling stations: range-checked, placed in the ward they stand in.
select tap_electoral_polling_stations();
select results_eq(
    $$select * from place_polling_stations()$$,
    $$values (2, 1, 1)$$,
    'two stations are placed by their point, one lies outside every ward, one has no location'
);
select results_eq(
    $$select serial::text, ward_id, ward_name::text from polling_station order by serial$$,
    $$values ('1', 'GHMC-001', 'West Ward'), ('2', 'GHMC-001', 'West Ward'), ('3', null, null), ('4', null, null)$$,
    'placed stations link to the ward registry'
);

select * from finish();
rollback;
