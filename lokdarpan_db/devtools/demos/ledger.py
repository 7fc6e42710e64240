"""The demo's AI ledger part: a week of synthetic AI calls (generated once), a budget charged
through reservations, and the cost, cache and budget views an operator reads."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import psycopg
from rich.console import Console
from rich.table import Table

DEMO_ROWS = 20_000


def show_ledger(conn: psycopg.Connection, console: Console) -> None:
    from ..synthetic.ledger import generate_executions

    have = conn.execute(
        "select count(*) from ai_model_execution where request_id like 'demo-week-%%'"
    ).fetchone()[0]
    if not have:
        now = conn.execute("select lokdarpan_now()").fetchone()[0]
        conn.execute("select count(*) from ai_execution_ensure_partitions(3, %s)", (now - timedelta(days=8),))
        generate_executions(conn, DEMO_ROWS, now - timedelta(days=7), now, tag="week")
        conn.commit()
        console.print(
            f"\nloaded {DEMO_ROWS:,} synthetic AI calls over the last 7 days (list prices of August 2025)"
        )
    table = Table(title="AI cost by provider and model, last 24 hours (ai_cost_by_provider_24h)")
    for col in ("provider", "model", "requests", "tokens", "cost USD", "avg latency ms", "success %"):
        table.add_column(col, justify="left" if col in ("provider", "model") else "right")
    for p, m, n, tok, cost, _avg, lat, ok in conn.execute("select * from ai_cost_by_provider_24h"):
        table.add_row(p, m, f"{n:,}", f"{tok:,}", f"{cost:.2f}", f"{lat:,.0f}", f"{ok:.1f}")
    console.print(table)
    table = Table(title="prompt-cache efficiency, last 7 days (ai_cache_efficiency_7d)")
    for col in ("operation", "requests", "avg cache ratio", "cached tokens", "est. savings USD"):
        table.add_column(col, justify="left" if col == "operation" else "right")
    for op, n, ratio, cached, savings in conn.execute("select * from ai_cache_efficiency_7d"):
        table.add_row(op, f"{n:,}", f"{ratio:.2f}", f"{cached:,}", f"{savings:.2f}")
    console.print(table)

    # A small campaign budget, charged through the functions the application calls.
    budget = conn.execute(
        """insert into ai_budget_tracker (period_type, period_identifier, period_start, period_end,
               total_budget_usd,
               emergency_budget_usd)
           values ('daily', 'demo-' || to_char(lokdarpan_now(), 'YYYY-MM-DD'), lokdarpan_now() - interval
               '1 hour',
               lokdarpan_now() + interval '23 hours', 1.00, 0.25)
           on conflict (period_type, period_identifier) do update set total_budget_usd =
               excluded.total_budget_usd
           returning id"""
    ).fetchone()[0]
    refused = ""
    for i in range(40):
        try:
            rid = conn.execute(
                "select reservation_id from ai_budget_reserve(%s, %s, 'openai', 'report_generation')",
                (budget, Decimal("0.05")),
            ).fetchone()[0]
        except psycopg.Error as exc:
            conn.rollback()
            refused = f"reservation {i + 1} refused ({exc.sqlstate}): {exc.diag.message_primary}"
            break
        eid = conn.execute(
            """insert into ai_model_execution (request_id, operation_type, provider, model_name, input_tokens,
                   output_tokens, cost_usd, success_status)
               values (gen_random_uuid()::text, 'report_generation', 'openai', 'gpt-4o', 6000, 1500,
                   0.03, 'success')
               returning id"""
        ).fetchone()[0]
        conn.execute("select ai_budget_settle(%s, %s)", (rid, eid))
        conn.commit()
    row = conn.execute(
        """select total_budget_usd, current_spend_usd, utilisation_pct, budget_status, circuit_breaker_active
           from ai_budget_utilisation where budget_id = %s""",
        (budget,),
    ).fetchone()
    console.print(
        f"\n[bold]budget[/bold] {row[0]} USD: spent {row[1]:.2f}, {row[2]}% committed, status {row[3]}, "
        f"circuit breaker {'open' if row[4] else 'closed'}"
    )
    if refused:
        console.print(refused)
    bad = conn.execute("select count(*) from ai_budget_consistency()").fetchone()[0]
    console.print(f"ai_budget_consistency(): {'consistent' if not bad else f'{bad} disagreements'}")
