-- pgTAP: validate_data_integrity(). A small clean world passes every check; then each check's own
-- defect is planted (as the superuser that runs the suite: session_replication_role = replica skips
-- triggers and foreign keys, catalog updates fake what constraints refuse) and that check, PASS just
-- before, reports it. A monitoring login (readonly) may run it; other roles may not.
begin;
select tap_ensure_personas();
select plan(64);

select has_function('public', 'validate_data_integrity', array['text[]'], 'validate_data_integrity(text[]) exists');
select is_definer('public', 'validate_data_integrity', array['text[]'], 'validate_data_integrity() runs as its owner (security definer)');
select isnt(obj_description('public.validate_data_integrity(text[])'::regprocedure, 'pg_proc'), null, 'validate_data_integrity() says what it does');
select ok(not has_function_privilege('public', 'public.validate_data_integrity(text[])'::regprocedure, 'execute'), 'PUBLIC may not execute validate_data_integrity()');

select tap_freeze_time('2025-08-10 12:00:00+05:30');
select count(*) from ai_execution_ensure_partitions(3);
-- post's months for the same frozen weeks (pg_partman makes them around the real date only).
set local timezone = 'UTC';
select partman.create_partition_time(
    'public.post', array['2025-08-01', '2025-09-01', '2025-10-01', '2025-11-01']::timestamptz []
);
reset timezone;

-- The status and count of one check.
create function pg_temp.chk(p_name text)
returns text
language sql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $$
    select status || ' ' || record_count from public.validate_data_integrity(array[p_name])
$$;

-- A clean world: two wards (one with a boundary), authors, posts, an e-paper, an embedding, a
-- budget with a settled call, a polling station placed in its ward, a report being processed.
insert into ward (ward_id, ward_no, name, zone, boundary) values
(
    'GHMC-091', 91, 'Khairatabad', 'Central Zone',
    '{"type": "Polygon", "coordinates": [[[78.40, 17.40], [78.41, 17.40], [78.41, 17.42], [78.40, 17.42], [78.40, 17.40]]]}'
),
('GHMC-095', 95, 'Jubilee Hills', 'Central Zone', null);
insert into author (id, name) values (7001, 'Ravi Reddy'), (7002, 'Deccan Desk');
insert into epaper (publication_name, publication_date, raw_text) values ('Siasat Daily', '2025-08-09', 'Edition text');
insert into post (id, text, author_id, city, emotion, party, created_at) values
(8001, 'Water supply restored in Khairatabad', 7001, 'Khairatabad', 'positive', 'BRS', '2025-08-09 10:00+05:30'),
(8002, 'Road works delayed again', 7001, 'khairatabad', 'negative', null, '2025-08-09 11:00+05:30'),
(8003, 'Metro phase two announced', 7002, 'Hyderabad', 'neutral', 'INC', '2025-08-09 12:00+05:30');
insert into ai_embedding_store (id, source_type, content_chunk, embedding, embedding_model, ward_context)
values (
    9001, 'news', 'Jubilee Hills residents ask for parks',
    array_fill(0.1::real, array[768])::vector, 'nomic-embed-text-v1.5', 'Jubilee Hills'
);
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd)
values (1101, 'monthly', '2025-08', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 10.00);
insert into ai_model_execution (request_id, operation_type, provider, model_name, cost_usd, success_status)
values ('integrity-1', 'report_generation', 'openai', 'gpt-4o', 0.50, 'success');
select count(*) from ai_budget_settle(
    (select reservation_id from ai_budget_reserve(1101, 1, 'openai', 'report_generation')),
    (
        select id from ai_model_execution
        where request_id = 'integrity-1'
    )
);
insert into constituency (state_code, kind, number, name) values ('S29', 'AC', 901, 'A');
insert into polling_station (ps_id, constituency_id, serial, lat, lon, ward_id)
select
    'S29-AC901-1',
    constituency_id,
    '1',
    17.41,
    78.405,
    'GHMC-091'
from constituency;
insert into "user" (id, username, email, email_index, password_hash)
values (9101, 'integrity_tap', tap_fernet_token('integrity_tap@example.org'), tap_email_index('integrity_tap@example.org'), '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA');
insert into ai_geopolitical_report (user_id, query_text, query_hash, status, lease_owner, lease_expires_at)
values (9101, 'Who leads in Khairatabad?', repeat('a', 64), 'processing', 'worker-1', lokdarpan_now() + interval '5 minutes');

