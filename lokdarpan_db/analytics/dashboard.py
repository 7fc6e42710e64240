"""The dashboard of one ward: its summary row, its recent daily trend, the competitive analysis and
its vote shares at the latest Assembly and Lok Sabha elections side by side, read from the
database's views and functions (ward_analytics_summary, daily_ward_trends,
get_ward_competitive_analysis, ward_election_shares)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..errors import BadInputError
from ..facts import TREND_DAYS as MAX_TREND_DAYS  # daily_ward_trends holds this many days
from .errors import database_says


@dataclass
class WardDashboard:
    ward_id: str
    summary: dict[str, Any]
    trend: list[dict[str, Any]] = field(default_factory=list)
    competition: list[dict[str, Any]] = field(default_factory=list)
    days: int = 30
    votes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def elections(self) -> dict[str, dict[str, str] | None]:
        """The Assembly and Lok Sabha elections the vote shares are from, each with its method
        (result_ward_agg.method), or None when the ward has no results of that kind."""
        first = self.votes[0] if self.votes else {}
        return {
            kind: {"election": first[f"{kind}_election"], "method": first[f"{kind}_method"]}
            if first.get(f"{kind}_election") else None
            for kind in ("assembly", "lok_sabha")
        }

    @property
    def ward_name(self) -> str:
        return str(self.summary["ward_name"])

    def as_dict(self) -> dict[str, Any]:
        return {"ward_id": self.ward_id, "summary": self.summary, "trend": self.trend,
                "competition_days": self.days, "competition": self.competition,
                "elections": self.elections,
                "vote_shares": [
                    {k: r[k] for k in ("party", "assembly_share", "lok_sabha_share",
                                       "assembly_votes", "lok_sabha_votes")}
                    for r in self.votes
                ]}


def ward_dashboard(
    conn: psycopg.Connection, ward: str, trend_days: int = 14, days: int = 30
) -> WardDashboard:
    """Summary, the last `trend_days` days (oldest first), the `days`-day competitive analysis and
    the vote shares (latest Assembly and Lok Sabha elections, with their methods) of the ward that
    `ward` names (id, name or number). Unknown ward or bad numbers: BadInputError."""
    if not 1 <= trend_days <= MAX_TREND_DAYS:
        raise BadInputError(f"trend days must be between 1 and {MAX_TREND_DAYS}, got {trend_days}")
    with database_says(), conn.cursor(row_factory=dict_row) as cur:
        # The analysis validates the ward and the period and names a bad one.
        competition = cur.execute(
            "select * from public.get_ward_competitive_analysis(%s, %s::integer)", (ward, days)
        ).fetchall()
        ward_id = cur.execute("select public.ward_resolve(%s) as w", (ward,)).fetchone()["w"]  # type: ignore[index]
        summary = cur.execute(
            "select * from public.ward_analytics_summary where ward_id = %s", (ward_id,)
        ).fetchone()
        trend = cur.execute(
            "select * from public.daily_ward_trends where ward_id = %s "
            "and trend_date > public.ward_post_day(public.lokdarpan_now()) - %s::integer order by trend_date",
            (ward_id, trend_days),
        ).fetchall()
        votes = cur.execute("select * from public.ward_election_shares(%s)", (ward_id,)).fetchall()
    assert summary is not None
    return WardDashboard(ward_id, summary, trend, competition, days, votes)

