"""Every metric the exporter exports: name, labels, unit and definition, in one place.

The collector, the README's metrics reference, the dashboards and the alert rules all
read these declarations, so a renamed metric breaks a build rather than a board.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "execmetrics_"


@dataclass(frozen=True)
class MetricDef:
    name: str
    labels: tuple[str, ...]
    unit: str  # "currency", "ratio", "count", "seconds", "timestamp"
    definition: str
    group: str
    kind: str = "gauge"  # "gauge" or "counter"
    breakdown: bool = False

    def __post_init__(self) -> None:
        if not self.name.startswith(PREFIX):
            raise ValueError(f"{self.name}: every metric carries the {PREFIX} prefix")


def _m(
    name: str, labels: tuple[str, ...], unit: str, group: str, definition: str, **kw: object
) -> MetricDef:
    return MetricDef(PREFIX + name, labels, unit, definition, group, **kw)  # type: ignore[arg-type]


R, U, V, E, Q = "revenue", "users", "viral", "engagement", "quality"

CONTRACT: tuple[MetricDef, ...] = (
    # Revenue
    _m(
        "mrr",
        ("currency",),
        "currency",
        R,
        "Monthly recurring revenue at T: sum over live, non-trial subscription periods of "
        "amount_minor / interval_months / 100 x fx rate at the period's start date.",
    ),
    _m("arr", ("currency",), "currency", R, "Annual recurring revenue: 12 x MRR(T)."),
    _m(
        "mrr_growth_ratio",
        (),
        "ratio",
        R,
        "(MRR(T) - MRR(M1)) / MRR(M1), M1 = T minus one calendar month; absent when MRR(M1) = 0.",
    ),
    _m(
        "customer_churn_ratio",
        (),
        "ratio",
        R,
        "Suppliers paying at M1 and not at T / suppliers paying at M1; absent when none paid at M1.",
    ),
    _m(
        "revenue_churn_ratio",
        (),
        "ratio",
        R,
        "Gross revenue churn: (churn + contraction movements) / MRR(M1); absent when MRR(M1) = 0.",
    ),
    _m(
        "net_revenue_retention_ratio",
        (),
        "ratio",
        R,
        "MRR at T of the suppliers paying at M1 / MRR(M1); absent when MRR(M1) = 0.",
    ),
    _m(
        "mrr_movement",
        ("currency", "movement"),
        "currency",
        R,
        "MRR movement over (M1, T] per kind (new, reactivation, expansion, contraction, churn); "
        "new + reactivation + expansion - contraction - churn = MRR(T) - MRR(M1).",
    ),
    _m(
        "mrr_by_plan",
        ("currency", "plan"),
        "currency",
        R,
        "MRR(T) of the subscription periods of each plan live at T.",
    ),
    _m("paying_suppliers", (), "count", R, "Suppliers whose MRR at T is above zero."),
    _m(
        "arpa",
        ("currency",),
        "currency",
        R,
        "Average revenue per paying supplier: MRR(T) / paying suppliers; absent when none pay.",
    ),
    # Users
    _m(
        "registered_users",
        ("user_type",),
        "count",
        U,
        "Users created at or before T and not deleted at T (deleted_at after T or never).",
    ),
    _m(
        "active_users",
        ("user_type", "window"),
        "count",
        U,
        "Distinct users with a session created in (T - window, T]; window is 1d, 7d or 30d.",
    ),
    _m(
        "signups_today",
        ("user_type",),
        "count",
        U,
        "Users created from the start of T's local day (reporting time zone) to T.",
    ),
    # Viral
    _m("invitations_sent", ("window",), "count", V, "Invitations sent in (T - window, T]."),
    _m(
        "invitations_accepted",
        ("window",),
        "count",
        V,
        "Invitations sent in the window and accepted at or before T (and not before being sent).",
    ),
    _m(
        "invites_per_supplier",
        ("window",),
        "ratio",
        V,
        "Invitations sent / suppliers active in the same window; absent when none was active.",
    ),
    _m(
        "invitation_conversion_ratio",
        ("window",),
        "ratio",
        V,
        "Invitations accepted / invitations sent in the window; absent when none was sent.",
    ),
    _m(
        "viral_coefficient",
        ("window",),
        "ratio",
        V,
        "K = invites per supplier x conversion = accepted / active suppliers in the window; "
        "0 when nothing was sent; absent when no supplier was active. Target: above 1.",
    ),
    # Engagement
    _m(
        "session_duration_average_seconds",
        (),
        "seconds",
        E,
        "Mean of min(duration, cap) over sessions created in the last 7 days with a duration "
        "above zero; open sessions are left out.",
    ),
    # Data quality
    _m(
        "data_quality_issues",
        ("check",),
        "count",
        Q,
        "Rows failing each data-quality check at the last computation (see docs).",
    ),
)

BREAKDOWNS: tuple[MetricDef, ...] = (
    _m(
        "mrr_by_category",
        ("currency", "category"),
        "currency",
        R,
        "MRR(T) by supplier category (top N categories, the rest as 'other').",
        breakdown=True,
    ),
    _m(
        "mrr_by_country",
        ("currency", "country"),
        "currency",
        R,
        "MRR(T) by supplier country (top N, the rest as 'other', missing as 'unknown').",
        breakdown=True,
    ),
    _m(
        "paying_suppliers_by_plan",
        ("plan",),
        "count",
        R,
        "Suppliers with MRR above zero at T on each plan (a supplier on two plans counts in both).",
        breakdown=True,
    ),
    _m(
        "registered_users_by_country",
        ("user_type", "country"),
        "count",
        U,
        "Users at T by country (top N per user type, the rest as 'other', missing as 'unknown').",
        breakdown=True,
    ),
    _m(
        "active_suppliers_by_category",
        ("window", "category"),
        "count",
        U,
        "Distinct suppliers with a session in the window, by supplier category (top N).",
        breakdown=True,
    ),
    _m(
        "signups_today_by_category",
        ("category",),
        "count",
        U,
        "Suppliers created from the start of T's local day to T, by category (top N).",
        breakdown=True,
    ),
    _m(
        "invitations_sent_by_channel",
        ("window", "channel"),
        "count",
        V,
        "Invitations sent in the window by channel (top N, missing as 'unknown').",
        breakdown=True,
    ),
    _m(
        "invitations_accepted_by_channel",
        ("window", "channel"),
        "count",
        V,
        "Invitations sent in the window and accepted by T, by channel.",
        breakdown=True,
    ),
    _m(
        "session_duration_average_by_user_type_seconds",
        ("user_type",),
        "seconds",
        E,
        "Average capped session duration over the last 7 days, per side.",
        breakdown=True,
    ),
)

HEALTH: tuple[MetricDef, ...] = (
    _m(
        "group_interval_seconds",
        ("group",),
        "seconds",
        "health",
        "Configured interval between two computations of the group.",
    ),
    _m(
        "group_last_run_duration_seconds",
        ("group",),
        "seconds",
        "health",
        "Wall time of the group's last computation.",
    ),
    _m(
        "group_last_success_timestamp_seconds",
        ("group",),
        "timestamp",
        "health",
        "Unix time at which the group last computed successfully.",
    ),
    _m(
        "group_last_run_success",
        ("group",),
        "count",
        "health",
        "1 when the group's last computation succeeded, else 0.",
    ),
    _m(
        "group_failures_total",
        ("group",),
        "count",
        "health",
        "Failed computations of the group since the exporter started.",
        kind="counter",
    ),
    _m(
        "group_evaluation_timestamp_seconds",
        ("group",),
        "timestamp",
        "health",
        "The instant T (Unix time) the group's current values were computed for.",
    ),
    _m(
        "refresh_last_duration_seconds",
        (),
        "seconds",
        "health",
        "Wall time of the last materialized-view refresh.",
    ),
    _m(
        "refresh_last_success_timestamp_seconds",
        (),
        "timestamp",
        "health",
        "Unix time of the last successful materialized-view refresh.",
    ),
    _m(
        "refresh_failures_total",
        (),
        "count",
        "health",
        "Failed materialized-view refreshes since the exporter started.",
        kind="counter",
    ),
)

ALL: tuple[MetricDef, ...] = CONTRACT + BREAKDOWNS + HEALTH
BY_NAME: dict[str, MetricDef] = {m.name: m for m in ALL}

MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")
USER_TYPES = ("supplier", "couple")
ACTIVE_WINDOWS = ("1d", "7d", "30d")
QUALITY_CHECKS: dict[str, str] = {
    "subscription_negative_amount": "subscription with amount_minor < 0: left out of revenue",
    "subscription_missing_fx_rate": "subscription whose currency has no rate for its start date: left out of revenue",
    "subscription_ended_before_started": "subscription with ended_at < started_at: left out of revenue",
    "subscription_invalid_interval": "subscription with interval_months missing or not positive: left out of revenue",
    "session_user_not_exactly_one": "session with both or neither of supplier_id / couple_id: left out of users and "
    "engagement",
    "session_nonpositive_duration": "session with session_duration <= 0: still activity, left out of the average duration",
    "invitation_accepted_before_sent": "invitation with accepted_at < sent_at: counted as sent, not as accepted",
    "timestamp_in_future": "supplier, couple or session created_at, or invitation sent_at, more than 5 minutes "
    "after T: windows leave it out",
}


def help_text(metric: MetricDef, interval_seconds: float | None) -> str:
    """HELP line: the definition, plus how often the value is computed."""
    if interval_seconds is None:
        return metric.definition
    return f"{metric.definition} Computed every {interval_seconds:g}s."
