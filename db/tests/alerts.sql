-- pgTAP: ward alerts. The analyst (tap_analyst, also the application's role) writes alerts,
-- a reader (tap_reader) reads them, an admin (tap_admin) may also delete them.
begin;
select plan(34);

select tap_ensure_personas();
set local timezone = 'Asia/Kolkata';
select tap_freeze_time('2025-08-01 09:00:00+05:30');

select has_table('public', 'alert', 'alerts live in table alert, as in the seed');
select columns_are(
    'public', 'alert',
    array[
        'id', 'ward', 'description', 'severity', 'opportunities', 'threats', 'actionable_alerts',
        'source_articles', 'created_at', 'updated_at'
    ],
    'the seed''s columns, nothing more'
);
select col_type_is('public', 'alert', 'threats', 'jsonb', 'payloads are jsonb, not text');
select has_index('public', 'alert', 'ix_alert_ward', array['ward'], 'the seed''s ward index');
select has_index(
    'public', 'alert', 'ix_alert_severity', array['severity', 'created_at'], 'the seed''s severity feed index'
);

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
select results_eq(
    $$select created_at, updated_at from alert where ward = 'Jubilee Hills'$$,
    $$values ('2025-08-01 09:00:00+05:30'::timestamptz, '2025-08-01 09:00:00+05:30'::timestamptz)$$,
    'created_at and updated_at start at the database clock'
);
select lives_ok(
    $$insert into alert (ward, severity) values ('Kapra', 'low')$$,
    'payloads may be left out'
);
select results_eq(
    $$select opportunities, threats, actionable_alerts, source_articles from alert where ward = 'Kapra'$$,
    $$values ('[]'::jsonb, '[]'::jsonb, '[]'::jsonb, '[]'::jsonb)$$,
    'and default to empty arrays'
);

-- Severity is one of four words.
select throws_ok(
    $$insert into alert (ward, severity) values ('Kapra', 'urgent')$$,
    '23514', 'new row for relation "alert" violates check constraint "alert_severity_known"',
    'an unknown severity is refused'
);
select throws_ok(
    $$insert into alert (ward, severity) values ('Kapra', 'High')$$,
    '23514', 'new row for relation "alert" violates check constraint "alert_severity_known"',
    'severities are lower case'
);
select throws_ok(
    $$insert into alert (ward) values ('Kapra')$$,
    '23502', 'null value in column "severity" of relation "alert" violates not-null constraint',
    'every alert has a severity'
);
select throws_ok(
    $$insert into alert (ward, severity) values ('  Kapra', 'low')$$,
    '23514', 'new row for relation "alert" violates check constraint "alert_ward_not_blank"',
    'a ward name has no surrounding spaces'
);

-- Payloads are JSON arrays.
select throws_ok(
    $$insert into alert (ward, severity, opportunities) values ('Kapra', 'low', 'Announce tanker schedule')$$,
    '22P02', 'invalid input syntax for type json',
    'a payload must be JSON'
);
select throws_ok(
    $$insert into alert (ward, severity, opportunities) values ('Kapra', 'low', '{"a": 1}')$$,
    '23514', 'new row for relation "alert" violates check constraint "alert_opportunities_array"',
    'opportunities must be a JSON array'
);
select throws_ok(
    $$insert into alert (ward, severity, threats) values ('Kapra', 'low', '"water"')$$,
    '23514', 'new row for relation "alert" violates check constraint "alert_threats_array"',
    'threats must be a JSON array'
);
select throws_ok(
    $$insert into alert (ward, severity, actionable_alerts) values ('Kapra', 'low', 'null')$$,
    '23514', 'new row for relation "alert" violates check constraint "alert_actionable_alerts_array"',
    'actionable_alerts must be a JSON array, not JSON null'
);
select throws_ok(
    $$insert into alert (ward, severity, source_articles) values ('Kapra', 'low', '["ftp://example.in/a"]')$$,
    '23514', 'new row for relation "alert" violates check constraint "alert_source_articles_urls"',
    'source articles are http(s) URLs'
);
select results_eq(
    $$select jsonb_is_url_array(v::jsonb) from (values
        ('["https://example.in/a", 42]'), ('"https://example.in/a"'), ('["javascript:alert(1)"]'),
        ('["https://exa mple.in/a"]'), ('["https://"]'), ('["example.in/a"]'), ('[null]'), ('{}'),
        ('["https://user@example.in/a"]'),
        ('[]'), ('["HTTPS://EXAMPLE.IN"]'), ('["https://example.in:8443/a/b?c=d&e=f#g"]')
      ) as t (v)$$,
    $$values (false), (false), (false), (false), (false), (false), (false), (false), (false),
        (true), (true), (true)$$,
    'non-strings, non-arrays, other schemes, spaces, missing hosts and credentials are not source URLs'
);

-- updated_at belongs to the database.
select tap_freeze_time('2025-08-01 11:30:00+05:30');
select lives_ok(
    $$update alert set description = 'Protests now in three colonies', severity = 'critical'
      where ward = 'Jubilee Hills'$$,
    'an analyst updates an alert'
);
select throws_ok(
    $$update alert set updated_at = '2020-01-01' where ward = 'Jubilee Hills'$$,
    '42501', 'permission denied for table alert',
    'an analyst cannot write updated_at'
);
select throws_ok(
    $$insert into alert (id, ward, severity) values (9999, 'Kapra', 'low')$$,
    '42501', 'permission denied for table alert',
    'nor choose an alert''s id'
);
select throws_ok(
    $$delete from alert where ward = 'Kapra'$$,
    '42501', 'permission denied for table alert',
    'nor delete alerts (the seed grants analysts SELECT, INSERT, UPDATE)'
);

-- Readers read; admins also delete.
set local role tap_reader;
select results_eq(
    $$select ward, severity from alert order by id$$,
    $$values ('Jubilee Hills'::varchar, 'critical'::varchar), ('Kapra', 'low')$$,
    'a reader reads alerts'
);
select throws_ok(
    $$insert into alert (ward, severity) values ('Kapra', 'low')$$,
    '42501', 'permission denied for table alert',
    'a reader cannot file alerts'
);
select throws_ok(
    $$update alert set severity = 'low'$$,
    '42501', 'permission denied for table alert',
    'nor change them'
);
set local role tap_outsider;
select throws_ok(
    $$select * from alert$$,
    '42501', 'permission denied for table alert',
    'a role outside LokDarpan cannot read alerts'
);
set local role tap_admin;
select lives_ok($$delete from alert where ward = 'Kapra'$$, 'an admin deletes alerts');
select is((select count(*)::int from alert), 1, 'one alert is left');

reset role;
select ok(
    has_sequence_privilege('lokdarpan_analyst', pg_get_serial_sequence('public.alert', 'id'), 'usage'),
    'analysts may draw alert ids from the identity sequence'
);
select is(
    has_function_privilege('public', 'jsonb_is_url_array(jsonb)', 'execute'), false,
    'PUBLIC cannot call the URL validator'
);
select ok(
    not jsonb_is_url_array('["http://example.com:99999/x"]')
    and not jsonb_is_url_array('["http://example.com:0/x"]')
    and not jsonb_is_url_array('["http://example.com:/x"]'),
    'a URL with an impossible port is refused'
);
select ok(
    jsonb_is_url_array('["http://example.com:65535/x", "https://[2001:db8::1]:8443/a", "http://localhost"]'),
    'ports up to 65535 and IPv6 literals are fine'
);
select ok(
    not jsonb_is_url_array(to_jsonb(array[e'http://example.com/a\u0007b'])),
    'a URL with a control character is refused'
);

select * from finish();
rollback;
