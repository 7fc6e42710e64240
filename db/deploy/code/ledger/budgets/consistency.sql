-- Deploy lokdarpan:code/ledger/budgets/consistency to pg
-- requires: ledger/budgets
-- ai_budget_consistency() and the ai_budget_utilisation view: the books proved.

-- The books against the execution rows, the archived ones included.
create or replace function public.ai_budget_consistency()
returns table (budget_id bigint, period_identifier text, check_name text, ledger_usd numeric, executions_usd numeric)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    with settled as (
        select r.budget_id, e.provider::text as provider, e.operation_type::text as operation_type,
            coalesce(e.user_id::text, 'anonymous') as user_key, e.cost_usd::numeric as cost_usd
        from public.ai_budget_reservation as r
        inner join public.ai_model_execution as e on r.execution_id = e.id and r.execution_created_at = e.created_at
        where r.status = 'settled'
        union all
        select a.budget_id, a.provider::text, a.operation_type::text, a.user_key, a.cost_usd
        from public.ai_budget_settled_archive as a
    ),
    -- What the budget rows do not show yet (sliced budgets, ai_budget_fold()): reservations taken from
    -- a slice and still held, held ones closed without the row, and the costs of those settled.
    pending as (
        select r.budget_id,
            case
                when r.booked = 'none' and r.status = 'reserved' then r.estimated_usd
                when r.booked = 'reserved' and r.status <> 'reserved' then -r.estimated_usd
                else 0
            end as held,
            e.provider::text as provider, e.operation_type::text as operation_type,
            coalesce(e.user_id::text, 'anonymous') as user_key, coalesce(e.cost_usd, 0)::numeric as cost_usd
        from public.ai_budget_reservation as r
        left join public.ai_model_execution as e
            on r.status = 'settled' and r.execution_id = e.id and r.execution_created_at = e.created_at
        where r.booked <> 'closed'
    ),
    -- Spend by service, operation and user: the budget's jsonb figures (and what is pending) and the
    -- settled executions, one row per (dimension, key) on each side.
    per_key_ledger as (
        select u.id, u.check_name, u.key, sum(u.ledger) as ledger
        from (
            select b.id, d.check_name, j.key, j.value::numeric as ledger
            from public.ai_budget_tracker as b
            cross join lateral (
                values ('spend_by_service', b.spend_by_service), ('spend_by_operation', b.spend_by_operation),
                ('spend_by_user', b.spend_by_user)
            ) as d (check_name, spent)
            cross join lateral jsonb_each_text(d.spent) as j
            union all
            select p.budget_id, d.check_name, d.k, p.cost_usd
            from pending as p
            cross join lateral (
                values ('spend_by_service', p.provider), ('spend_by_operation', p.operation_type),
                ('spend_by_user', p.user_key)
            ) as d (check_name, k)
            where p.provider is not null
        ) as u
        group by 1, 2, 3
    ),
    books as (
        select b.id, b.total_budget_usd, b.emergency_budget_usd,
            b.current_spend_usd + coalesce(sum(p.cost_usd), 0) as spend,
            b.reserved_usd + coalesce(sum(p.held), 0) as reserved
        from public.ai_budget_tracker as b
        left join pending as p on b.id = p.budget_id
        group by b.id
    ),
    per_key_actual as (
        select s.budget_id, d.check_name, d.k, sum(s.cost_usd) as actual
        from settled as s
        cross join lateral (
            values ('spend_by_service', s.provider), ('spend_by_operation', s.operation_type),
            ('spend_by_user', s.user_key)
        ) as d (check_name, k)
        group by 1, 2, 3
    ),
    figures as (
        select b.id, 'spend'::text as check_name, ''::text as k, b.spend as ledger,
            coalesce((select sum(s.cost_usd) from settled as s where s.budget_id = b.id), 0) as actual
        from books as b
        union all
        select b.id, 'reserved', '', b.reserved,
            coalesce((select sum(r.estimated_usd) from public.ai_budget_reservation as r
                where r.budget_id = b.id and r.status = 'reserved'), 0)
        from books as b
        union all
        select b.id, 'overspend', '', greatest(b.spend - b.total_budget_usd - b.emergency_budget_usd, 0), 0
        from books as b
        union all
        select coalesce(l.id, a.budget_id), coalesce(l.check_name, a.check_name), coalesce(l.key, a.k),
            coalesce(l.ledger, 0), coalesce(a.actual, 0)
        from per_key_ledger as l
        full join per_key_actual as a on l.id = a.budget_id and l.check_name = a.check_name and l.key = a.k
    )
    select f.id, b.period_identifier::text, f.check_name || case when f.k <> '' then ':' || f.k else '' end,
        f.ledger, f.actual
    from figures as f
    inner join public.ai_budget_tracker as b on f.id = b.id
    where f.ledger <> f.actual
    order by 1, 3
$$;

comment on function public.ai_budget_consistency() is
'What disagrees between the budgets and the execution rows: spend, and spend by service, operation and '
'user, against the cost_usd of the executions their settled reservations link to (plus what '
'ai_budget_settled_archive kept of executions whose month was dropped); reserved_usd against open '
'reservations; and any overspend beyond total + emergency. A sliced budget''s figures count what its '
'reservations hold that ai_budget_fold() has not folded in yet. No rows means consistent. Anyone who may '
'read the tables.';

create or replace view public.ai_budget_utilisation as
select
    b.id as budget_id,
    b.period_type,
    b.period_identifier,
    b.total_budget_usd,
    b.emergency_budget_usd,
    b.current_spend_usd,
    b.reserved_usd,
    round((b.current_spend_usd + b.reserved_usd) / b.total_budget_usd * 100, 2) as utilisation_pct,
    round(b.current_spend_usd / b.total_budget_usd * 100, 2) as spent_pct,
    b.budget_status,
    b.circuit_breaker_active,
    b.rate_limit_active,
    b.period_end
from public.ai_budget_tracker as b
where b.period_end > public.lokdarpan_now()
order by utilisation_pct desc;

comment on view public.ai_budget_utilisation is
'The seed''s budget utilisation of the open periods: committed (spent + reserved) and spent as a share of the '
'budget, status and controls, highest utilisation first.';
