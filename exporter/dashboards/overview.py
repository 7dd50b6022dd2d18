"""Executive overview: the headline numbers of every area, each a link to its detail board."""

from __future__ import annotations

from exporter.dashboards import panels as p
from exporter.dashboards.common import (
    AREAS,
    OVERVIEW_UID,
    Board,
    BuildOptions,
    Row,
    currency_variable,
    viral_window_variable,
)


def board(opts: BuildOptions) -> Board:
    revenue = (AREAS["revenue"],)
    users = (AREAS["users"],)
    viral = (AREAS["viral"],)
    engagement = (AREAS["engagement"],)
    return Board(
        uid=OVERVIEW_UID,
        title="Executive overview",
        description=(
            "Revenue, users, the viral loop and engagement of the wedding platform at a "
            "glance. Click any value to open its area's detail board with the same time "
            "range and variables."
        ),
        items=(
            Row("Revenue"),
            *p.revenue_cards(opts, revenue),
            Row("Users"),
            p.active_side(opts, "supplier", users),
            p.active_side(opts, "couple", users),
            p.signups_today(opts, users),
            p.dau_wau_mau(opts, users),
            Row("Viral loop"),
            *p.viral_cards(opts, viral),
            Row("Engagement"),
            p.stickiness(opts, engagement),
            p.supplier_stickiness(opts, engagement),
            p.couple_stickiness(opts, engagement),
            p.session_duration(opts, engagement),
            Row("Trends"),
            p.mrr_movements_trend(opts, revenue),
            p.mrr_by_plan(opts, revenue),
            p.active_users_trend(opts, users),
            p.viral_coefficient_trend(opts, viral),
            p.stickiness_trend(opts, engagement),
            Row("Data"),
            p.data_quality_total(opts),
            p.data_freshness(opts),
        ),
        variables=(currency_variable(), viral_window_variable()),
        tags=("overview",),
    )
