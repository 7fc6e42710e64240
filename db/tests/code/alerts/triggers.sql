-- pgTAP: alert.updated_at belongs to the database (code/alerts/triggers: touch_updated_at()).
begin;
select plan(7);

select tap_ensure_personas();
set local timezone = 'Asia/Kolkata';
select tap_freeze_time('2025-08-01 09:00:00+05:30');

-- The analyst files an alert.
set local role tap_analyst;
select lives_ok(
    $$insert into alert (ward, description, severity, opportunities, threats, actionable_alerts, source_articles)
      values ('Jubilee Hills', 'Water supply protests spreading to Rahmath Nagar', 'high',
              '["Announce tanker schedule"]', '[{"issue": "water", "trend": "rising"}]',
              '["Visit Rahmath Nagar on Sunday"]',
              '["https://www.eenadu.net/telangana/news/123?utm=x#top", "http://localhost:8080/archive/7"]')$$,
    'an analyst files a well-formed alert'
);

-- updated_at belongs to the database.
select tap_freeze_time('2025-08-01 11:30:00+05:30');
select lives_ok(
    $$update alert set description = 'Protests now in three colonies', severity = 'critical'
      where ward = 'Jubilee Hills'$$,
    'an analyst updates an alert'
);
select results_eq(
    $$select created_at, updated_at from alert where ward = 'Jubilee Hills'$$,
    $$values ('2025-08-01 09:00:00+05:30'::timestamptz, '2025-08-01 11:30:00+05:30'::timestamptz)$$,
    'updated_at moves to the time of the change, created_at stays'
);
select tap_freeze_time('2025-08-01 12:00:00+05:30');
update alert set severity = 'critical'
where ward = 'Jubilee Hills';
select is(
    (
        select updated_at from alert
        where ward = 'Jubilee Hills'
    ), '2025-08-01 11:30:00+05:30'::timestamptz,
    'an update that changes nothing leaves updated_at alone'
);
set local role tap_admin;
select lives_ok(
    $$update alert set updated_at = '2020-01-01', threats = '[]' where ward = 'Jubilee Hills'$$,
    'an admin may name updated_at in an update'
);
select is(
    (
        select updated_at from alert
        where ward = 'Jubilee Hills'
    ), '2025-08-01 12:00:00+05:30'::timestamptz,
    'but the database still sets it to the time of the change'
);
reset role;
select tap_freeze_time('2025-08-02 10:00:00+05:30');
update alert set opportunities = '[1.0]'
where ward = 'Jubilee Hills';
select tap_freeze_time('2025-08-02 11:00:00+05:30');
update alert set opportunities = '[1.00]'
where ward = 'Jubilee Hills';
select results_eq(
    $$select opportunities::text, updated_at from alert where ward = 'Jubilee Hills'$$,
    $$values ('[1.00]', '2025-08-02 11:00:00+05:30'::timestamptz)$$,
    '[1.0] to [1.00] is a change: updated_at moves (jsonb equality alone would call them equal)'
);

select * from finish();
rollback;
