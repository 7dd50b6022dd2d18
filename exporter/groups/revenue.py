"""Revenue: MRR, ARR, growth, churn, retention, movements, per-plan and breakdowns."""

from exporter.groups.base import Col, Ctx, Group, Query, bind
from exporter.vocabulary import GroupName, Movement

CUR = {"currency": Ctx("currency")}


REVENUE = Group(
    name=GroupName.REVENUE,
    queries=(
        Query(
            "revenue/summary.sql",
            (
                bind("mrr", "mrr", **CUR),
                bind("arr", "arr", **CUR),
                bind("growth", "mrr_growth_ratio"),
                bind("customer_churn", "customer_churn_ratio"),
                bind("revenue_churn", "revenue_churn_ratio"),
                bind("net_revenue_retention", "net_revenue_retention_ratio"),
                *(bind(kind, "mrr_movement", movement=kind, **CUR) for kind in Movement),
                bind("paying_suppliers", "paying_suppliers"),
                bind("arpa", "arpa", **CUR),
            ),
        ),
        Query(
            "revenue/by_plan.sql",
            (
                bind("mrr", "mrr_by_plan", plan=Col("plan"), **CUR),
                bind("paying_suppliers", "paying_suppliers_by_plan", plan=Col("plan")),
            ),
        ),
        Query(
            "revenue/by_supplier.sql",
            (
                bind("category_mrr", "mrr_by_category", category=Col("category"), **CUR),
                bind("country_mrr", "mrr_by_country", country=Col("country"), **CUR),
            ),
        ),
    ),
)
