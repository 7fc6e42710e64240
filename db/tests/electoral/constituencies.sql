-- pgTAP: constituencies and their constraints (schema change electoral/constituencies).
begin;
select tap_ensure_personas();
select plan(6);

select tap_electoral_two_acs();

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
