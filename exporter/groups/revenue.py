"""Revenue: MRR, ARR, growth, churn, retention, movements, per-plan and breakdowns."""

from exporter.catalog import PREFIX
from exporter.groups.base import Col, Ctx, Group, MetricBinding, Query
from exporter.vocabulary import GroupName, Movement

CUR = {"currency": Ctx("currency")}


def _m(column: str, metric: str, **labels: object) -> MetricBinding:
    return MetricBinding(column, PREFIX + metric, labels)  # type: ignore[arg-type]


REVENUE = Group(
    name=GroupName.REVENUE,
    queries=(
        Query(
            "revenue/summary.sql",
            (
                _m("mrr", "mrr", **CUR),
                _m("arr", "arr", **CUR),
                _m("growth", "mrr_growth_ratio"),
                _m("customer_churn", "customer_churn_ratio"),
                _m("revenue_churn", "revenue_churn_ratio"),
                _m("net_revenue_retention", "net_revenue_retention_ratio"),
                *(_m(kind, "mrr_movement", movement=kind, **CUR) for kind in Movement),
                _m("paying_suppliers", "paying_suppliers"),
                _m("arpa", "arpa", **CUR),
            ),
        ),
        Query(
            "revenue/by_plan.sql",
            (
                _m("mrr", "mrr_by_plan", plan=Col("plan"), **CUR),
                _m("paying_suppliers", "paying_suppliers_by_plan", plan=Col("plan")),
            ),
        ),
        Query(
            "revenue/by_supplier.sql",
            (
                _m("category_mrr", "mrr_by_category", category=Col("category"), **CUR),
                _m("country_mrr", "mrr_by_country", country=Col("country"), **CUR),
            ),
        ),
    ),
)
