-- pgTAP: a post's day is its calendar day in Hyderabad; a statement's changes net out per ward,
-- day and author (no ward, no count); applying them is for the triggers' owner only.
begin;
select tap_ensure_personas();
select plan(6);

select is(
    public.ward_post_day('2025-07-31 18:29:59+00'), date '2025-07-31', '23:59:59 IST is still the 31st'
);
select is(
    public.ward_post_day('2025-07-31 18:30:00+00'), date '2025-08-01', 'midnight IST starts the 1st'
);
set local timezone = 'America/Los_Angeles';
select is(
    public.ward_post_day('2025-08-01 00:30+05:30'), date '2025-08-01', 'whatever the session''s TimeZone'
);
reset timezone;

select results_eq(
    $$select ward_id, day, author_id, posts, positive, negative, bjp, no_party
      from public.ward_post_deltas(array[
        row('GHMC-001', timestamptz '2025-08-01 09:00+05:30', 7, 'positive', 'BJP', 1),
        row('GHMC-001', timestamptz '2025-08-01 10:00+05:30', 7, 'negative', null, 1),
        row('GHMC-001', timestamptz '2025-08-01 11:00+05:30', 7, 'positive', 'BJP', -1),
        row(null, timestamptz '2025-08-01 11:00+05:30', 7, 'positive', 'BJP', 1)
      ]::public.ward_post_change [])$$,
    $$values ('GHMC-001'::text, date '2025-08-01', 7, 1, 0, 1, 0, 1)$$,
    'signed changes net out per ward, day and author; a post without a ward counts nowhere'
);

select ok(
    not has_function_privilege('public', 'public.post_rollup_apply(public.ward_post_delta [])', 'execute'),
    'PUBLIC may not apply deltas to the rollups'
);
set local role tap_analyst;
select throws_ok(
    $$select public.post_rollup_apply(array[]::public.ward_post_delta [])$$,
    '42501', 'permission denied for function post_rollup_apply',
    'an analyst may not write the rollups directly'
);
reset role;

select * from finish();
rollback;