select results_eq(
    $$select check_name, status, record_count from validate_data_integrity()$$,
    $$values
        ('orphaned_posts', 'PASS', 0::bigint), ('duplicate_epapers', 'PASS', 0), ('budget_consistency', 'PASS', 0),
        ('budget_over_total', 'PASS', 0), ('budget_reservations_expired', 'PASS', 0), ('post_ward_mismatch', 'PASS', 0),
        ('post_duplicate_ids', 'PASS', 0), ('post_search_vector_missing', 'PASS', 0),
        ('embedding_hash_mismatch', 'PASS', 0), ('embedding_ward_mismatch', 'PASS', 0),
        ('ward_day_rollup_drift', 'PASS', 0), ('ward_author_rollup_drift', 'PASS', 0),
        ('default_partition_rows', 'PASS', 0), ('partition_next_month_missing', 'PASS', 0),
        ('reports_stuck_processing', 'PASS', 0), ('invalid_indexes', 'PASS', 0),
        ('identity_sequence_near_limit', 'PASS', 0), ('polling_stations_unplaced', 'PASS', 0),
        ('disabled_triggers', 'PASS', 0)$$,
    'clean data: every check passes, in catalog order'
);
select is(
    (select bool_and(elapsed_ms >= 0 and hint <> '' and issue_description <> '') from validate_data_integrity()),
    true, 'every check says what it means, what to do, and what it cost'
);

-- Who may run it: readonly (it returns counts of tables readonly cannot read, never rows).
set local role tap_reader;
select is((select count(*) from validate_data_integrity()), 19::bigint, 'a readonly login runs every check');
select throws_ok(
    $$select count(*) from audit_log$$, '42501', 'permission denied for table audit_log',
    '… though it may not read audit_log itself'
);
reset role;
set local role tap_outsider;
select throws_ok(
    $$select * from validate_data_integrity()$$, '42501', 'permission denied for function validate_data_integrity',
    'a role in no LokDarpan group may not run it'
);
reset role;

-- p_only: a subset, in catalog order; unknown names are named.
select results_eq(
    $$select check_name from validate_data_integrity(array['invalid_indexes', 'orphaned_posts'])$$,
    $$values ('orphaned_posts'), ('invalid_indexes')$$,
    'p_only runs the named checks only'
);
select throws_ok(
    $$select * from validate_data_integrity(array['orphaned_posts', 'no_such_check', 'bogus'])$$,
    '22023', 'validate_data_integrity: unknown check ''bogus'', ''no_such_check''',
    'unknown check names raise 22023 naming them'
);
select throws_ok(
    $$select * from validate_data_integrity(array[repeat('x', 65)])$$,
    '22023', 'validate_data_integrity: a check name is null or longer than 64 characters',
    'a long name is refused without being echoed'
);
select throws_ok(
    $$select * from validate_data_integrity(array_fill('orphaned_posts'::text, array[101]))$$,
    '22023', 'validate_data_integrity: 101 check names given; at most 100',
    'at most 100 names'
);

-- orphaned_posts: an author deleted behind the foreign key's back.
select is(pg_temp.chk('orphaned_posts'), 'PASS 0', 'orphaned_posts: PASS on clean data');
set local session_replication_role = replica;
delete from author
where id = 7002;
set local session_replication_role = origin;
select is(pg_temp.chk('orphaned_posts'), 'FAIL 1', 'orphaned_posts: FAIL for a post whose author is gone');
insert into author (id, name) values (7002, 'Deccan Desk');

-- duplicate_epapers: the unique constraint gone, a second copy.
select is(pg_temp.chk('duplicate_epapers'), 'PASS 0', 'duplicate_epapers: PASS on clean data');
alter table epaper drop constraint epaper_sha256_key;
insert into epaper (publication_name, publication_date, raw_text) values ('Siasat Daily', '2025-08-09', 'Edition text');
select is(pg_temp.chk('duplicate_epapers'), 'FAIL 1', 'duplicate_epapers: FAIL for a hash held twice');

-- budget_consistency: spend written by hand.
select is(pg_temp.chk('budget_consistency'), 'PASS 0', 'budget_consistency: PASS on clean data');
update ai_budget_tracker set current_spend_usd = current_spend_usd + 1
where id = 1101;
select is(pg_temp.chk('budget_consistency'), 'FAIL 1', 'budget_consistency: FAIL when spend disagrees with the executions');
update ai_budget_tracker set current_spend_usd = current_spend_usd - 1
where id = 1101;

