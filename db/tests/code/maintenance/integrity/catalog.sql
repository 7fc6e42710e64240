-- pgTAP: code/maintenance/integrity/catalog — its functions, views and triggers exist, say what they
-- do and run with the security they state. Their behaviour is told by
-- db/tests/code/maintenance/integrity/run.sql (every check, PASS on clean data and WARN/FAIL with its
-- defect planted).
begin;
select plan(22);

select has_function('public', 'integrity_checks_posts', array[]::text [], 'integrity_checks_posts() exists');
select isnt_definer('public', 'integrity_checks_posts', array[]::text [], 'integrity_checks_posts() runs as its caller (security invoker)');
select isnt(obj_description('public.integrity_checks_posts()'::regprocedure, 'pg_proc'), null, 'integrity_checks_posts() says what it does');
select ok(not has_function_privilege('public', 'public.integrity_checks_posts()'::regprocedure, 'execute'), 'PUBLIC may not execute integrity_checks_posts()');
select has_function('public', 'integrity_checks_ai', array[]::text [], 'integrity_checks_ai() exists');
select isnt_definer('public', 'integrity_checks_ai', array[]::text [], 'integrity_checks_ai() runs as its caller (security invoker)');
select isnt(obj_description('public.integrity_checks_ai()'::regprocedure, 'pg_proc'), null, 'integrity_checks_ai() says what it does');
select ok(not has_function_privilege('public', 'public.integrity_checks_ai()'::regprocedure, 'execute'), 'PUBLIC may not execute integrity_checks_ai()');
select has_function('public', 'integrity_checks_electoral', array[]::text [], 'integrity_checks_electoral() exists');
select isnt_definer('public', 'integrity_checks_electoral', array[]::text [], 'integrity_checks_electoral() runs as its caller (security invoker)');
select isnt(obj_description('public.integrity_checks_electoral()'::regprocedure, 'pg_proc'), null, 'integrity_checks_electoral() says what it does');
select ok(not has_function_privilege('public', 'public.integrity_checks_electoral()'::regprocedure, 'execute'), 'PUBLIC may not execute integrity_checks_electoral()');
select has_function('public', 'integrity_checks_storage', array[]::text [], 'integrity_checks_storage() exists');
select isnt_definer('public', 'integrity_checks_storage', array[]::text [], 'integrity_checks_storage() runs as its caller (security invoker)');
select isnt(obj_description('public.integrity_checks_storage()'::regprocedure, 'pg_proc'), null, 'integrity_checks_storage() says what it does');
select ok(not has_function_privilege('public', 'public.integrity_checks_storage()'::regprocedure, 'execute'), 'PUBLIC may not execute integrity_checks_storage()');
select has_function('public', 'integrity_check_catalog', array[]::text [], 'integrity_check_catalog() exists');
select isnt_definer('public', 'integrity_check_catalog', array[]::text [], 'integrity_check_catalog() runs as its caller (security invoker)');
select isnt(obj_description('public.integrity_check_catalog()'::regprocedure, 'pg_proc'), null, 'integrity_check_catalog() says what it does');
select ok(not has_function_privilege('public', 'public.integrity_check_catalog()'::regprocedure, 'execute'), 'PUBLIC may not execute integrity_check_catalog()');

select results_eq(
    $$select check_name from integrity_check_catalog()$$,
    $$values
    ('orphaned_posts'),
    ('duplicate_epapers'),
    ('budget_consistency'),
    ('budget_over_total'),
    ('budget_reservations_expired'),
    ('post_ward_mismatch'),
    ('post_duplicate_ids'),
    ('post_search_vector_missing'),
    ('embedding_hash_mismatch'),
    ('embedding_ward_mismatch'),
    ('ward_day_rollup_drift'),
    ('ward_author_rollup_drift'),
    ('default_partition_rows'),
    ('partition_next_month_missing'),
    ('reports_stuck_processing'),
    ('invalid_indexes'),
    ('identity_sequence_near_limit'),
    ('polling_stations_unplaced'),
    ('disabled_triggers')$$,
    'the 19 checks, in the order validate_data_integrity() always ran them'
);
select is(
    (
        select count(distinct c.check_order)::integer from (
            select check_order from integrity_checks_posts()
            union all
            select check_order from integrity_checks_ai()
            union all
            select check_order from integrity_checks_electoral()
            union all
            select check_order from integrity_checks_storage()
        ) as c
    ), 19,
    'each domain''s checks hold places of their own'
);

select * from finish();
rollback;
