"""Revenue: MRR, its movements and retention, breakdowns by plan, category and country, and
the suppliers behind the losses (PostgreSQL)."""

from __future__ import annotations

from exporter import catalog
from exporter.dashboards import panels as p
from exporter.dashboards.common import (
    AREAS,
    CURRENCY,
    Bars,
    Board,
    BuildOptions,
    LabelVariable,
    Re,
    Row,
    SqlTable,
    Target,
    Trend,
    currency_variable,
    panel_sql,
    rule,
    sel,
    steps,
    unit_for,
)

AREA = AREAS["revenue"]
PLAN = Re("$plan")


def _plan_variable() -> LabelVariable:
    return LabelVariable(
        "plan",
        "Plan",
        "Subscription plans shown by the per-plan panels.",
        sel("execmetrics_mrr_by_plan", currency=CURRENCY),
        "plan",
        multi=True,
    )


def board(opts: BuildOptions) -> Board:
    money = unit_for("execmetrics_mrr", opts)
    by_plan = sel("execmetrics_mrr_by_plan", currency=CURRENCY, plan=PLAN)
    paying_by_plan = sel("execmetrics_paying_suppliers_by_plan", plan=PLAN)
    by_category = sel("execmetrics_mrr_by_category", currency=CURRENCY)
    by_country = sel("execmetrics_mrr_by_country", currency=CURRENCY)
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
            *p.revenue_cards(opts),
            Row("Trends"),
            p.mrr_movements_trend(opts, width=24),
            Trend(
                "Customer and revenue churn",
                "Over the trailing month at each instant: "
                + catalog.BY_NAME["execmetrics_customer_churn_ratio"].definition
                + " "
                + catalog.BY_NAME["execmetrics_revenue_churn_ratio"].definition,
                unit_for("execmetrics_customer_churn_ratio", opts),
                12,
                8,
                targets=(
                    Target(f"max({sel('execmetrics_customer_churn_ratio')})", "customer churn"),
                    Target(f"max({sel('execmetrics_revenue_churn_ratio')})", "revenue churn"),
                ),
                min=0,
            ),
            Trend(
                "Net revenue retention",
                catalog.BY_NAME["execmetrics_net_revenue_retention_ratio"].definition
                + " The dashed line marks 100 %.",
                unit_for("execmetrics_net_revenue_retention_ratio", opts),
                12,
                8,
                targets=(
                    Target(
                        f"max({sel('execmetrics_net_revenue_retention_ratio')})",
                        "net revenue retention",
                    ),
                ),
                thresholds=steps("transparent", (1.0, "green")),
                thresholds_style="dashed",
            ),
            Trend(
                "Quick ratio",
                "(new + expansion) / (contraction + churn) MRR over the trailing month "
                "(recording rule execmetrics:mrr_quick_ratio:ratio). Above 1 MRR grows from "
                "existing movements; dashed lines at 1 and 4.",
                unit_for("execmetrics:mrr_quick_ratio:ratio", opts),
                12,
                8,
                targets=(Target(rule("execmetrics:mrr_quick_ratio:ratio"), "quick ratio"),),
                thresholds=steps("transparent", (1.0, "orange"), (4.0, "green")),
                thresholds_style="dashed",
                decimals=2,
                min=0,
            ),
            Trend(
                "Net MRR churn",
                "(churn + contraction - expansion) / MRR one month earlier (recording rule "
                "execmetrics:net_mrr_churn:ratio). Below zero is net negative churn: expansion "
                "outweighs the losses.",
                unit_for("execmetrics:net_mrr_churn:ratio", opts),
                12,
                8,
                targets=(Target(rule("execmetrics:net_mrr_churn:ratio"), "net MRR churn"),),
                thresholds=steps("transparent", (0.0, "red")),
                thresholds_style="dashed",
            ),
            Row("Breakdowns"),
            Trend(
                "MRR by plan",
                catalog.BY_NAME["execmetrics_mrr_by_plan"].definition,
                money,
                12,
                9,
                targets=(Target(f"sum by (plan) ({by_plan})", "{{plan}}"),),
                stacked=True,
                fill=60,
            ),
            Trend(
                "Paying suppliers by plan",
                catalog.BY_NAME["execmetrics_paying_suppliers_by_plan"].definition,
                unit_for("execmetrics_paying_suppliers_by_plan", opts),
                12,
                9,
                targets=(Target(f"sum by (plan) ({paying_by_plan})", "{{plan}}"),),
                stacked=True,
                fill=60,
            ),
            Trend(
                "MRR by supplier category",
                catalog.BY_NAME["execmetrics_mrr_by_category"].definition,
                money,
                12,
                9,
                targets=(Target(f"sum by (category) ({by_category})", "{{category}}"),),
                stacked=True,
                fill=60,
            ),
            Bars(
                "MRR by supplier country",
                catalog.BY_NAME["execmetrics_mrr_by_country"].definition
                + " At the end of the time range.",
                money,
                12,
                9,
                targets=(Target(f"sum by (country) ({by_country})", "{{country}}"),),
            ),
            Row("Suppliers"),
            SqlTable(
                "Suppliers who churned or contracted in the time range",
                "Suppliers whose MRR at the end of the dashboard's time range is below their "
                "MRR at its start: churn (now 0) or contraction, with the MRR change, largest "
                "loss first. From the exporter's read-only view grafana_supplier_mrr_changes "
                "(PostgreSQL); business ids, categories and countries only.",
                money,
                16,
                10,
                sql=panel_sql("churned_or_contracted", opts.schema),
            ),
            SqlTable(
                "MRR change in the time range by category",
                "Per supplier category: MRR gained (new, reactivation, expansion), lost "
                "(contraction, churn) and the net change between the start and the end of the "
                "dashboard's time range (PostgreSQL, grafana_supplier_mrr_changes).",
                money,
                8,
                10,
                sql=panel_sql("changes_by_category", opts.schema),
            ),
            Row("Data"),
            p.area_quality(opts, "revenue"),
            p.area_freshness(opts, "revenue"),
            p.area_last_run(opts, "revenue"),
        ),
        variables=(currency_variable(), _plan_variable()),
        uses_postgres=True,
        tags=("revenue",),
    )
