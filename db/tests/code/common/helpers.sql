-- pgTAP: the shared helpers every domain uses. The generic triggers are shown on a scratch table
-- of this transaction; the tables that attach them (ward, alert, ...) tell their own story.
begin;
select plan(14);

select tap_ensure_personas();
select tap_freeze_time('2025-08-01 09:00:00+05:30');

-- input_excerpt: how an error message names what a user typed.
select is(input_excerpt('GHMC-095'), '''GHMC-095''', 'a short value is quoted whole');
select is(input_excerpt(repeat('x', 20)), quote_literal(repeat('x', 20)), 'twenty characters are still quoted whole');
select is(
    input_excerpt(repeat('y', 21)), quote_literal(repeat('y', 20)) || '... (21 characters)',
    'a longer value: its first twenty characters and its length'
);
select is(
    input_excerpt(repeat('z', 100000)), quote_literal(repeat('z', 20)) || '... (100000 characters)',
    'a huge value is never echoed whole'
);
select is(input_excerpt(null), 'null', 'null is named null');
select is(input_excerpt('O''Neil'), '''O''''Neil''', 'quotes inside the value are doubled, so the excerpt reads unambiguously');
select is(
    (
        select provolatile::text || proparallel::text || prosecdef::text from pg_proc
        where oid = 'input_excerpt(text)'::regprocedure
    ),
    'isfalse', 'input_excerpt is immutable, parallel safe and security invoker'
);

-- touch_updated_at and keep_created_at on a table of this test.
create table tap_touched (
    id integer primary key,
    payload jsonb,
    note text,
    doubled integer generated always as (id * 2) stored,
    created_at timestamptz not null default lokdarpan_now(),
    updated_at timestamptz not null default lokdarpan_now()
);
create trigger tap_touched_a_keep_created_at before update on tap_touched
for each row execute function keep_created_at();
create trigger tap_touched_b_touch before update on tap_touched
for each row execute function touch_updated_at();
insert into tap_touched (id, payload, note) values (1, '[1.0]', 'first');

select tap_freeze_time('2025-08-02 09:00:00+05:30');
update tap_touched set note = note, updated_at = '2030-01-01'
where id = 1;
select is(
    (
        select updated_at from tap_touched
        where id = 1
    ), '2025-08-01 09:00:00+05:30'::timestamptz,
    'a no-op update keeps updated_at, whatever value the writer gave it'
);
update tap_touched set note = 'second'
where id = 1;
select is(
    (
        select updated_at from tap_touched
        where id = 1
    ), '2025-08-02 09:00:00+05:30'::timestamptz,
    'a real change stamps updated_at with the database clock'
);
select tap_freeze_time('2025-08-03 09:00:00+05:30');
update tap_touched set payload = '[1.00]'
where id = 1;
select is(
    (
        select updated_at from tap_touched
        where id = 1
    ), '2025-08-03 09:00:00+05:30'::timestamptz,
    '[1.0] -> [1.00] is a change as stored, though jsonb equality calls them equal'
);
alter table tap_touched add column extra text;
select tap_freeze_time('2025-08-04 09:00:00+05:30');
update tap_touched set extra = 'new column'
where id = 1;
select is(
    (
        select updated_at from tap_touched
        where id = 1
    ), '2025-08-04 09:00:00+05:30'::timestamptz,
    'a column added later counts without editing the trigger'
);
select tap_freeze_time('2025-08-05 09:00:00+05:30');
update tap_touched set created_at = '2020-01-01'
where id = 1;
select is(
    (
        select array[created_at, updated_at] from tap_touched
        where id = 1
    ),
    array['2025-08-01 09:00:00+05:30', '2025-08-04 09:00:00+05:30']::timestamptz [],
    'keep_created_at: created_at cannot be rewritten, and a rewrite alone is no change'
);

select is(
    (
        select count(*)::integer from pg_proc
        where oid in ('touch_updated_at()'::regprocedure, 'keep_created_at()'::regprocedure)
            and has_function_privilege('public', oid, 'execute')
    ), 0, 'the trigger functions are not callable by PUBLIC'
);
select is(
    (
        select count(*)::integer from pg_proc
        where oid in ('touch_updated_at()'::regprocedure, 'keep_created_at()'::regprocedure)
            and not prosecdef
    ), 2, 'and they run as the writer (security invoker)'
);

select * from finish();
rollback;