-- budget_reservations_expired: a reservation the expiry job never returned.
select is(pg_temp.chk('budget_reservations_expired'), 'PASS 0', 'budget_reservations_expired: PASS on clean data');
select count(*) from ai_budget_reserve(1101, 1, 'openai', 'report_generation', p_ttl => interval '1 minute');
select tap_advance_time(interval '4 minutes');
select is(pg_temp.chk('budget_reservations_expired'), 'PASS 0', '… expired 3 minutes ago: the job may not have run yet');
select tap_advance_time(interval '3 minutes');
select is(
    pg_temp.chk('budget_reservations_expired'), 'WARN 1', 'budget_reservations_expired: WARN 6 minutes past expiry'
);
select ai_budget_expire_reservations();
select is(pg_temp.chk('budget_reservations_expired'), 'PASS 0', '… and PASS once the expiry job ran');

-- budget_over_total: the seed's rule, for open budgets.
select is(pg_temp.chk('budget_over_total'), 'PASS 0', 'budget_over_total: PASS on clean data');
update ai_budget_tracker set total_budget_usd = 0.25
where id = 1101;
select is(pg_temp.chk('budget_over_total'), 'WARN 1', 'budget_over_total: WARN when spend exceeds the total');
select tap_freeze_time('2025-09-02 12:00:00+05:30');
select is(pg_temp.chk('budget_over_total'), 'PASS 0', '… and not once the period has ended');
select is(
    pg_temp.chk('budget_consistency'), 'FAIL 1',
    'budget_consistency: FAIL for spend beyond total + emergency reserve (0.50 of 0.25 + 0), ended or not'
);
update ai_budget_tracker set total_budget_usd = 10.00
where id = 1101;
select tap_freeze_time('2025-08-10 12:10:00+05:30');

-- Issue 19: a late settle overspent and budget_consistency said PASS. Budget 1.00; A reserves 0.50
-- for 1 second; the expiry job returns it; B reserves 0.50 twice; A settles, then B settles both.
insert into ai_budget_tracker (id, period_type, period_identifier, period_start, period_end, total_budget_usd)
values (1102, 'monthly', 'late-settle', '2025-08-01 00:00+00', '2025-09-01 00:00+00', 1.00);
insert into ai_model_execution (request_id, operation_type, provider, model_name, cost_usd, success_status)
values ('late-a', 'report_generation', 'openai', 'gpt-4o', 0.50, 'success'),
('late-b1', 'report_generation', 'openai', 'gpt-4o', 0.50, 'success'),
('late-b2', 'report_generation', 'openai', 'gpt-4o', 0.50, 'success');
select count(*) from ai_budget_reserve(1102, 0.50, 'openai', 'report_generation', p_ttl => interval '1 second');
select tap_advance_time(interval '2 seconds');
select ai_budget_expire_reservations(1102);
select count(*) from ai_budget_reserve(1102, 0.50, 'openai', 'report_generation');
select count(*) from ai_budget_reserve(1102, 0.50, 'openai', 'report_generation');
set local client_min_messages = error;  -- the late settle's LDB08 warning (the ledger suite asserts it)
select count(*) from ai_budget_settle(
    (
        select min(id) from ai_budget_reservation
        where budget_id = 1102
    ),
    (
        select id from ai_model_execution
        where request_id = 'late-a'
    )
);
select count(*) from ai_budget_settle(
    (
        select min(id) from ai_budget_reservation
        where budget_id = 1102 and status = 'reserved'
    ),
    (
        select id from ai_model_execution
        where request_id = 'late-b1'
    )
);
select count(*) from ai_budget_settle(
    (
        select min(id) from ai_budget_reservation
        where budget_id = 1102 and status = 'reserved'
    ),
    (
        select id from ai_model_execution
        where request_id = 'late-b2'
    )
);
reset client_min_messages;
select is(
    (
        select current_spend_usd from ai_budget_tracker
        where id = 1102
    ), 1.50::numeric,
    'the sequence spends 1.50 of a 1.00 budget (every call was made and is charged)'
);
select is(
    pg_temp.chk('budget_consistency'), 'FAIL 1',
    'budget_consistency: FAIL for the late settle''s overspend (it said PASS before issue 19)'
);
select is(pg_temp.chk('budget_over_total'), 'WARN 1', 'budget_over_total: still WARN beside it');
update ai_budget_tracker set emergency_budget_usd = 0.50
where id = 1102;
select is(
    pg_temp.chk('budget_consistency'), 'PASS 0',
    '… and PASS once an admin records the decision as emergency reserve (spend = total + emergency)'
);

