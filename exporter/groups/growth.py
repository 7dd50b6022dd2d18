"""Growth accounting and the marketplace (SPEC §6), and the configured targets."""

from exporter.contract import SourceTable
from exporter.groups.base import IN_CURRENCY, IN_VIRAL_WINDOW, Group, Query, bind
from exporter.vocabulary import GroupName, Reconciliation, UserType

GROWTH = Group(
    name=GroupName.GROWTH,
    tables=frozenset(SourceTable),
    queries=(
        Query(
            "growth/revenue.sql",
            (
                bind("ltv", "ltv", **IN_CURRENCY),
                bind("trial_conversion", "trial_conversion_ratio"),
                bind("mrr_at_risk", "mrr_at_risk", **IN_CURRENCY),
                bind(
                    "residual_movements",
                    "reconciliation_residual",
                    check=Reconciliation.MOVEMENTS,
                    **IN_CURRENCY,
                ),
                bind(
                    "residual_by_plan",
                    "reconciliation_residual",
                    check=Reconciliation.BY_PLAN,
                    **IN_CURRENCY,
                ),
            ),
            many=True,
        ),
        Query(
            "growth/loop.sql",
            (
                bind("k_unique", "viral_coefficient_unique", **IN_VIRAL_WINDOW),
                bind("couple_liquidity", "marketplace_liquidity_ratio", side=UserType.COUPLE),
                bind("supplier_liquidity", "marketplace_liquidity_ratio", side=UserType.SUPPLIER),
            ),
            many=True,
        ),
        Query(
            "growth/cycle_time.sql",
            (bind("seconds", "viral_cycle_time_seconds", "quantile", **IN_VIRAL_WINDOW),),
            many=True,
        ),
        Query("growth/couples.sql", (bind("couples", "couples", "stage"),), many=True),
        Query(
            "growth/users.sql",
            (
                bind("users", "user_lifecycle", "user_type", "state"),
                bind("active_ratio", "cohort_active_ratio", "user_type", "cohort"),
            ),
            many=True,
        ),
        Query(
            "growth/cohort_revenue.sql",
            (
                bind("logo_retention", "cohort_logo_retention_ratio", "cohort"),
                bind("mrr_retention", "cohort_mrr_retention_ratio", "cohort"),
            ),
            many=True,
        ),
        Query(
            "growth/targets.sql",
            (bind("value", "target", "metric"),),
            many=True,
        ),
    ),
)
