-- pgTAP: code/electoral/registry/constituencies — a campaign admin's Form 20 import finds or makes
-- its AC and PC; the name the file gives is matched as a results file's would be
-- (constituency_name_match()): a spelling of the registered one is accepted and the registry's name
-- kept, another constituency's name or one like none refuses the file.
begin;
select tap_ensure_personas();
select plan(15);

insert into constituency (state_code, kind, number, name) values
('S29', 'PC', 11, 'Mahbubnagar'),
('S29', 'PC', 14, 'Bhongir');
insert into constituency (state_code, kind, number, name, pc_id) values
('S29', 'AC', 74, 'Mahbubnagar', (
    select constituency_id from constituency
    where kind = 'PC' and number = 11
)),
('S29', 'AC', 94, 'Bhongir', null);

set local role tap_admin;
select results_eq(
    $$select created, name, how from form20_constituency('S29', 'AC', 74, 'Mahabubnagar', null, 'f.csv')$$,
    $$values (false, 'Mahbubnagar', 'trigram')$$,
    'Mahabubnagar is a spelling of AC 74 Mahbubnagar, as in a results file: the registry''s name is kept'
);
select results_eq(
    $$select created, name, how from form20_constituency('S29', 'AC', 94, 'Bhuvanagiri', null, 'f.csv')$$,
    $$values (false, 'Bhongir', 'alias')$$,
    'Bhuvanagiri is Bhongir by a recorded alias'
);
select results_eq(
    $$select name, how from form20_constituency('S29', 'AC', 74, 'MAHBUBNAGAR', null, 'f.csv')$$,
    $$values ('Mahbubnagar', 'exact')$$,
    'the same name in capitals is the same name'
);
select is(
    (
        select name::text from constituency
        where state_code = 'S29' and kind = 'AC' and number = 74
    ), 'Mahbubnagar',
    'a file''s spelling never renames the registry''s constituency'
);
select is(
    (select problem from form20_constituency('S29', 'AC', 74, 'Xyzpur', null, 'f.csv')),
    'AC 74 is named ''Xyzpur'' in the file but ''Mahbubnagar'' in the registry, and the name matches no AC of '
    'state S29 closely enough (similarity at least 0.50); correct the file''s label or give the right number',
    'a name like none is refused, as a results file''s is'
);
select is(
    (select problem from form20_constituency('S29', 'AC', 75, 'Bhuvanagiri', null, 'f.csv')),
    'AC 75 is named ''Bhuvanagiri'' in the file, which is AC 94 ''Bhongir'' in the registry (matched by a recorded '
    'alias): the file''s numbering is not the registry''s; give the right number',
    'another AC''s name is refused: the file is numbered otherwise'
);
select is(
    (
        select count(*)::int from constituency
        where state_code = 'S29' and kind = 'AC' and number = 75
    ), 0,
    'a refusal writes nothing'
);

-- New constituencies: named by the file, or a placeholder the next file's name replaces.
select results_eq(
    $$select created, name from form20_constituency('S29', 'PC', 12, null, null, 'f.csv')$$,
    $$values (true, 'PC 12')$$,
    'a PC the sources do not name is registered as PC 12'
);
select results_eq(
    $$select created, name, how from form20_constituency('S29', 'PC', 12, 'Nagarkurnool', null, 'f.csv')$$,
    $$values (false, 'Nagarkurnool', 'placeholder')$$,
    'a later file''s name replaces the placeholder'
);
select results_eq(
    $$select created, name, pc_id = (select constituency_id from constituency where kind = 'PC' and number = 12)
      from form20_constituency('S29', 'AC', 81, 'Nagarkurnool', (select constituency_id from constituency where kind = 'PC' and number = 12), 'f.csv')$$,
    $$values (true, 'Nagarkurnool', true)$$,
    'a new AC is made with its name and its PC'
);
select results_eq(
    $$select pc_id = (select constituency_id from constituency where kind = 'PC' and number = 14)
      from form20_constituency('S29', 'AC', 94, null, (select constituency_id from constituency where kind = 'PC' and number = 14), 'f.csv')$$,
    $$values (true)$$,
    'an AC without a PC gets the file''s'
);
select results_eq(
    $$select pc_id = (select constituency_id from constituency where kind = 'PC' and number = 11)
      from form20_constituency('S29', 'AC', 74, null, (select constituency_id from constituency where kind = 'PC' and number = 14), 'f.csv')$$,
    $$values (true)$$,
    'an AC linked to another PC keeps its link (the importer reports it)'
);
select throws_ok(
    $$select * from form20_constituency('S29', 'AC', 1000, null, null, 'f.csv')$$,
    '22023', 'form20_constituency: a constituency number is 1-999, got 1000',
    'a number is 1-999'
);
select throws_ok(
    $$select * from form20_constituency('S29', 'AC', 1, ' Bhuj', null, 'f.csv', 'NaN')$$,
    '22023', 'form20_constituency: the name '' Bhuj'' must be trimmed, non-empty and at most 120 characters',
    'a name is trimmed'
);

reset role;
set local role tap_analyst;
select throws_ok(
    $$select * from form20_constituency('S29', 'AC', 1, 'Sirpur', null, 'f.csv')$$,
    '42501', null,
    'an analyst cannot register constituencies'
);

select * from finish();
rollback;
