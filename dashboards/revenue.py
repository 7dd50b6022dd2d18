"""Revenue: MRR, its movements and retention, breakdowns by plan, category and country, and
the suppliers behind the losses (PostgreSQL)."""

from __future__ import annotations

from dashboards import cards as c
from dashboards.cards import IN_CURRENCY, d
from dashboards.layout import Board
from dashboards.links import AREAS
from dashboards.options import BuildOptions
from dashboards.queries import Re, agg, one_per_series, panel_sql, rule, sel
from dashboards.specs import (
    CARD,
    FULL,
    HALF,
    THIRD,
    TWO_THIRDS,
    Bars,
    Row,
    SqlTable,
    Stat,
    Target,
    Trend,
    stacked,
)
from dashboards.thresholds import steps
from dashboards.units import unit_for
from dashboards.variables import CURRENCY, CURRENCY_VARIABLE, LabelVariable
from exporter.vocabulary import GroupName

GROUP = GroupName.REVENUE
AREA = AREAS[GROUP]
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
# The residual beyond which the books do not balance (provisioning/prometheus/rules/
# execmetrics.growth.yml, ExecMetricsBooksUnbalanced).
BOOKS_TOLERANCE = 0.01


def board(opts: BuildOptions) -> Board:
    money = unit_for("execmetrics_mrr", opts.currency)

    def unit(name: str) -> str:
        return unit_for(name, opts.currency)

    return Board(
        uid=AREA.uid,
        title="Revenue",
        description=(
            "Recurring revenue of the supplier subscriptions: MRR, its movements over the "
            "trailing month, retention and churn, breakdowns, and the suppliers who churned "
            "or contracted in the time range."
        ),
        items=(
            Row("Summary"),
            *c.revenue_cards(opts),
            Stat(
                "Books balance",
                "The largest absolute reconciliation residual over the checks, in the "
                f"currency: {d(RESIDUAL)} Green at 0.00; red from "
                f"{BOOKS_TOLERANCE:.2f}, the ExecMetricsBooksUnbalanced alert's threshold.",
                money,
                CARD,
                targets=(
                    Target(f"max(abs({one_per_series(RESIDUAL, **IN_CURRENCY)}))", "residual"),
                ),
                thresholds=steps("green", (BOOKS_TOLERANCE, "red")),
                color_mode="background",
                graph=False,
                decimals=2,
            ),
            Row("Trends"),
            c.mrr_movements_trend(opts, size=FULL),
            Trend(
                "Customer and revenue churn",
                f"Over the trailing month at each instant: {d(CUSTOMER_CHURN)} {d(REVENUE_CHURN)}",
                unit(CUSTOMER_CHURN),
                HALF.high(8),
                targets=(
                    Target(agg(CUSTOMER_CHURN), "customer churn"),
                    Target(agg(REVENUE_CHURN), "revenue churn"),
                ),
                min=0,
            ),
            Trend(
                "Net revenue retention",
                d(NRR) + " The dashed line marks 100 %.",
                unit(NRR),
                HALF.high(8),
                targets=(Target(agg(NRR), "net revenue retention"),),
                thresholds=steps("transparent", (1.0, "green")),
                thresholds_style="dashed",
            ),
            Trend(
                "Quick ratio",
                "(new + expansion) / (contraction + churn) MRR over the trailing month "
                f"(recording rule {QUICK_RATIO}). Above 1 MRR grows from "
                "existing movements; dashed lines at 1 and 4.",
                unit(QUICK_RATIO),
                HALF.high(8),
                targets=(Target(rule(QUICK_RATIO), "quick ratio"),),
                thresholds=steps("transparent", (1.0, "orange"), (4.0, "green")),
                thresholds_style="dashed",
                decimals=2,
                min=0,
            ),
            Trend(
                "Net MRR churn",
                "(churn + contraction - expansion) / MRR one month earlier (recording rule "
                f"{NET_MRR_CHURN}). Below zero is net negative churn: expansion "
                "outweighs the losses.",
                unit(NET_MRR_CHURN),
                HALF.high(8),
                targets=(Target(rule(NET_MRR_CHURN), "net MRR churn"),),
                thresholds=steps("transparent", (0.0, "red")),
                thresholds_style="dashed",
            ),
            Row("Breakdowns"),
            stacked(
                "MRR by plan",
                d(BY_PLAN),
                money,
                HALF,
                Target(agg(BY_PLAN, ("plan",), **IN_CURRENCY, plan=PLAN), "{{plan}}"),
            ),
            stacked(
                "Paying suppliers by plan",
                d(PAYING_BY_PLAN),
                unit(PAYING_BY_PLAN),
                HALF,
                Target(agg(PAYING_BY_PLAN, ("plan",), plan=PLAN), "{{plan}}"),
            ),
            stacked(
                "MRR by supplier category",
                d(BY_CATEGORY),
                money,
                HALF,
                Target(agg(BY_CATEGORY, ("category",), **IN_CURRENCY), "{{category}}"),
            ),
            Bars(
                "MRR by supplier country",
                d(BY_COUNTRY) + " At the end of the time range.",
                money,
                HALF,
                targets=(Target(agg(BY_COUNTRY, ("country",), **IN_CURRENCY), "{{country}}"),),
            ),
            Row("Suppliers"),
            SqlTable(
                "Suppliers who churned or contracted in the time range",
                "Suppliers whose MRR at the end of the dashboard's time range is below their "
                "MRR at its start: churn (now 0) or contraction, with the MRR change, largest "
                "loss first. From the exporter's read-only view grafana_supplier_mrr_changes "
                "(PostgreSQL); business ids, categories and countries only.",
                money,
                TWO_THIRDS.high(10),
                sql=panel_sql("churned_or_contracted"),
            ),
            SqlTable(
                "MRR change in the time range by category",
                "Per supplier category: MRR gained (new, reactivation, expansion), lost "
                "(contraction, churn) and the net change between the start and the end of the "
                "dashboard's time range (PostgreSQL, grafana_supplier_mrr_changes).",
                money,
                THIRD.high(10),
                sql=panel_sql("changes_by_category"),
            ),
            Row("Data"),
            c.area_quality(opts, GROUP),
            c.area_freshness(opts, GROUP),
            c.area_last_run(opts, GROUP),
        ),
        variables=(CURRENCY_VARIABLE, PLAN_VARIABLE),
        tags=(GROUP,),
    )
