-- Deploy lokdarpan:audit to pg
-- requires: users
-- requires: wards
-- requires: alerts
-- The seed's audit trail: every insert, update, delete and truncate on accounts, the lockout
-- policy, wards and alerts leaves a row in audit_log, written by a SECURITY DEFINER trigger so
-- that application roles cannot write (or rewrite) the log themselves. The application says who
-- its user is per transaction:
--     select set_config('lokdarpan.user_id', '42', true);              -- "user".id
--     select set_config('lokdarpan.client_ip', '203.0.113.7', true);   -- else inet_client_addr()
--     select set_config('lokdarpan.user_agent', 'Mozilla/5.0 …', true); -- else application_name
-- Password hashes and e-mail tokens never reach the log: they are replaced by "[redacted]" (an
-- append-only log cannot be re-encrypted when keys rotate). Client addresses are kept only to
-- their network (IPv4 /24, IPv6 /48) and browsers to 200 characters: docs/security.md, personal data.

create table public.audit_log (
    id bigint generated always as identity
    constraint audit_log_pkey primary key,
    table_name varchar(64) not null,
    operation varchar(16) not null
    constraint audit_log_operation_known check (operation in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
    row_key text,
    user_id integer,
    old_values jsonb,
    new_values jsonb,
    changed_columns text [],
    changed_at timestamptz not null default public.lokdarpan_now(),
    client_ip inet,
    user_agent text,
    db_role text not null,
    session_role text not null,
    transaction_id bigint not null,
    constraint audit_log_values_match_operation check (
        case operation
            when 'INSERT' then old_values is null and new_values is not null
            when 'UPDATE' then old_values is not null and new_values is not null
            when 'DELETE' then old_values is not null and new_values is null
            else old_values is null and new_values is null
        end
    )
);

comment on table public.audit_log is
'Who changed which row of "user", auth_policy, ward and alert, when, from where, and what the row '
'looked like before and after. Written only by the trigger function audit_row_change(); '
'lokdarpan_admin reads it, no application role can change it.';
comment on column public.audit_log.id is 'Entry id, in the order entries were written.';
comment on column public.audit_log.table_name is 'The changed table (TG_TABLE_NAME, e.g. user, alert, ward).';
comment on column public.audit_log.operation is 'INSERT, UPDATE, DELETE or TRUNCATE (one entry per truncate statement).';
comment on column public.audit_log.row_key is
'The changed row''s primary key as text ("user".id, alert.id, ward.ward_id); null for TRUNCATE.';
comment on column public.audit_log.user_id is
'The application user who made the change, from the transaction setting lokdarpan.user_id; null '
'when the application did not say. Deliberately not a foreign key: accounts are deleted while '
'their history stays, and an unknown id must not block the write it describes.';
comment on column public.audit_log.old_values is
'The row before the change (UPDATE, DELETE), as jsonb; password hashes and e-mail tokens read "[redacted]".';
comment on column public.audit_log.new_values is
'The row after the change (INSERT, UPDATE), as jsonb; password hashes and e-mail tokens read "[redacted]".';
comment on column public.audit_log.changed_columns is
'For UPDATE, the columns whose value changed (password_hash and email included when they changed, '
'though their values are redacted; a key rotation changes email); null otherwise.';
comment on column public.audit_log.changed_at is 'When the change was made (the transaction''s lokdarpan_now()).';
comment on column public.audit_log.client_ip is
'The network of the end user''s address from the setting lokdarpan.client_ip, else of the database '
'client''s address (inet_client_addr(); null over a Unix socket): IPv4 kept to /24, IPv6 to /48, never '
'the host (personal data, docs/security.md).';
comment on column public.audit_log.user_agent is
'The end user''s browser from the setting lokdarpan.user_agent, else the connection''s application_name; '
'at most 200 characters.';
comment on column public.audit_log.db_role is
'The database role the change ran as (the role set with SET ROLE, else the login role), even when '
'it went through a SECURITY DEFINER function.';
comment on column public.audit_log.session_role is 'The login role of the connection (session_user).';
comment on column public.audit_log.transaction_id is
'The changing transaction (txid_current()): the entries of one transaction share it.';

create index ix_audit_log_table_changed on public.audit_log (table_name, changed_at);
create index ix_audit_log_row on public.audit_log (table_name, row_key, changed_at);
create index ix_audit_log_user on public.audit_log (user_id, changed_at) where user_id is not null;
comment on index public.ix_audit_log_table_changed is 'Recent changes to a table.';
comment on index public.ix_audit_log_row is 'The history of one row.';
comment on index public.ix_audit_log_user is 'What one application user changed.';

-- Append-only for every application role; admin reads. (The roles change's default privileges
-- gave readonly SELECT and admin everything; the log holds addresses and account details.)
revoke all on public.audit_log from lokdarpan_readonly, lokdarpan_admin;
grant select on public.audit_log to lokdarpan_admin;
revoke all on sequence public.audit_log_id_seq from lokdarpan_readonly, lokdarpan_admin;

create function public.audit_row_change()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    old_row jsonb;
    new_row jsonb;
    changed text [];
    col text;
    setting text;
    who integer;
    ip inet;
begin
    if tg_level = 'ROW' then
        if tg_op in ('UPDATE', 'DELETE') then
            old_row := to_jsonb(old);
        end if;
        if tg_op in ('INSERT', 'UPDATE') then
            new_row := to_jsonb(new);
        end if;
        if tg_op = 'UPDATE' then
            select array_agg(n.key order by n.key) into changed
            from jsonb_each(new_row) as n
            -- Compared as text: jsonb equality calls 1.0 and 1.00 equal, but the stored value changed.
            where n.value::text is distinct from (old_row -> n.key)::text;
            if changed is null then
                return null; -- an update that changed nothing is not worth an entry
            end if;
        end if;
        -- Trigger arguments after the key column name the columns never to log.
        foreach col in array coalesce(tg_argv[1:], '{}') loop
            if jsonb_typeof(old_row -> col) is distinct from 'null' and old_row ? col then
                old_row := jsonb_set(old_row, array[col], '"[redacted]"');
            end if;
            if jsonb_typeof(new_row -> col) is distinct from 'null' and new_row ? col then
                new_row := jsonb_set(new_row, array[col], '"[redacted]"');
            end if;
        end loop;
    end if;

    setting := nullif(btrim(current_setting('lokdarpan.user_id', true)), '');
    if setting is not null then
        if setting !~ '^[1-9][0-9]{0,9}$' or setting::bigint > 2147483647 then
            raise exception 'lokdarpan.user_id must be a "user".id (a positive integer), not "%"', setting
                using errcode = 'invalid_parameter_value',
                hint = 'Set it per transaction: select set_config(''lokdarpan.user_id'', ''42'', true)';
        end if;
        who := setting::integer;
    end if;

    setting := nullif(btrim(current_setting('lokdarpan.client_ip', true)), '');
    if setting is null then
        ip := inet_client_addr();
    else
        begin
            ip := setting::inet;
        exception when invalid_text_representation then
            raise exception 'lokdarpan.client_ip must be an IP address, not "%"', left(setting, 60)
                using errcode = 'invalid_parameter_value';
        end;
    end if;
    -- Personal data: keep the network, not the host (IPv4 /24, IPv6 /48).
    ip := network(set_masklen(ip, case family(ip) when 4 then least(masklen(ip), 24) else least(masklen(ip), 48) end))::inet;

    insert into public.audit_log (
        table_name, operation, row_key, user_id, old_values, new_values, changed_columns, changed_at,
        client_ip, user_agent, db_role, session_role, transaction_id
    ) values (
        tg_table_name,
        tg_op,
        coalesce(new_row, old_row) ->> tg_argv[0],
        who,
        old_row,
        new_row,
        changed,
        public.lokdarpan_now(),
        ip,
        left(coalesce(
            nullif(current_setting('lokdarpan.user_agent', true), ''),
            nullif(current_setting('application_name', true), '')
        ), 200),
        -- Inside this SECURITY DEFINER function current_user is its owner; the role GUC still
        -- names the role the statement ran as.
        case when current_setting('role') = 'none' then session_user else current_setting('role') end,
        session_user,
        txid_current()
    );
    return null;
end
$$;

comment on function public.audit_row_change() is
'AFTER trigger writing one audit_log entry per changed row (FOR EACH ROW) or per TRUNCATE (FOR EACH '
'STATEMENT). Arguments: the primary-key column, then columns whose values are replaced by '
'"[redacted]". Skips updates that change nothing. Reads lokdarpan.user_id (raises '
'invalid_parameter_value unless it is a positive integer), lokdarpan.client_ip (must be an IP '
'address) and lokdarpan.user_agent. SECURITY DEFINER: the only way rows reach audit_log.';

revoke execute on function public.audit_row_change() from public;

-- How a table joins the audit trail: the change that creates the table calls this, so a new
-- audited table never edits an already-deployed change.
create function public.audit_enable(p_table regclass, p_key text, variadic p_redact text [] default '{}')
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    col text;
begin
    if p_table is null or p_key is null then
        raise exception 'audit_enable needs a table and its key column' using errcode = 'null_value_not_allowed';
    end if;
    foreach col in array array[p_key] || coalesce(p_redact, '{}') loop
        if not exists (
            select from pg_catalog.pg_attribute as a
            where a.attrelid = p_table and a.attname = col and a.attnum > 0 and not a.attisdropped
        ) then
            raise exception 'audit_enable: table % has no column %', p_table, pg_catalog.quote_ident(col)
                using errcode = 'undefined_column';
        end if;
    end loop;
    execute pg_catalog.format(
        'create trigger audit_row_change after insert or update or delete on %s '
        'for each row execute function public.audit_row_change(%s)',
        p_table,
        (select pg_catalog.string_agg(pg_catalog.quote_literal(c), ', ') from unnest(array[p_key] || coalesce(p_redact, '{}')) as c)
    );
    execute pg_catalog.format(
        'create trigger audit_truncate after truncate on %s for each statement execute function public.audit_row_change()',
        p_table
    );
    execute pg_catalog.format(
        'comment on trigger audit_row_change on %s is %L', p_table,
        pg_catalog.format('Audits changes to %s (key %s%s).', p_table, p_key,
            case when pg_catalog.cardinality(p_redact) > 0
                then ', redacted: ' || pg_catalog.array_to_string(p_redact, ', ') else '' end)
    );
    execute pg_catalog.format('comment on trigger audit_truncate on %s is %L', p_table,
        pg_catalog.format('Audits TRUNCATE of %s.', p_table));
end
$$;

comment on function public.audit_enable(regclass, text, text []) is
'Attaches the audit trail to a table: an AFTER row trigger audit_row_change (p_key names the primary-key '
'column written to audit_log.row_key; further arguments name columns logged as "[redacted]") and an '
'AFTER TRUNCATE trigger audit_truncate. Called by the change that creates the table, as the table''s '
'owner; raises undefined_column (42703) for a column the table lacks. Undo with audit_disable().';

create function public.audit_disable(p_table regclass)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    execute pg_catalog.format('drop trigger audit_truncate on %s', p_table);
    execute pg_catalog.format('drop trigger audit_row_change on %s', p_table);
end
$$;

comment on function public.audit_disable(regclass) is
'Detaches the audit trail from a table (the two triggers audit_enable() made); for revert scripts. The '
'table''s past entries stay in audit_log.';

revoke execute on function public.audit_enable(regclass, text, text []) from public;
revoke execute on function public.audit_disable(regclass) from public;

-- The tables that existed before the audit trail did. Later tables call audit_enable() themselves.
select public.audit_enable('public."user"', 'id', 'password_hash', 'email');
select public.audit_enable('public.auth_policy', 'id');
select public.audit_enable('public.ward', 'ward_id');
select public.audit_enable('public.alert', 'id');
