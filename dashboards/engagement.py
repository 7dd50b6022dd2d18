"""Engagement: DAU/MAU stickiness per side against its benchmark bands, and session length."""

from __future__ import annotations

from dashboards import cards as c
from dashboards.cards import ACTIVE, d
from dashboards.common import Metric, area_board
from dashboards.layout import Board
from dashboards.options import BuildOptions
from dashboards.queries import agg, panel_sql
from dashboards.specs import FULL, HALF, Row, SqlTable, Target
from exporter.vocabulary import GroupName, UserType

GROUP = GroupName.ENGAGEMENT
OVERALL = "execmetrics_session_duration_average_seconds"
PER_SIDE = "execmetrics_session_duration_average_by_user_type_seconds"


def board(opts: BuildOptions) -> Board:
    m = Metric(opts)
    unit = m.unit
    return area_board(
        opts,
        GROUP,
        "How often users come back (DAU/MAU stickiness per side, against B2B SaaS bands "
        "for suppliers and consumer bands for couples) and how long they stay.",
        (
            *c.engagement_cards(opts),
            Row("Stickiness"),
            *(c.side_stickiness_trend(opts, side) for side in UserType),
            c.stickiness_trend(opts, size=HALF),
            m.trend(
                "DAU, WAU and MAU",
                ACTIVE,
                HALF,
                *c.dau_wau_mau_targets(),
                description="Distinct users of both sides with a session in the last day, "
                "7 days and 30 days. " + d(ACTIVE),
                min=0,
            ),
            Row("Sessions"),
            m.trend(
                "Average session duration per side",
                OVERALL,
                HALF,
                Target(agg(OVERALL), "all users"),
                Target(agg(PER_SIDE, ("user_type",)), "{{user_type}}s"),
                description=f"{d(PER_SIDE)} {d(OVERALL)}",
                min=0,
            ),
            SqlTable(
                "Sessions per day (database history)",
                "Sessions with exactly one user, per local day of the reporting time zone, "
                "from the exporter's daily_metrics table (PostgreSQL).",
                unit(ACTIVE),
                HALF,
                sql=panel_sql("daily_sessions"),
                time_series=True,
            ),
            SqlTable(
                "Average session duration per day (database history)",
                "Mean capped duration of the day's sessions with a duration above zero, per "
                "local day, from the exporter's daily_metrics table (PostgreSQL).",
                unit(OVERALL),
                FULL.high(8),
                sql=panel_sql("daily_duration"),
                time_series=True,
            ),
        ),
    )
