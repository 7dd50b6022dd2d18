"""Engagement: DAU/MAU stickiness per side against its benchmark bands, and session length."""

from __future__ import annotations

from exporter import catalog
from exporter.dashboards import panels as p
from exporter.dashboards.common import (
    AREAS,
    Board,
    BuildOptions,
    Row,
    SqlTable,
    Target,
    Trend,
    panel_sql,
    sel,
    unit_for,
)

AREA = AREAS["engagement"]


def board(opts: BuildOptions) -> Board:
    a = "execmetrics_active_users"
    overall = "execmetrics_session_duration_average_seconds"
    per_side = "execmetrics_session_duration_average_by_user_type_seconds"
    return Board(
        uid=AREA.uid,
        title="Engagement",
        description=(
            "How often users come back (DAU/MAU stickiness per side, against B2B SaaS bands "
            "for suppliers and consumer bands for couples) and how long they stay."
        ),
        items=(
            Row("Summary"),
            p.stickiness(opts),
            p.supplier_stickiness(opts),
            p.couple_stickiness(opts),
            p.session_duration(opts),
            Row("Stickiness"),
            p.side_stickiness_trend(opts, "supplier"),
            p.side_stickiness_trend(opts, "couple"),
            p.stickiness_trend(opts, width=12),
            Trend(
                "DAU, WAU and MAU",
                "Distinct users of both sides with a session in the last day, 7 days and "
                "30 days. " + catalog.BY_NAME[a].definition,
                unit_for(a, opts),
                12,
                9,
                targets=tuple(
                    Target(f"sum({sel(a, window=w)})", name)
                    for w, name in (("1d", "DAU"), ("7d", "WAU"), ("30d", "MAU"))
                ),
                min=0,
            ),
            Row("Sessions"),
            Trend(
                "Average session duration per side",
                f"{catalog.BY_NAME[per_side].definition} {catalog.BY_NAME[overall].definition}",
                unit_for(overall, opts),
                12,
                9,
                targets=(
                    Target(f"max({sel(overall)})", "all users"),
                    Target(f"max by (user_type) ({sel(per_side)})", "{{user_type}}s"),
                ),
                min=0,
            ),
            SqlTable(
                "Sessions per day (database history)",
                "Sessions with exactly one user, per local day of the reporting time zone, "
                "from the exporter's daily_metrics materialized view (PostgreSQL).",
                unit_for("execmetrics_active_users", opts),
                12,
                9,
                sql=panel_sql("daily_sessions", opts.schema),
                time_series=True,
            ),
            SqlTable(
                "Average session duration per day (database history)",
                "Mean capped duration of the day's sessions with a duration above zero, per "
                "local day, from the exporter's daily_metrics materialized view (PostgreSQL).",
                unit_for(overall, opts),
                24,
                8,
                sql=panel_sql("daily_duration", opts.schema),
                time_series=True,
            ),
            Row("Data"),
            p.area_quality(opts, "engagement"),
            p.area_freshness(opts, "engagement"),
            p.area_last_run(opts, "engagement"),
        ),
        uses_postgres=True,
        tags=("engagement",),
    )
