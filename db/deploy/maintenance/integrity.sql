-- Deploy lokdarpan:maintenance/integrity to pg
-- requires: analytics/ward_notify
-- requires: ledger/metrics
-- requires: ledger/reports
-- requires: vectors/embedding_store
-- requires: electoral/ward_analytics
-- requires: audit
-- The seed's validate_data_integrity(): every rule the schema cannot enforce by itself, checked.
-- The checks are a catalog in code (integrity_check_catalog(): name, severity, description, hint,
-- one SQL statement returning a count), not in a table: a table of SQL that a SECURITY DEFINER
-- function executes would let whoever may write the table run SQL as the owner. Each check is
-- index-backed or one sequential pass (measured in `make bench`, section integrity).
-- Severity: FAIL when data is wrong (a count, a link or a derived figure that lies);
-- WARN when data is right but needs attention before it goes wrong (a missing partition, a stuck
-- report, a sequence running out).

-- Rows in the DEFAULT partition of every partitioned table of the project's schemas.
create function public.integrity_default_partition_rows()
returns bigint
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    part regclass;
    n bigint;
    total bigint := 0;
begin
    for part in
        select pt.partdefid::regclass
        from pg_catalog.pg_partitioned_table as pt
        inner join pg_catalog.pg_class as c on pt.partrelid = c.oid
        inner join pg_catalog.pg_namespace as ns on c.relnamespace = ns.oid
        where pt.partdefid <> 0
            and ns.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch')
            and ns.nspname !~ '^pg_(toast_)?temp_'
        order by 1
    loop
        execute format('select count(*) from %s', part) into n;
        total := total + n;
    end loop;
    return total;
end
$$;

comment on function public.integrity_default_partition_rows() is
'Rows in the DEFAULT partitions of every partitioned table in the project''s schemas (found through '
'pg_partitioned_table, so a new partitioned table is covered). The check default_partition_rows of '
'validate_data_integrity(); not granted to any role.';

revoke execute on function public.integrity_default_partition_rows() from public;

