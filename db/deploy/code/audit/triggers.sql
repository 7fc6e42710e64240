-- Deploy lokdarpan:code/audit/triggers to pg
-- requires: audit
-- The audit trail's code: the SECURITY DEFINER trigger function that alone writes audit_log,
-- audit_enable() / audit_disable() that attach it to a table, and its attachment to the tables
-- that existed before the trail did ("user", auth_policy, ward, alert).

create or replace function public.audit_row_change()
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
create or replace function public.audit_enable(p_table regclass, p_key text, variadic p_redact text [] default '{}')
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

create or replace function public.audit_disable(p_table regclass)
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
-- (Dropped first, so that a reworked version of this change can attach them again.)
drop trigger if exists audit_row_change on public."user";
drop trigger if exists audit_truncate on public."user";
drop trigger if exists audit_row_change on public.auth_policy;
drop trigger if exists audit_truncate on public.auth_policy;
drop trigger if exists audit_row_change on public.ward;
drop trigger if exists audit_truncate on public.ward;
drop trigger if exists audit_row_change on public.alert;
drop trigger if exists audit_truncate on public.alert;
select public.audit_enable('public."user"', 'id', 'password_hash', 'email');
select public.audit_enable('public.auth_policy', 'id');
select public.audit_enable('public.ward', 'ward_id');
select public.audit_enable('public.alert', 'id');
