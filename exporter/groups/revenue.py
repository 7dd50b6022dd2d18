"""Revenue: MRR, ARR, growth, churn, retention, movements, per-plan and breakdowns."""

from exporter.contract import SourceTable
from exporter.groups.base import IN_CURRENCY, Group, Query, bind
from exporter.vocabulary import GroupName, Movement

REVENUE = Group(
    name=GroupName.REVENUE,
    tables=frozenset({SourceTable.SUBSCRIPTIONS, SourceTable.FX_RATES, SourceTable.SUPPLIERS}),
    queries=(
        Query(
            "revenue/summary.sql",
            (
                bind("mrr", "mrr", **IN_CURRENCY),
                bind("arr", "arr", **IN_CURRENCY),
                bind("growth", "mrr_growth_ratio"),
                bind("customer_churn", "customer_churn_ratio"),
                bind("revenue_churn", "revenue_churn_ratio"),
                bind("net_revenue_retention", "net_revenue_retention_ratio"),
                *(bind(kind, "mrr_movement", movement=kind, **IN_CURRENCY) for kind in Movement),
                bind("paying_suppliers", "paying_suppliers"),
                bind("arpa", "arpa", **IN_CURRENCY),
            ),
            many=True,
        ),
        Query(
            "revenue/by_plan.sql",
            (
                bind("mrr", "mrr_by_plan", "plan", **IN_CURRENCY),
                bind("paying_suppliers", "paying_suppliers_by_plan", "plan"),
            ),
            many=True,
        ),
        Query(
            "revenue/by_supplier.sql",
            (
                bind("category_mrr", "mrr_by_category", "category", **IN_CURRENCY),
                bind("country_mrr", "mrr_by_country", "country", **IN_CURRENCY),
            ),
            many=True,
        ),
    ),
)