-- Monthly-partitioned tables whose partitions do not cover the time from now to the end of next month.
create function public.integrity_partition_gaps(p_at timestamptz)
returns bigint
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    with ranged as (
        -- Range partitioning on one time column: the shape a monthly scheme has.
        select pt.partrelid
        from pg_catalog.pg_partitioned_table as pt
        inner join pg_catalog.pg_class as c on pt.partrelid = c.oid
        inner join pg_catalog.pg_namespace as ns on c.relnamespace = ns.oid
        inner join pg_catalog.pg_attribute as a on pt.partrelid = a.attrelid and pt.partattrs[0] = a.attnum
        where pt.partstrat = 'r' and pt.partnatts = 1
            and a.atttypid in ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
            and ns.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch')
            and ns.nspname !~ '^pg_(toast_)?temp_'
    ),
    bounds as (
        select i.inhparent as parent, m[1] as lo, m[2] as hi
        from pg_catalog.pg_inherits as i
        inner join ranged as r on i.inhparent = r.partrelid
        inner join pg_catalog.pg_class as k on i.inhrelid = k.oid
        cross join lateral regexp_match(
            pg_catalog.pg_get_expr(k.relpartbound, k.oid), '^FOR VALUES FROM \((.*)\) TO \((.*)\)$'
        ) as m
    ),
    typed as (
        select
            b.parent,
            (case b.lo when 'MINVALUE' then '-infinity' else btrim(b.lo, '''') end)::timestamptz as lo,
            (case b.hi when 'MAXVALUE' then 'infinity' else btrim(b.hi, '''') end)::timestamptz as hi
        from bounds as b
    ),
    monthly as (
        select t.parent from typed as t
        group by t.parent
        having bool_or(t.hi - t.lo between interval '28 days' and interval '31 days 2 hours')
    ),
    -- From now to the end of next month (UTC months), less a day: partitions aligned to any time
    -- zone's months (IST's start 5.5 hours earlier) cover it when next month's partition exists.
    wanted as (
        select p_at as s, date_trunc('month', p_at, 'UTC') + interval '2 months' - interval '1 day' as e
    )
    select count(*)
    from monthly as m
    cross join wanted as w
    where coalesce(
        (
            select sum(least(t.hi, w.e) - greatest(t.lo, w.s)) from typed as t
            where t.parent = m.parent and t.lo < w.e and t.hi > w.s
        ),
        interval '0'
    ) < w.e - w.s
$$;

comment on function public.integrity_partition_gaps(timestamptz) is
'How many tables partitioned by month (range on one timestamptz, timestamp or date column, with a '
'partition spanning a month) have partitions that do not cover p_at to the end of the next UTC month '
'(less one day, so months of any time zone qualify). The check partition_next_month_missing of '
'validate_data_integrity(); not granted to any role.';

revoke execute on function public.integrity_partition_gaps(timestamptz) from public;

-- The catalog: one row per check. Adding a check is adding a row here (and a pgTAP test).
create function public.integrity_check_catalog()
returns table (check_name text, severity text, issue_description text, hint text, query text)
language sql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $catalog$
    select * from (values
    (
        'orphaned_posts', 'FAIL',
        'Posts whose author_id names no author (the foreign key was bypassed)',
        'Find them with: select id, author_id from post where author_id not in (select id from author); '
        || 'restore the authors or set author_id to null, then look for who loads with triggers disabled.',
        $q$select count(*) from public.post as p
           where p.author_id is not null
             and not exists (select from public.author as a where a.id = p.author_id)$q$
    ),
    (
        'duplicate_epapers', 'FAIL',
        'SHA-256 hashes shared by more than one epaper (the unique index is damaged or was dropped)',
        'REINDEX INDEX epaper_sha256_key fails while duplicates exist: delete the later copies (repoint their '
        || 'posts first), then reindex.',
        $q$select count(*) from (
               select e.sha256 from public.epaper as e group by e.sha256 having count(*) > 1
           ) as d$q$
    ),
    (
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
        'budget_over_total', 'WARN',
        'Open AI budgets whose spend exceeds total_budget_usd (emergency reserve used, or calls cost more '
        || 'than their estimates)',
        'select * from ai_budget_utilisation; raise the budget or lower the estimates'' margin; spend '
        || 'beyond total + emergency means estimates are too low.',
        $q$select count(*) from public.ai_budget_tracker as b
           where b.current_spend_usd > b.total_budget_usd and b.period_end > public.lokdarpan_now()$q$
    ),
    (
        'budget_reservations_expired', 'WARN',
        'Budget reservations more than 5 minutes past their expiry and still held (the expiry job is not running)',
        'Run select ai_budget_expire_reservations(); and schedule it every minute.',
        $q$select count(*) from public.ai_budget_reservation as r
           where r.status = 'reserved' and r.expires_at < public.lokdarpan_now() - interval '5 minutes'$q$
    ),
    (
        'post_ward_mismatch', 'FAIL',
        'Posts whose city is exactly a ward''s name but whose ward_id is another ward or null',
        'Relink them: update post set city = city where ...; (the trigger resolves the ward), then '
        || 'lokdarpan-db refresh analytics.',
        $q$select count(*) from public.post as p
           inner join public.ward as w on lower(w.name) = lower(p.city)
           where p.ward_id is distinct from w.ward_id$q$
    ),
    (
        'post_duplicate_ids', 'FAIL',
        'Post ids held by more than one row (partitioned post cannot enforce id uniqueness across partitions)',
        'select id, count(*) from post group by id having count(*) > 1; give the copies new ids from '
        || 'post_id_seq and check the sequence is ahead of max(id).',
        $q$select count(*) from (select p.id from public.post as p group by p.id having count(*) > 1) as d$q$
    ),
    (
        'post_search_vector_missing', 'FAIL',
        'Posts without a search vector (written with triggers disabled): search_posts() cannot find them',
        'update post set text = text where search_vector is null; (the trigger fills it).',
        $q$select count(*) from public.post as p where p.search_vector is null$q$
    ),
    (
        'embedding_hash_mismatch', 'FAIL',
        'Embeddings whose content_hash is not the SHA-256 of their chunk (embedding_content_hash() changed '
        || 'without a table rewrite)',
        'Restore embedding_content_hash(); an update of the rows (update ai_embedding_store set content_chunk = '
        || 'content_chunk where …) recomputes the generated column; deduplicate what then collides.',
        $q$select count(*) from public.ai_embedding_store as e
           where e.content_hash <> encode(sha256(convert_to(e.content_chunk, 'UTF8')), 'hex')$q$
    ),
    (
        'embedding_ward_mismatch', 'FAIL',
        'Embeddings whose ward_context is exactly a ward''s name but whose ward_id is another ward or null',
        'update ai_embedding_store set ward_context = ward_context where ...; (the trigger resolves it).',
        $q$select count(*) from public.ai_embedding_store as e
           inner join public.ward as w on lower(w.name) = lower(e.ward_context)
           where e.ward_id is distinct from w.ward_id$q$
    ),
    (
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
    ),
    (
        'default_partition_rows', 'WARN',
        'Rows in the DEFAULT partition of a partitioned table: a month without its partition (that month''s '
        || 'partition can no longer be made while they are there)',
        'Detach the default partition, make the missing partitions, move the rows (insert … select, delete), '
        || 'attach it again; then run the partition maker daily (ai_execution_ensure_partitions()).',
        $q$select public.integrity_default_partition_rows()$q$
    ),
    (
        'partition_next_month_missing', 'WARN',
        'Tables partitioned by month without partitions from now to the end of next month',
        'Make them ahead: select * from ai_execution_ensure_partitions(3); (or the table''s own partition '
        || 'maker) and schedule it daily.',
        $q$select public.integrity_partition_gaps(public.lokdarpan_now())$q$
    ),
    (
        'reports_stuck_processing', 'WARN',
        'Reports in processing whose lease has run out (their worker died; no worker is claiming)',
        'Start a report worker: ai_report_claim() returns expired leases to the queue; or archive them.',
        $q$select count(*) from public.ai_geopolitical_report as r
           where r.status = 'processing' and r.lease_expires_at < public.lokdarpan_now()$q$
    ),
    (
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
    ),
    (
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
    ) as catalog (check_name, severity, issue_description, hint, query)
$catalog$;

comment on function public.integrity_check_catalog() is
'The checks validate_data_integrity() runs, in order: name, severity when the count is not zero (FAIL: '
'data is wrong; WARN: needs attention), description, what to do, and the SQL that counts the offending '
'rows. Code, not a table, so nobody can make the SECURITY DEFINER runner execute other SQL. Readonly and up.';

revoke execute on function public.integrity_check_catalog() from public;
grant execute on function public.integrity_check_catalog() to lokdarpan_readonly;

create function public.validate_data_integrity(p_only text [] default null)
returns table (
    check_name text,
    status text,
    record_count bigint,
    issue_description text,
    hint text,
    elapsed_ms numeric
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    c record;
    unknown text;
    started timestamptz;
begin
    -- Sizes first: nothing below may read (or echo) an unbounded input.
    if cardinality(p_only) > 100 then
        raise exception 'validate_data_integrity: % check names given; at most 100', cardinality(p_only)
            using errcode = '22023';
    end if;
    if exists (select from unnest(p_only) as n (name) where n.name is null or length(n.name) > 64) then
        raise exception 'validate_data_integrity: a check name is null or longer than 64 characters'
            using errcode = '22023';
    end if;
    select string_agg(quote_literal(n.name), ', ' order by n.name) into unknown
    from (select distinct u.name from unnest(p_only) as u (name)) as n
    where n.name not in (select k.check_name from public.integrity_check_catalog() as k);
    if unknown is not null then
        raise exception 'validate_data_integrity: unknown check %', unknown
            using errcode = '22023',
            hint = 'The checks are: ' || (
                select string_agg(k.check_name, ', ') from public.integrity_check_catalog() as k
            );
    end if;

    for c in
        select k.check_name, k.severity, k.issue_description, k.hint, k.query
        from public.integrity_check_catalog() as k
        where p_only is null or k.check_name = any(p_only)
    loop
        started := clock_timestamp();
        execute c.query into record_count;
        elapsed_ms := round((extract(epoch from clock_timestamp() - started) * 1000)::numeric, 3);
        check_name := c.check_name;
        status := case when record_count = 0 then 'PASS' else c.severity end;
        issue_description := c.issue_description;
        hint := c.hint;
        return next;
    end loop;
end
$$;

comment on function public.validate_data_integrity(text []) is
'The seed''s data integrity validation: runs every check of integrity_check_catalog() (or only those '
'named in p_only, at most 100 names of at most 64 characters; an unknown name raises 22023 naming it) '
'and returns check_name, status (PASS when nothing is found, else the check''s severity: FAIL = data '
'is wrong, WARN = needs attention), record_count, issue_description, hint (what to do) and elapsed_ms. '
'SECURITY DEFINER so a monitoring login reads counts of tables it may not read; it returns counts, '
'never rows. lokdarpan_readonly and up (lokdarpan-db integrity).';

revoke execute on function public.validate_data_integrity(text []) from public;
grant execute on function public.validate_data_integrity(text []) to lokdarpan_readonly;