-- ward_day_rollup_drift and ward_author_rollup_drift: rollups edited behind the triggers' back.
select is(pg_temp.chk('ward_day_rollup_drift'), 'PASS 0', 'ward_day_rollup_drift: PASS on clean data');
-- The counts live in the *_folded tables once folded (the views add what is pending).
select ward_rollups_fold(true);
update ward_day_rollup_folded set posts = posts + 1, mixed = mixed + 1, no_party = no_party + 1
where ward_id = 'GHMC-091';
select is(pg_temp.chk('ward_day_rollup_drift'), 'FAIL 1', 'ward_day_rollup_drift: FAIL for a ward-day miscounted');
select is(pg_temp.chk('ward_author_rollup_drift'), 'PASS 0', 'ward_author_rollup_drift: PASS on clean data');
delete from ward_author_rollup_folded
where ward_id = 'GHMC-091' and author_id = 7001;
select is(pg_temp.chk('ward_author_rollup_drift'), 'FAIL 1', 'ward_author_rollup_drift: FAIL for an author missing');
select count(*) from refresh_ward_analytics();
select is(
    (
        select string_agg(check_name, ',') from validate_data_integrity()
        where check_name like 'ward%' and status <> 'PASS'
    ),
    null, 'a rollup rebuild makes both pass again'
);

-- post_ward_mismatch: a ward link cleared with the trigger off.
select is(pg_temp.chk('post_ward_mismatch'), 'PASS 0', 'post_ward_mismatch: PASS on clean data');
set local session_replication_role = replica;
update post set ward_id = null
where id = 8002;
set local session_replication_role = origin;
select is(pg_temp.chk('post_ward_mismatch'), 'FAIL 1', 'post_ward_mismatch: FAIL for a Khairatabad post with no ward');
update post set city = city
where id = 8002;
select is(pg_temp.chk('post_ward_mismatch'), 'PASS 0', '… and PASS once the trigger relinked it');

-- post_search_vector_missing.
select is(pg_temp.chk('post_search_vector_missing'), 'PASS 0', 'post_search_vector_missing: PASS on clean data');
set local session_replication_role = replica;
update post set search_vector = null
where id = 8003;
set local session_replication_role = origin;
select is(pg_temp.chk('post_search_vector_missing'), 'FAIL 1', 'post_search_vector_missing: FAIL for a post without one');
update post set text = text
where id = 8003;

-- post_duplicate_ids: what the partitioned post's primary key (id, created_at) allows.
select is(pg_temp.chk('post_duplicate_ids'), 'PASS 0', 'post_duplicate_ids: PASS on clean data');
insert into post (id, text, city, created_at) values (8003, 'A copy', 'Hyderabad', '2025-08-09 13:05+05:30');
select is(pg_temp.chk('post_duplicate_ids'), 'FAIL 1', 'post_duplicate_ids: FAIL for an id held twice');

-- embedding_ward_mismatch, then embedding_hash_mismatch.
select is(pg_temp.chk('embedding_ward_mismatch'), 'PASS 0', 'embedding_ward_mismatch: PASS on clean data');
set local session_replication_role = replica;
update ai_embedding_store set ward_id = 'GHMC-091'
where id = 9001;
set local session_replication_role = origin;
select is(pg_temp.chk('embedding_ward_mismatch'), 'FAIL 1', 'embedding_ward_mismatch: FAIL for a Jubilee Hills chunk linked elsewhere');
select is(pg_temp.chk('embedding_hash_mismatch'), 'PASS 0', 'embedding_hash_mismatch: PASS on clean data');
create or replace function public.embedding_content_hash(p_chunk text)
returns varchar(64)
language sql
immutable
strict
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select md5(p_chunk)::varchar(64)
$$;
set local session_replication_role = replica;
update ai_embedding_store set source_title = 'rewritten with the changed hash function'
where id = 9001;
set local session_replication_role = origin;
select is(pg_temp.chk('embedding_hash_mismatch'), 'FAIL 1', 'embedding_hash_mismatch: FAIL when the hash function changed');

