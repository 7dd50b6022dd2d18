"""Growth accounting and the marketplace (SPEC §6), and the configured targets."""

from exporter.catalog import PREFIX
from exporter.groups.base import Col, Ctx, Group, MetricBinding, Query
from exporter.vocabulary import GroupName, Reconciliation, UserType

CUR = {"currency": Ctx("currency")}
W = {"window": Ctx("viral_window")}


def _m(column: str, metric: str, **labels: object) -> MetricBinding:
    return MetricBinding(column, PREFIX + metric, labels)  # type: ignore[arg-type]


GROWTH = Group(
    name=GroupName.GROWTH,
    queries=(
        Query(
            "growth/revenue.sql",
            (
                _m("ltv", "ltv", **CUR),
                _m("trial_conversion", "trial_conversion_ratio"),
                _m("mrr_at_risk", "mrr_at_risk", **CUR),
                _m(
                    "residual_movements",
                    "reconciliation_residual",
                    check=Reconciliation.MOVEMENTS.value,
                    **CUR,
                ),
                _m(
                    "residual_by_plan",
                    "reconciliation_residual",
                    check=Reconciliation.BY_PLAN.value,
                    **CUR,
                ),
            ),
        ),
        Query(
            "growth/loop.sql",
            (
                _m("k_unique", "viral_coefficient_unique", **W),
                _m("couple_liquidity", "marketplace_liquidity_ratio", side=UserType.COUPLE.value),
                _m(
                    "supplier_liquidity",
                    "marketplace_liquidity_ratio",
                    side=UserType.SUPPLIER.value,
                ),
            ),
        ),
        Query(
            "growth/cycle_time.sql",
            (_m("seconds", "viral_cycle_time_seconds", quantile=Col("quantile"), **W),),
        ),
        Query("growth/couples.sql", (_m("couples", "couples", stage=Col("stage")),)),
        Query(
            "growth/users.sql",
            (
                _m("users", "user_lifecycle", user_type=Col("user_type"), state=Col("state")),
                _m(
                    "active_ratio",
                    "cohort_active_ratio",
                    user_type=Col("user_type"),
                    cohort=Col("cohort"),
                ),
            ),
        ),
        Query(
            "growth/cohort_revenue.sql",
            (
                _m("logo_retention", "cohort_logo_retention_ratio", cohort=Col("cohort")),
                _m("mrr_retention", "cohort_mrr_retention_ratio", cohort=Col("cohort")),
            ),
        ),
        Query(
            "growth/targets.sql",
            (MetricBinding("value", PREFIX + "target", {"metric": Col("metric")}),),
        ),
    ),
)
