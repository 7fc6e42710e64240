-- Deploy lokdarpan:code/maintenance/integrity/catalog to pg
-- requires: maintenance/integrity
-- requires: code/ledger/budgets/consistency
-- The checks validate_data_integrity() runs: integrity_check_catalog(), the list in its order, made of
-- one function per domain (each row carries its place in the list). Code, not a table: a table of
-- SQL that a SECURITY DEFINER function executes would let whoever may write it run SQL as the owner.

create or replace function public.integrity_checks_posts()
returns table (check_order integer, check_name text, severity text, issue_description text, hint text, query text)
language sql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $catalog$
    select * from (values
    (
        1,
        'orphaned_posts', 'FAIL',
        'Posts whose author_id names no author (the foreign key was bypassed)',
        'Find them with: select id, author_id from post where author_id not in (select id from author); '
        || 'restore the authors or set author_id to null, then look for who loads with triggers disabled.',
        $q$select count(*) from public.post as p
           where p.author_id is not null
             and not exists (select from public.author as a where a.id = p.author_id)$q$
    ),
    (
        2,
        'duplicate_epapers', 'FAIL',
        'SHA-256 hashes shared by more than one epaper (the unique index is damaged or was dropped)',
        'REINDEX INDEX epaper_sha256_key fails while duplicates exist: delete the later copies (repoint their '
        || 'posts first), then reindex.',
        $q$select count(*) from (
               select e.sha256 from public.epaper as e group by e.sha256 having count(*) > 1
           ) as d$q$
    ),
    (
        6,
        'post_ward_mismatch', 'FAIL',
        'Posts whose city is exactly a ward''s name but whose ward_id is another ward or null',
        'Relink them: update post set city = city where ...; (the trigger resolves the ward), then '
        || 'lokdarpan-db refresh analytics.',
        $q$select count(*) from public.post as p
           inner join public.ward as w on lower(w.name) = lower(p.city)
           where p.ward_id is distinct from w.ward_id$q$
    ),
    (
        7,
        'post_duplicate_ids', 'FAIL',
        'Post ids held by more than one row (partitioned post cannot enforce id uniqueness across partitions)',
        'select id, count(*) from post group by id having count(*) > 1; give the copies new ids from '
        || 'post_id_seq and check the sequence is ahead of max(id).',
        $q$select count(*) from (select p.id from public.post as p group by p.id having count(*) > 1) as d$q$
    ),
    (
        8,
        'post_search_vector_missing', 'FAIL',
        'Posts without a search vector (written with triggers disabled): search_posts() cannot find them',
        'update post set text = text where search_vector is null; (the trigger fills it).',
        $q$select count(*) from public.post as p where p.search_vector is null$q$
    ),
    (
        11,
        'ward_day_rollup_drift', 'FAIL',
        'Ward-days whose ward_day_rollup counts disagree with a recount of post (dashboards show wrong numbers)',
        'lokdarpan-db refresh analytics rebuilds the rollups; then find what bypassed the post triggers.',
        $q$select count(*) from public.ward_day_recount as f
           full join public.ward_day_rollup as r on f.ward_id = r.ward_id and f.day = r.day
           where (f.posts, f.positive, f.negative, f.neutral, f.mixed, f.emotion_unknown, f.bjp, f.inc, f.brs,
                   f.aimim, f.trs, f.nota, f.independent, f.other_party, f.no_party)
               is distinct from
               (r.posts, r.positive, r.negative, r.neutral, r.mixed, r.emotion_unknown, r.bjp, r.inc, r.brs,
                   r.aimim, r.trs, r.nota, r.independent, r.other_party, r.no_party)$q$
    ),
    (
        12,
        'ward_author_rollup_drift', 'FAIL',
        'Ward-authors whose ward_author_rollup count disagrees with a recount of post (unique authors are wrong)',
        'lokdarpan-db refresh analytics rebuilds the rollups; then find what bypassed the post triggers.',
        $q$with fresh as (
               select p.ward_id, p.author_id, count(*)::integer as posts
               from public.post as p
               where p.ward_id is not null and p.author_id is not null
               group by 1, 2
           )
           select count(*) from fresh as f
           full join public.ward_author_rollup as r on f.ward_id = r.ward_id and f.author_id = r.author_id
           where f.posts is distinct from r.posts$q$
    )
    ) as catalog (check_order, check_name, severity, issue_description, hint, query)
$catalog$;

comment on function public.integrity_checks_posts() is
'The integrity checks of posts, e-papers and the rollups kept from them (news, analytics), each '
'with its place in integrity_check_catalog(): '
'name, severity, description, hint and the SQL that counts the offending rows. Readonly and up.';

revoke execute on function public.integrity_checks_posts() from public;
grant execute on function public.integrity_checks_posts() to lokdarpan_readonly;