-- default_partition_rows: a call from a month without its partition.
select is(pg_temp.chk('default_partition_rows'), 'PASS 0', 'default_partition_rows: PASS on clean data');
insert into ai_model_execution (request_id, operation_type, provider, model_name, success_status, created_at)
values ('integrity-old', 'embedding', 'openai', 'text-embedding-3-small', 'success', '2024-01-15 10:00+00');
select is(pg_temp.chk('default_partition_rows'), 'WARN 1', 'default_partition_rows: WARN for a row in the default partition');

-- partition_next_month_missing: next month's partition detached.
select is(pg_temp.chk('partition_next_month_missing'), 'PASS 0', 'partition_next_month_missing: PASS with Aug-Nov made');
alter table ai_model_execution detach partition ai_model_execution_p2025_09;
select is(
    pg_temp.chk('partition_next_month_missing'), 'WARN 1', 'partition_next_month_missing: WARN without September'
);
alter table ai_model_execution attach partition ai_model_execution_p2025_09
for values from ('2025-09-01 00:00+00') to ('2025-10-01 00:00+00');
select tap_freeze_time('2025-10-05 12:00:00+05:30');
select is(pg_temp.chk('partition_next_month_missing'), 'PASS 0', '… in October, November is still there');
select tap_freeze_time('2025-11-05 12:00:00+05:30');
select is(
    pg_temp.chk('partition_next_month_missing'), 'WARN 2', '… in November, December is not (for post nor executions)'
);

-- reports_stuck_processing: the worker's lease ran out and nobody reclaimed the report.
select tap_freeze_time('2025-08-10 12:00:00+05:30');
select is(pg_temp.chk('reports_stuck_processing'), 'PASS 0', 'reports_stuck_processing: PASS while the lease runs');
select tap_advance_time(interval '6 minutes');
select is(pg_temp.chk('reports_stuck_processing'), 'WARN 1', 'reports_stuck_processing: WARN past the lease');

-- invalid_indexes: what a failed CREATE INDEX CONCURRENTLY leaves.
select is(pg_temp.chk('invalid_indexes'), 'PASS 0', 'invalid_indexes: PASS on clean data');
update pg_index set indisvalid = false
where indexrelid = 'public.ix_post_author'::regclass;
select is(pg_temp.chk('invalid_indexes'), 'WARN 1', 'invalid_indexes: WARN for an invalid index');
update pg_index set indisvalid = true
where indexrelid = 'public.ix_post_author'::regclass;

-- identity_sequence_near_limit: a smallint identity at 30,000 of 32,767.
select is(pg_temp.chk('identity_sequence_near_limit'), 'PASS 0', 'identity_sequence_near_limit: PASS on clean data');
create table public.tap_integrity_small (id smallint generated by default as identity, note text);
insert into public.tap_integrity_small (note) values ('first');
select is(pg_temp.chk('identity_sequence_near_limit'), 'PASS 0', '… a fresh smallint identity is far from its end');
select setval(pg_get_serial_sequence('public.tap_integrity_small', 'id'), 30000);
select is(pg_temp.chk('identity_sequence_near_limit'), 'WARN 1', 'identity_sequence_near_limit: WARN past 80 %');

-- polling_stations_unplaced: a station inside Khairatabad with no ward.
select is(pg_temp.chk('polling_stations_unplaced'), 'PASS 0', 'polling_stations_unplaced: PASS on clean data');
insert into polling_station (ps_id, constituency_id, serial, lat, lon)
select
    'S29-AC901-2',
    constituency_id,
    '2',
    17.41,
    78.406
from constituency
union all
select
    'S29-AC901-3',
    constituency_id,
    '3',
    17.50,
    78.50
from constituency;
select is(
    pg_temp.chk('polling_stations_unplaced'), 'WARN 1', 'polling_stations_unplaced: WARN for the one inside a ward only'
);

-- disabled_triggers.
select is(pg_temp.chk('disabled_triggers'), 'PASS 0', 'disabled_triggers: PASS on clean data');
alter table alert disable trigger alert_set_updated_at;
select is(pg_temp.chk('disabled_triggers'), 'FAIL 1', 'disabled_triggers: FAIL for a disabled trigger');

select * from finish();
rollback;
