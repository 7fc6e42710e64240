-- pgTAP: code/electoral/constituencies/triggers — an AC's pc_id names a PC of its state.
begin;
select tap_ensure_personas();
select plan(6);

select tap_electoral_two_acs();

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
