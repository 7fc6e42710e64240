-- pgTAP: the derived ward tables (schema change electoral/ward_analytics). How they are computed is
-- told by db/tests/code/electoral/ward_analytics/features.sql.
begin;
select tap_ensure_personas();
select plan(5);

select has_table('public', 'result_ward_agg', 'table result_ward_agg exists');
select has_table('public', 'ward_profile', 'table ward_profile exists');
select has_table('public', 'ward_demographics', 'table ward_demographics exists');
select has_table('public', 'ward_features', 'table ward_features exists');
set local role tap_analyst;
select throws_ok(
    $$delete from result_ward_agg$$, '42501', 'permission denied for table result_ward_agg',
    'an analyst recomputes the derived tables through the functions, never by hand'
);
reset role;

select * from finish();
rollback;
