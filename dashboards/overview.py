"""Executive overview: the headline numbers of every area, each a link to its detail board."""

from __future__ import annotations

from dashboards import cards as c
from dashboards.growth import growth_cards
from dashboards.layout import Board
from dashboards.links import AREAS, OVERVIEW_UID
from dashboards.options import BuildOptions
from dashboards.specs import Row
from dashboards.variables import CURRENCY_VARIABLE, VIRAL_WINDOW_VARIABLE
from exporter.vocabulary import GroupName


def board(opts: BuildOptions) -> Board:
    revenue, users, viral, engagement, growth = (
        (AREAS[g],)
        for g in (
            GroupName.REVENUE,
            GroupName.USERS,
            GroupName.VIRAL,
            GroupName.ENGAGEMENT,
            GroupName.GROWTH,
        )
    )
    return Board(
        uid=OVERVIEW_UID,
        title="Executive overview",
        description=(
            "Revenue, users, the viral loop, engagement and growth of the wedding platform at a "
            "glance. Click any value to open its area's detail board, or the table of the "
            "records behind it, with the same time range and variables."
        ),
        items=(
            Row("Revenue"),
            *c.revenue_cards(opts, revenue),
            Row("Pacing to target"),
            *c.pacing_cards(opts, revenue),
            Row("Users"),
            *c.user_cards(opts, users),
            Row("Viral loop"),
            *c.viral_cards(opts, viral),
            Row("Engagement"),
            *c.engagement_cards(opts, engagement),
            Row("Growth"),
            *growth_cards(opts, growth),
            Row("Trends"),
            c.mrr_movements_trend(opts, revenue),
            c.mrr_by_plan(opts, revenue),
            c.active_users_trend(opts, users),
            c.viral_coefficient_trend(opts, viral),
            c.stickiness_trend(opts, engagement),
            Row("Data"),
            c.data_quality_total(opts),
            c.data_freshness(opts),
        ),
        variables=(CURRENCY_VARIABLE, VIRAL_WINDOW_VARIABLE),
        tags=("overview",),
    )
