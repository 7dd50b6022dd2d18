"""Users: both sides' totals and actives, sign-ups, breakdowns by category and country, and
recent sign-ups (PostgreSQL)."""

from __future__ import annotations

from dashboards import cards as c
from dashboards.cards import MAU, d
from dashboards.layout import Board
from dashboards.links import AREAS
from dashboards.options import BuildOptions
from dashboards.queries import Re, agg, panel_sql, sel
from dashboards.specs import (
    FULL,
    HALF,
    THIRD,
    TWO_THIRDS,
    Bars,
    Row,
    SqlTable,
    Target,
    Trend,
    stacked,
)
from dashboards.units import unit_for
from dashboards.variables import LabelVariable
from exporter.vocabulary import GroupName, UserType

GROUP = GroupName.USERS
AREA = AREAS[GROUP]
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


def _by_country(side: UserType, opts: BuildOptions) -> Bars:
    return Bars(
        f"{side.capitalize()}s by country",
        d(BY_COUNTRY) + f" {side.capitalize()}s, now.",
        unit_for(REGISTERED, opts.currency),
        HALF,
        targets=(
            Target(agg(BY_COUNTRY, ("country",), user_type=side, country=COUNTRY), "{{country}}"),
        ),
    )


def board(opts: BuildOptions) -> Board:
    count = unit_for(REGISTERED, opts.currency)
    return Board(
        uid=AREA.uid,
        title="Users",
        description=(
            "Suppliers (paying businesses) and couples (free users): totals, actives, "
            "sign-ups, breakdowns by category and country, and the sign-ups of the time range."
        ),
        items=(
            Row("Summary"),
            *c.user_cards(opts),
            Row("Trends"),
            c.active_users_trend(opts, size=HALF),
            Trend(
                "Users per side",
                d(REGISTERED),
                count,
                HALF,
                targets=(Target(agg(REGISTERED, ("user_type",)), "{{user_type}}s"),),
                min=0,
            ),
            Row("Breakdowns"),
            stacked(
                f"Active suppliers by category ({MAU})",
                d(BY_CATEGORY),
                count,
                HALF,
                Target(
                    agg(BY_CATEGORY, ("category",), window=MAU, category=CATEGORY), "{{category}}"
                ),
            ),
            Bars(
                "Supplier sign-ups today by category",
                d(SIGNUPS_BY_CATEGORY),
                count,
                HALF,
                targets=(
                    Target(
                        agg(SIGNUPS_BY_CATEGORY, ("category",), category=CATEGORY), "{{category}}"
                    ),
                ),
            ),
            _by_country(UserType.SUPPLIER, opts),
            _by_country(UserType.COUPLE, opts),
            Row("Sign-ups"),
            SqlTable(
                "Recent sign-ups",
                "Suppliers and couples created in the dashboard's time range, newest first "
                "(at most 500), with the supplier's category and the country; Deleted is set "
                "when the account has since been deleted. From the exporter's read-only view "
                "grafana_recent_signups (PostgreSQL); internal ids only, no names or emails.",
                "none",
                TWO_THIRDS.high(10),
                sql=panel_sql("recent_signups"),
            ),
            SqlTable(
                "Sign-ups in the time range by category",
                "Sign-ups of the dashboard's time range per supplier category (couples on one "
                "line), and how many of those accounts still exist (PostgreSQL, "
                "grafana_recent_signups).",
                count,
                THIRD.high(10),
                sql=panel_sql("signups_by_category"),
            ),
            SqlTable(
                "Daily active users (database history)",
                "Distinct suppliers and couples with a session on each local day of the "
                "reporting time zone, from the exporter's daily_metrics materialized view "
                "(PostgreSQL): history that does not depend on Prometheus retention.",
                count,
                FULL.high(8),
                sql=panel_sql("daily_actives"),
                time_series=True,
            ),
            Row("Data"),
            c.area_quality(opts, GROUP),
            c.area_freshness(opts, GROUP),
            c.area_last_run(opts, GROUP),
        ),
        variables=(CATEGORY_VARIABLE, COUNTRY_VARIABLE),
        tags=(GROUP,),
    )
