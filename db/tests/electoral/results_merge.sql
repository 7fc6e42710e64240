-- pgTAP: electoral/results_merge — constituency_alias: the names no spelling rule reaches, each with
-- its source, keyed so that an alias can be recorded before its constituency is imported.
begin;
select tap_ensure_personas();
select plan(5);

select has_table('public', 'constituency_alias', 'the alias table is there');
select is(
    (
        select number from constituency_alias
        where state_code = 'S29' and kind = 'PC' and alias = 'Bhuvanagiri'
    ),
    14, 'Bhuvanagiri is recorded as the Telugu name of PC 14 Bhongir'
);
select is(
    (
        select alias_key from constituency_alias
        where kind = 'AC' and number = 94
    ),
    constituency_name_key('Bhuvanagiri'), 'the alias is compared in the form every name is'
);
select throws_ok(
    $$insert into constituency_alias (state_code, kind, number, alias, note) values ('S29', 'AC', 1, 'Sirpur', ' ')$$,
    '23514', null, 'an alias says why it is right'
);
select throws_ok(
    $$insert into constituency_alias (state_code, kind, number, alias, note) values ('S29', 'PC', 14, ' BHUVANAGIRI', 'x')$$,
    '23514', null, 'an alias is written trimmed'
);

select * from finish();
rollback;
