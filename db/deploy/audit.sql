-- Deploy lokdarpan:audit to pg
-- requires: users
-- requires: wards
-- requires: alerts
-- The seed's audit trail: every insert, update, delete and truncate on accounts, the lockout
-- policy, wards and alerts leaves a row in audit_log, written by a SECURITY DEFINER trigger (code/audit/triggers) so
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
