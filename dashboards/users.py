"""Users: both sides' totals and actives, sign-ups, breakdowns by category and country, and
recent sign-ups (PostgreSQL)."""

from __future__ import annotations

from dashboards import cards as c
from dashboards.cards import MAU
from dashboards.common import Metric, area_board
from dashboards.layout import Board
from dashboards.options import BuildOptions
from dashboards.queries import Re, agg, panel_sql, sel
from dashboards.specs import FULL, HALF, THIRD, TWO_THIRDS, Row, SqlTable, Target
from dashboards.variables import LabelVariable
from exporter.vocabulary import GroupName, UserType

GROUP = GroupName.USERS
CATEGORY = Re("$category")
COUNTRY = Re("$country")
REGISTERED = "execmetrics_registered_users"
BY_CATEGORY = "execmetrics_active_suppliers_by_category"
BY_COUNTRY = "execmetrics_registered_users_by_country"
SIGNUPS_BY_CATEGORY = "execmetrics_signups_today_by_category"
CATEGORY_VARIABLE = LabelVariable(
    "category",
    "Supplier category",
    "Supplier categories shown by the per-category panels (top N, the rest as 'other').",
    sel(BY_CATEGORY),
    "category",
    multi=True,
)
COUNTRY_VARIABLE = LabelVariable(
    "country",
    "Country",
    "Countries shown by the per-country panels (top N, the rest as 'other').",
    sel(BY_COUNTRY),
    "country",
    multi=True,
)


def board(opts: BuildOptions) -> Board:
    m = Metric(opts)
    count = m.unit(REGISTERED)
    return area_board(
        opts,
        GROUP,
        "Suppliers (paying businesses) and couples (free users): totals, actives, "
        "sign-ups, breakdowns by category and country, and the sign-ups of the time range.",
        (
            *c.user_cards(opts),
            Row("Trends"),
            c.active_users_trend(opts, size=HALF),
            m.trend(
                "Users per side",
                REGISTERED,
                HALF,
                Target(agg(REGISTERED, ("user_type",)), "{{user_type}}s"),
                min=0,
            ),
            Row("Breakdowns"),
            m.stacked(
                f"Active suppliers by category ({MAU})",
                BY_CATEGORY,
                HALF,
                Target(
                    agg(BY_CATEGORY, ("category",), window=MAU, category=CATEGORY), "{{category}}"
                ),
            ),
            m.bars(
                "Supplier sign-ups today by category",
                SIGNUPS_BY_CATEGORY,
                HALF,
                Target(agg(SIGNUPS_BY_CATEGORY, ("category",), category=CATEGORY), "{{category}}"),
            ),
            *(
                m.bars(
                    f"{side.capitalize()}s by country",
                    BY_COUNTRY,
                    HALF,
                    Target(
                        agg(BY_COUNTRY, ("country",), user_type=side, country=COUNTRY),
                        "{{country}}",
                    ),
                    note=f" {side.capitalize()}s, now.",
                    unit=REGISTERED,
                )
                for side in UserType
            ),
            Row("Sign-ups"),
            SqlTable(
                "Recent sign-ups",
                "Suppliers and couples created in the dashboard's time range, newest first "
                "(at most 500), with the supplier's category, the country and whether the account "
                "still exists at the range's end. From the exporter's read-only function "
                "records_signups (PostgreSQL); internal ids only, no names or emails.",
                "none",
                TWO_THIRDS.high(10),
                sql=panel_sql("recent_signups"),
            ),
            SqlTable(
                "Sign-ups in the time range by category",
                "Sign-ups of the dashboard's time range per supplier category (couples on one "
                "line), and how many of those accounts still exist at the range's end "
                "(PostgreSQL, grafana_signups_by_category).",
                count,
                THIRD.high(10),
                sql=panel_sql("signups_by_category"),
            ),
            SqlTable(
                "Daily active users (database history)",
                "Distinct suppliers and couples with a session on each local day of the "
                "reporting time zone, from the exporter's daily_metrics table "
                "(PostgreSQL): history that does not depend on Prometheus retention.",
                count,
                FULL.high(8),
                sql=panel_sql("daily_actives"),
                time_series=True,
            ),
        ),
        (CATEGORY_VARIABLE, COUNTRY_VARIABLE),
    )
