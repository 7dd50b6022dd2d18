"""Users: both sides' totals and actives, sign-ups, breakdowns by category and country, and
recent sign-ups (PostgreSQL)."""

from __future__ import annotations

from exporter import catalog
from exporter.dashboards import panels as p
from exporter.dashboards.common import (
    AREAS,
    MAU_WINDOW,
    Bars,
    Board,
    BuildOptions,
    LabelVariable,
    Re,
    Row,
    SqlTable,
    Target,
    Trend,
    panel_sql,
    sel,
    unit_for,
)

AREA = AREAS["users"]
CATEGORY = Re("$category")
COUNTRY = Re("$country")


def _category_variable() -> LabelVariable:
    return LabelVariable(
        "category",
        "Supplier category",
        "Supplier categories shown by the per-category panels (top N, the rest as 'other').",
        sel("execmetrics_active_suppliers_by_category"),
        "category",
        multi=True,
    )


def _country_variable() -> LabelVariable:
    return LabelVariable(
        "country",
        "Country",
        "Countries shown by the per-country panels (top N, the rest as 'other').",
        sel("execmetrics_registered_users_by_country"),
        "country",
        multi=True,
    )


def board(opts: BuildOptions) -> Board:
    count = unit_for("execmetrics_registered_users", opts)
    by_category = "execmetrics_active_suppliers_by_category"
    by_country = "execmetrics_registered_users_by_country"
    signups_by_category = "execmetrics_signups_today_by_category"
    return Board(
        uid=AREA.uid,
        title="Users",
        description=(
            "Suppliers (paying businesses) and couples (free users): totals, actives, "
            "sign-ups, breakdowns by category and country, and the sign-ups of the time range."
        ),
        items=(
            Row("Summary"),
            p.active_side(opts, "supplier"),
            p.active_side(opts, "couple"),
            p.signups_today(opts),
            p.dau_wau_mau(opts),
            Row("Trends"),
            p.active_users_trend(opts, width=12),
            Trend(
                "Users per side",
                catalog.BY_NAME["execmetrics_registered_users"].definition,
                count,
                12,
                9,
                targets=(
                    Target(
                        f"sum by (user_type) ({sel('execmetrics_registered_users')})",
                        "{{user_type}}s",
                    ),
                ),
                min=0,
            ),
            Row("Breakdowns"),
            Trend(
                "Active suppliers by category (30d)",
                catalog.BY_NAME[by_category].definition,
                count,
                12,
                9,
                targets=(
                    Target(
                        f"sum by (category) ({sel(by_category, window=MAU_WINDOW, category=CATEGORY)})",
                        "{{category}}",
                    ),
                ),
                stacked=True,
                fill=60,
            ),
            Bars(
                "Supplier sign-ups today by category",
                catalog.BY_NAME[signups_by_category].definition,
                count,
                12,
                9,
                targets=(
                    Target(
                        f"sum by (category) ({sel(signups_by_category, category=CATEGORY)})",
                        "{{category}}",
                    ),
                ),
            ),
            Bars(
                "Suppliers by country",
                catalog.BY_NAME[by_country].definition + " Suppliers, now.",
                count,
                12,
                9,
                targets=(
                    Target(
                        f"sum by (country) ({sel(by_country, user_type='supplier', country=COUNTRY)})",
                        "{{country}}",
                    ),
                ),
            ),
            Bars(
                "Couples by country",
                catalog.BY_NAME[by_country].definition + " Couples, now.",
                count,
                12,
                9,
                targets=(
                    Target(
                        f"sum by (country) ({sel(by_country, user_type='couple', country=COUNTRY)})",
                        "{{country}}",
                    ),
                ),
            ),
            Row("Sign-ups"),
            SqlTable(
                "Recent sign-ups",
                "Suppliers and couples created in the dashboard's time range, newest first "
                "(at most 500), with the supplier's category and the country; Deleted is set "
                "when the account has since been deleted. From the exporter's read-only view "
                "grafana_recent_signups (PostgreSQL); internal ids only, no names or emails.",
                "none",
                14,
                10,
                sql=panel_sql("recent_signups", opts.schema),
            ),
            SqlTable(
                "Sign-ups in the time range by category",
                "Sign-ups of the dashboard's time range per supplier category (couples on one "
                "line), and how many of those accounts still exist (PostgreSQL, "
                "grafana_recent_signups).",
                count,
                10,
                10,
                sql=panel_sql("signups_by_category", opts.schema),
            ),
            SqlTable(
                "Daily active users (database history)",
                "Distinct suppliers and couples with a session on each local day of the "
                "reporting time zone, from the exporter's daily_metrics materialized view "
                "(PostgreSQL): history that does not depend on Prometheus retention.",
                count,
                24,
                8,
                sql=panel_sql("daily_actives", opts.schema),
                time_series=True,
            ),
            Row("Data"),
            p.area_quality(opts, "users"),
            p.area_freshness(opts, "users"),
            p.area_last_run(opts, "users"),
        ),
        variables=(_category_variable(), _country_variable()),
        uses_postgres=True,
        tags=("users",),
    )