create or replace function public.integrity_checks_ai()
returns table (check_order integer, check_name text, severity text, issue_description text, hint text, query text)
language sql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $catalog$
    select * from (values
    (
        3,
        'budget_consistency', 'FAIL',
        'Budget figures (spend, spend by service/operation/user, reserved) that disagree with the '
        || 'execution rows and reservations, and budgets whose spend exceeds total + emergency reserve '
        || '(ai_budget_consistency())',
        'select * from ai_budget_consistency() names each figure. A disagreement: a budget changed outside the '
        || 'ai_budget_* functions, correct it from the execution rows. overspend: calls settled after their '
        || 'reservations expired or above their estimates (ai_budget_reservation.over_budget_usd names them); '
        || 'decide the money (raising total_budget_usd or emergency_budget_usd records it) and lengthen the '
        || 'reservations'' ttl.',
        $q$select count(*) from public.ai_budget_consistency() as c$q$
    ),
    (
        4,
        'budget_over_total', 'WARN',
        'Open AI budgets whose spend exceeds total_budget_usd (emergency reserve used, or calls cost more '
        || 'than their estimates)',
        'select * from ai_budget_utilisation; raise the budget or lower the estimates'' margin; spend '
        || 'beyond total + emergency means estimates are too low.',
        $q$select count(*) from public.ai_budget_tracker as b
           where b.current_spend_usd > b.total_budget_usd and b.period_end > public.lokdarpan_now()$q$
    ),
    (
        5,
        'budget_reservations_expired', 'WARN',
        'Budget reservations more than 5 minutes past their expiry and still held (the expiry job is not running)',
        'Run select ai_budget_expire_reservations(); and schedule it every minute.',
        $q$select count(*) from public.ai_budget_reservation as r
           where r.status = 'reserved' and r.expires_at < public.lokdarpan_now() - interval '5 minutes'$q$
    ),
    (
        9,
        'embedding_hash_mismatch', 'FAIL',
        'Embeddings whose content_hash is not the SHA-256 of their chunk (embedding_content_hash() changed '
        || 'without a table rewrite)',
        'Restore embedding_content_hash(); an update of the rows (update ai_embedding_store set content_chunk = '
        || 'content_chunk where …) recomputes the generated column; deduplicate what then collides.',
        $q$select count(*) from public.ai_embedding_store as e
           where e.content_hash <> encode(sha256(convert_to(e.content_chunk, 'UTF8')), 'hex')$q$
    ),
    (
        10,
        'embedding_ward_mismatch', 'FAIL',
        'Embeddings whose ward_context is exactly a ward''s name but whose ward_id is another ward or null',
        'update ai_embedding_store set ward_context = ward_context where ...; (the trigger resolves it).',
        $q$select count(*) from public.ai_embedding_store as e
           inner join public.ward as w on lower(w.name) = lower(e.ward_context)
           where e.ward_id is distinct from w.ward_id$q$
    ),
    (
        15,
        'reports_stuck_processing', 'WARN',
        'Reports in processing whose lease has run out (their worker died; no worker is claiming)',
        'Start a report worker: ai_report_claim() returns expired leases to the queue; or archive them.',
        $q$select count(*) from public.ai_geopolitical_report as r
           where r.status = 'processing' and r.lease_expires_at < public.lokdarpan_now()$q$
    )
    ) as catalog (check_order, check_name, severity, issue_description, hint, query)
$catalog$;

comment on function public.integrity_checks_ai() is
'The integrity checks of the AI ledger and the embedding store (budgets, reports, embeddings), each '
'with its place in integrity_check_catalog(): '
'name, severity, description, hint and the SQL that counts the offending rows. Readonly and up.';

revoke execute on function public.integrity_checks_ai() from public;
grant execute on function public.integrity_checks_ai() to lokdarpan_readonly;

create or replace function public.integrity_checks_electoral()
returns table (check_order integer, check_name text, severity text, issue_description text, hint text, query text)
language sql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $catalog$
    select * from (values
    (
        18,
        'polling_stations_unplaced', 'WARN',
        'Polling stations with coordinates inside a ward''s boundary but no ward_id (not placed yet)',
        'select * from place_polling_stations(); then lokdarpan-db refresh electoral.',
        $q$select count(*) from public.polling_station as s
           where s.ward_id is null and s.location is not null
             and exists (
                 select from public.ward as w
                 where w.boundary is not null
                   and public.st_intersects(public.geojson_geometry(w.boundary), s.location)
             )$q$
    )
    ) as catalog (check_order, check_name, severity, issue_description, hint, query)
$catalog$;

comment on function public.integrity_checks_electoral() is
'The integrity checks of the electoral tables, each '
'with its place in integrity_check_catalog(): '
'name, severity, description, hint and the SQL that counts the offending rows. Readonly and up.';

revoke execute on function public.integrity_checks_electoral() from public;
grant execute on function public.integrity_checks_electoral() to lokdarpan_readonly;

