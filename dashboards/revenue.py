"""Revenue: MRR, its movements and retention, breakdowns by plan, category and country, and
the suppliers behind the losses (PostgreSQL)."""

from __future__ import annotations

from dashboards import cards as c
from dashboards.cards import IN_CURRENCY, d
from dashboards.common import Metric, area_board
from dashboards.layout import Board
from dashboards.options import BuildOptions
from dashboards.queries import Re, agg, one_per_series, panel_sql, rule, sel
from dashboards.specs import CARD, FULL, HALF, THIRD, TWO_THIRDS, Row, SqlTable, Stat, Target
from dashboards.thresholds import AT_ONE, BOOKS_BALANCE
from dashboards.variables import CURRENCY, CURRENCY_VARIABLE, LabelVariable
from exporter.vocabulary import TARGETS, GroupName

GROUP = GroupName.REVENUE
PLAN = Re("$plan")
PLAN_VARIABLE = LabelVariable(
    "plan",
    "Plan",
    "Subscription plans shown by the per-plan panels.",
    sel("execmetrics_mrr_by_plan", currency=CURRENCY),
    "plan",
    multi=True,
)
CUSTOMER_CHURN = "execmetrics_customer_churn_ratio"
REVENUE_CHURN = "execmetrics_revenue_churn_ratio"
NRR = "execmetrics_net_revenue_retention_ratio"
QUICK_RATIO = "execmetrics:mrr_quick_ratio:ratio"
NET_MRR_CHURN = "execmetrics:net_mrr_churn:ratio"
BY_PLAN = "execmetrics_mrr_by_plan"
PAYING_BY_PLAN = "execmetrics_paying_suppliers_by_plan"
BY_CATEGORY = "execmetrics_mrr_by_category"
BY_COUNTRY = "execmetrics_mrr_by_country"
RESIDUAL = "execmetrics_reconciliation_residual"


def board(opts: BuildOptions) -> Board:
    m = Metric(opts)
    unit = m.unit
    money = unit("execmetrics_mrr")
    return area_board(
        opts,
        GROUP,
        "Recurring revenue of the supplier subscriptions: MRR, its movements over the "
        "trailing month, retention and churn, breakdowns, and the suppliers who churned "
        "or contracted in the time range.",
        (
            *c.revenue_cards(opts),
            Stat(
                "Books balance",
                "The largest absolute reconciliation residual over the checks, in the "
                f"currency: {d(RESIDUAL)} Green up to {TARGETS.books_tolerance:.2f}; red "
                "above it, where the ExecMetricsBooksUnbalanced alert fires.",
                money,
                CARD,
                targets=(
                    Target(f"max(abs({one_per_series(RESIDUAL, **IN_CURRENCY)}))", "residual"),
                ),
                thresholds=BOOKS_BALANCE,
                color_mode="background",
                graph=False,
                decimals=2,
            ),
            Row("Trends"),
            c.mrr_movements_trend(opts, size=FULL),
            m.trend(
                "Customer and revenue churn",
                CUSTOMER_CHURN,
                HALF.high(8),
                Target(agg(CUSTOMER_CHURN), "customer churn"),
                Target(agg(REVENUE_CHURN), "revenue churn"),
                description="Over the trailing month at each instant: "
                f"{d(CUSTOMER_CHURN)} {d(REVENUE_CHURN)}",
                min=0,
            ),
            m.trend(
                "Net revenue retention",
                NRR,
                HALF.high(8),
                Target(agg(NRR), "net revenue retention"),
                note=" The dashed line marks 100 %.",
                lines=AT_ONE,
            ),
            m.trend(
                "Quick ratio",
                QUICK_RATIO,
                HALF.high(8),
                Target(rule(QUICK_RATIO), "quick ratio"),
                note=". Above 1 MRR grows from existing movements; dashed lines at 1 and 4.",
                lines=((1.0, "orange"), (4.0, "green")),
                decimals=2,
                min=0,
            ),
            m.trend(
                "Net MRR churn",
                NET_MRR_CHURN,
                HALF.high(8),
                Target(rule(NET_MRR_CHURN), "net MRR churn"),
                note=". Below zero is net negative churn: expansion outweighs the losses.",
                lines=((0.0, "red"),),
            ),
            Row("Breakdowns"),
            m.stacked(
                "MRR by plan",
                BY_PLAN,
                HALF,
                Target(agg(BY_PLAN, ("plan",), **IN_CURRENCY, plan=PLAN), "{{plan}}"),
            ),
            m.stacked(
                "Paying suppliers by plan",
                PAYING_BY_PLAN,
                HALF,
                Target(agg(PAYING_BY_PLAN, ("plan",), plan=PLAN), "{{plan}}"),
            ),
            m.stacked(
                "MRR by supplier category",
                BY_CATEGORY,
                HALF,
                Target(agg(BY_CATEGORY, ("category",), **IN_CURRENCY), "{{category}}"),
            ),
            m.bars(
                "MRR by supplier country",
                BY_COUNTRY,
                HALF,
                Target(agg(BY_COUNTRY, ("country",), **IN_CURRENCY), "{{country}}"),
                note=" At the end of the time range.",
            ),
            Row("Suppliers"),
            SqlTable(
                "Suppliers who churned or contracted in the time range",
                "Suppliers whose MRR at the end of the dashboard's time range is below their "
                "MRR at its start: churn (now 0) or contraction, with the MRR change, largest "
                "loss first. From the exporter's read-only function records_mrr_movements "
                "(PostgreSQL); business ids, categories and countries only.",
                money,
                TWO_THIRDS.high(10),
                sql=panel_sql("churned_or_contracted"),
            ),
            SqlTable(
                "MRR change in the time range by category",
                "Per supplier category: MRR gained (new, reactivation, expansion), lost "
                "(contraction, churn) and the net change between the start and the end of the "
                "dashboard's time range (PostgreSQL, grafana_mrr_changes_by_category).",
                money,
                THIRD.high(10),
                sql=panel_sql("changes_by_category"),
            ),
        ),
        (CURRENCY_VARIABLE, PLAN_VARIABLE),
    )