create or replace function public.integrity_checks_storage()
returns table (check_order integer, check_name text, severity text, issue_description text, hint text, query text)
language sql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $catalog$
    select * from (values
    (
        13,
        'default_partition_rows', 'WARN',
        'Rows in the DEFAULT partition of a partitioned table: a month without its partition (that month''s '
        || 'partition can no longer be made while they are there)',
        'Detach the default partition, make the missing partitions, move the rows (insert … select, delete), '
        || 'attach it again; then run the partition maker daily (ai_execution_ensure_partitions()).',
        $q$select public.integrity_default_partition_rows()$q$
    ),
    (
        14,
        'partition_next_month_missing', 'WARN',
        'Tables partitioned by month without partitions from now to the end of next month',
        'Make them ahead: select * from ai_execution_ensure_partitions(3); (or the table''s own partition '
        || 'maker) and schedule it daily.',
        $q$select public.integrity_partition_gaps(public.lokdarpan_now())$q$
    ),
    (
        16,
        'invalid_indexes', 'WARN',
        'Invalid indexes (pg_index.indisvalid false: a failed CREATE INDEX CONCURRENTLY) in the project''s schemas',
        'select indexrelid::regclass from pg_index where not indisvalid; drop and recreate each (or REINDEX '
        || 'INDEX CONCURRENTLY); an index being built right now is invalid until it finishes.',
        $q$select count(*) from pg_catalog.pg_index as i
           inner join pg_catalog.pg_class as c on i.indexrelid = c.oid
           inner join pg_catalog.pg_namespace as ns on c.relnamespace = ns.oid
           where not i.indisvalid
             and ns.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch')
             and ns.nspname !~ '^pg_(toast_)?temp_'$q$
    ),
    (
        17,
        'identity_sequence_near_limit', 'WARN',
        'Identity and serial sequences past 80 % of their column type''s range (post.id is integer)',
        'Plan the move to bigint (alter table … alter column … type bigint, a rewrite) before inserts fail.',
        $q$select count(*) from pg_catalog.pg_depend as d
           inner join pg_catalog.pg_sequence as s on d.objid = s.seqrelid
           inner join pg_catalog.pg_class as sc on s.seqrelid = sc.oid
           inner join pg_catalog.pg_namespace as ns on sc.relnamespace = ns.oid
           inner join pg_catalog.pg_attribute as a on d.refobjid = a.attrelid and d.refobjsubid = a.attnum
           cross join lateral (select pg_catalog.pg_sequence_last_value(s.seqrelid) as last_value) as lv
           cross join lateral (
               select least(s.seqmax, case a.atttypid
                   when 'smallint'::regtype then 32767
                   when 'integer'::regtype then 2147483647
                   else 9223372036854775807 end) as top
           ) as t
           where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
             and d.deptype in ('i', 'a') and s.seqincrement > 0 and lv.last_value is not null
             and ns.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch')
             and ns.nspname !~ '^pg_(toast_)?temp_'
             and (lv.last_value - s.seqmin)::numeric > 0.8 * (t.top - s.seqmin)::numeric$q$
    ),
    (
        19,
        'disabled_triggers', 'FAIL',
        'Disabled triggers (ALTER TABLE … DISABLE TRIGGER) on project tables: while one is off, writes skip '
        || 'the audit log, the rollups, the ward links or the foreign keys',
        'select tgrelid::regclass, tgname from pg_trigger where tgenabled in (''D'', ''R''); enable each '
        || '(alter table … enable trigger …), then run this check again for what slipped through.',
        $q$select count(*) from pg_catalog.pg_trigger as tg
           inner join pg_catalog.pg_class as c on tg.tgrelid = c.oid
           inner join pg_catalog.pg_namespace as ns on c.relnamespace = ns.oid
           where tg.tgenabled in ('D', 'R')
             and ns.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch')
             and ns.nspname !~ '^pg_(toast_)?temp_'
             and not exists (
                 select from pg_catalog.pg_depend as e
                 where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype = 'e'
             )$q$
    )
    ) as catalog (check_order, check_name, severity, issue_description, hint, query)
$catalog$;

comment on function public.integrity_checks_storage() is
'The integrity checks of partitions, indexes, sequences and triggers of every project schema, each '
'with its place in integrity_check_catalog(): '
'name, severity, description, hint and the SQL that counts the offending rows. Readonly and up.';

revoke execute on function public.integrity_checks_storage() from public;
grant execute on function public.integrity_checks_storage() to lokdarpan_readonly;

-- The catalog: one row per check, in check_order. Adding a check is adding a row to its domain's
-- integrity_checks_*() function (and a pgTAP test).
create or replace function public.integrity_check_catalog()
returns table (check_name text, severity text, issue_description text, hint text, query text)
language sql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select c.check_name, c.severity, c.issue_description, c.hint, c.query
    from (
        select * from public.integrity_checks_posts()
        union all
        select * from public.integrity_checks_ai()
        union all
        select * from public.integrity_checks_electoral()
        union all
        select * from public.integrity_checks_storage()
    ) as c
    order by c.check_order
$$;

comment on function public.integrity_check_catalog() is
'The checks validate_data_integrity() runs, in order: name, severity when the count is not zero (FAIL: '
'data is wrong; WARN: needs attention), description, what to do, and the SQL that counts the offending '
'rows. Code, not a table, so nobody can make the SECURITY DEFINER runner execute other SQL. Readonly and up.';

revoke execute on function public.integrity_check_catalog() from public;
grant execute on function public.integrity_check_catalog() to lokdarpan_readonly;
