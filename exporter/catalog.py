"""Every metric the exporter exports: name, labels, unit and definition, in one place.

The collector, the README's metrics reference, the dashboards and the alert rules all
read these declarations, so a renamed metric breaks a build rather than a board.
A definition is a template over the configuration it describes (``{engagement_window}``,
``{viral_window}``, ``{future_tolerance}`` …): HELP says what the running config computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from exporter.config import Config
from exporter.instant import FUTURE_TOLERANCE
from exporter.vocabulary import (
    FORECAST_MONTHS,
    OTHER,
    TARGETS,
    UNKNOWN,
    ActiveWindow,
    Check,
    ForecastMetric,
    GroupName,
    Horizon,
    Movement,
    Unit,
    UserType,
)

PREFIX = "execmetrics_"
HEALTH_GROUP: Literal["health"] = "health"  # the exporter's own metrics, outside every group
_DEFAULTS = Config()


def duration_text(delta: timedelta) -> str:
    """``7 days``, ``12 hours``, ``5 minutes``: a window as HELP text says it."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


def facts(config: Config) -> dict[str, str]:
    """The configured values a definition may name."""
    return {
        "engagement_window": duration_text(config.engagement.window.delta),
        "viral_window": duration_text(config.viral.window.delta),
        "future_tolerance": duration_text(FUTURE_TOLERANCE),
        "top_n": str(config.breakdowns.top_n),
        "forecast_months": f"{FORECAST_MONTHS} calendar months",
    }


@dataclass(frozen=True)
class MetricDef:
    name: str
    labels: tuple[str, ...]
    unit: Unit
    template: str
    group: GroupName | Literal["health"]
    kind: Literal["gauge", "counter"] = "gauge"
    # False for a fact of the wall clock at the run (a replica's lag), not of the instant
    # T: it has no past value, so a backfill leaves it out.
    at_t: bool = True

    def __post_init__(self) -> None:
        if not self.name.startswith(PREFIX):
            raise ValueError(f"{self.name}: every metric carries the {PREFIX} prefix")
        self.describe(_DEFAULTS)  # a placeholder that no config fills fails at import

    def describe(self, config: Config) -> str:
        """The definition for ``config``."""
        return self.template.format(**facts(config))

    @property
    def definition(self) -> str:
        """The definition under the default configuration."""
        return self.describe(_DEFAULTS)


def _m(
    name: str,
    labels: tuple[str, ...],
    unit: Unit,
    group: GroupName | Literal["health"],
    definition: str,
    kind: Literal["gauge", "counter"] = "gauge",
    *,
    at_t: bool = True,
) -> MetricDef:
    return MetricDef(PREFIX + name, labels, unit, definition, group, kind, at_t)


def _bounded(label: str) -> str:
    """SPEC §4's bound on a data-driven label, as the definitions say it."""
    return f"ranked by value then name, the rest as '{OTHER}', a missing or blank {label} as '{UNKNOWN}'"


_MOVEMENTS = ", ".join(Movement)
_WINDOWS = ", ".join(ActiveWindow)

# Each movement's own definition (SPEC §3), per supplier x with S = m_x(M1), E = m_x(T).
MOVEMENT_DEFINITIONS: dict[Movement, str] = {
    Movement.NEW: "S = 0 < E and the supplier never paid before M1: E.",
    Movement.REACTIVATION: "S = 0 < E and the supplier paid at some instant before M1: E.",
    Movement.EXPANSION: "0 < S < E: E - S.",
    Movement.CONTRACTION: "0 < E < S: S - E.",
    Movement.CHURN: "S > 0 = E: S.",
}
R, U, V, E, Q = (
    GroupName.REVENUE,
    GroupName.USERS,
    GroupName.VIRAL,
    GroupName.ENGAGEMENT,
    GroupName.QUALITY,
)
CURRENCY, RATIO, COUNT, SECONDS, TIMESTAMP = (
    Unit.CURRENCY,
    Unit.RATIO,
    Unit.COUNT,
    Unit.SECONDS,
    Unit.TIMESTAMP,
)

CONTRACT: tuple[MetricDef, ...] = (
    # Revenue
    _m(
        "mrr",
        ("currency",),
        CURRENCY,
        R,
        "Monthly recurring revenue at T: sum over live, non-trial subscription periods of "
        "amount_minor / interval_months / 100 x fx rate at the period's start date.",
    ),
    _m("arr", ("currency",), CURRENCY, R, "Annual recurring revenue: 12 x MRR(T)."),
    _m(
        "mrr_growth_ratio",
        (),
        RATIO,
        R,
        "(MRR(T) - MRR(M1)) / MRR(M1), M1 = T minus one calendar month; absent when MRR(M1) = 0.",
    ),
    _m(
        "customer_churn_ratio",
        (),
        RATIO,
        R,
        "Suppliers paying at M1 and not at T / suppliers paying at M1; absent when none paid at M1.",
    ),
    _m(
        "revenue_churn_ratio",
        (),
        RATIO,
        R,
        "Gross revenue churn: (churn + contraction movements) / MRR(M1); absent when MRR(M1) = 0.",
    ),
    _m(
        "net_revenue_retention_ratio",
        (),
        RATIO,
        R,
        "MRR at T of the suppliers paying at M1 / MRR(M1); absent when MRR(M1) = 0.",
    ),
    _m(
        "mrr_movement",
        ("currency", "movement"),
        CURRENCY,
        R,
        f"MRR movement over (M1, T] per kind ({_MOVEMENTS}); "
        "new + reactivation + expansion - contraction - churn = MRR(T) - MRR(M1).",
    ),
    _m(
        "mrr_by_plan",
        ("currency", "plan"),
        CURRENCY,
        R,
        "MRR(T) of the subscription periods of each plan live at T (top {top_n} plans, "
        + _bounded("plan")
        + ").",
    ),
    _m("paying_suppliers", (), COUNT, R, "Suppliers whose MRR at T is above zero."),
    _m(
        "arpa",
        ("currency",),
        CURRENCY,
        R,
        "Average revenue per paying supplier: MRR(T) / paying suppliers; absent when none pay.",
    ),
    # Users
    _m(
        "registered_users",
        ("user_type",),
        COUNT,
        U,
        "Users created at or before T and not deleted at T (deleted_at after T or never).",
    ),
    _m(
        "active_users",
        ("user_type", "window"),
        COUNT,
        U,
        f"Distinct users with a session created in (T - window, T]; window is {_WINDOWS}.",
    ),
    _m(
        "signups_today",
        ("user_type",),
        COUNT,
        U,
        "Users created from the start of T's local day (reporting time zone) to T.",
    ),
    # Viral
    _m(
        "invitations_sent",
        ("window",),
        COUNT,
        V,
        "Invitations sent in (T - window, T]; the window is the last {viral_window}.",
    ),
    _m(
        "invitations_accepted",
        ("window",),
        COUNT,
        V,
        "Invitations sent in the window and accepted at or before T (and not before being sent).",
    ),
    _m(
        "invites_per_supplier",
        ("window",),
        RATIO,
        V,
        "Invitations sent / suppliers active in the same window; absent when none was active.",
    ),
    _m(
        "invitation_conversion_ratio",
        ("window",),
        RATIO,
        V,
        "Invitations accepted / invitations sent in the window; absent when none was sent.",
    ),
    _m(
        "viral_coefficient",
        ("window",),
        RATIO,
        V,
        "K = invites per supplier x conversion = accepted / active suppliers in the window; "
        f"0 when nothing was sent; absent when no supplier was active. Target: above "
        f"{TARGETS.viral_coefficient:g}.",
    ),
    # Engagement
    _m(
        "session_duration_average_seconds",
        (),
        SECONDS,
        E,
        "Mean of min(duration, cap) over sessions created in the last {engagement_window} with a "
        "duration"
        " above zero; open sessions are left out.",
    ),
    # Data quality
    _m(
        "data_quality_issues",
        ("check",),
        COUNT,
        Q,
        "Rows failing each data-quality check at the last computation (see docs).",
    ),
)

BREAKDOWNS: tuple[MetricDef, ...] = (
    _m(
        "mrr_by_category",
        ("currency", "category"),
        CURRENCY,
        R,
        "MRR(T) by supplier category (top {top_n} categories, " + _bounded("category") + ").",
    ),
    _m(
        "mrr_by_country",
        ("currency", "country"),
        CURRENCY,
        R,
        "MRR(T) by supplier country (top {top_n} countries, " + _bounded("country") + ").",
    ),
    _m(
        "paying_suppliers_by_plan",
        ("plan",),
        COUNT,
        R,
        "Suppliers with MRR above zero at T on each plan (a supplier on two plans counts in both; "
        "plans bounded as for mrr_by_plan).",
    ),
    _m(
        "registered_users_by_country",
        ("user_type", "country"),
        COUNT,
        U,
        "Users at T by country (top {top_n} per user type, " + _bounded("country") + ").",
    ),
    _m(
        "active_suppliers_by_category",
        ("window", "category"),
        COUNT,
        U,
        "Distinct suppliers with a session in the window, by supplier category (top {top_n} "
        "categories by suppliers at T, " + _bounded("category") + ").",
    ),
    _m(
        "signups_today_by_category",
        ("category",),
        COUNT,
        U,
        "Suppliers created from the start of T's local day to T, by category (categories as for "
        "active_suppliers_by_category).",
    ),
    _m(
        "invitations_sent_by_channel",
        ("window", "channel"),
        COUNT,
        V,
        "Invitations sent in the window by channel (top {top_n} channels by invitations sent, "
        + _bounded("channel")
        + ").",
    ),
    _m(
        "invitations_accepted_by_channel",
        ("window", "channel"),
        COUNT,
        V,
        "Invitations sent in the window and accepted by T, by channel (channels as for "
        "invitations_sent_by_channel).",
    ),
    _m(
        "session_duration_average_by_user_type_seconds",
        ("user_type",),
        SECONDS,
        E,
        "Average capped session duration over the last {engagement_window}, per side.",
    ),
)

# Growth accounting and the marketplace (SPEC §6).
G = GroupName.GROWTH

GROWTH: tuple[MetricDef, ...] = (
    _m(
        "ltv",
        ("currency",),
        Unit.CURRENCY,
        G,
        "Customer lifetime value: ARPA / customer churn; absent when either is absent or "
        "customer churn is 0.",
    ),
    _m(
        "trial_conversion_ratio",
        (),
        Unit.RATIO,
        G,
        "Among revenue rows with MRR above zero whose trial ends in (M1, T] and after the row "
        "starts: the share whose row goes on past the trial's end (ended_at NULL or later); "
        "absent when no trial ended.",
    ),
    _m(
        "viral_cycle_time_seconds",
        ("window", "quantile"),
        Unit.SECONDS,
        G,
        "Quantile (0.5, 0.9) of accepted_at - sent_at over invitations accepted in "
        "(T - window, T] and not before they were sent; linear interpolation between closest "
        "ranks; absent when none was accepted.",
    ),
    _m(
        "viral_coefficient_unique",
        ("window",),
        Unit.RATIO,
        G,
        "K counting each couple once: distinct couples of the invitations accepted in K / "
        "suppliers active in the window; 0 when none accepted; absent when no supplier was "
        "active.",
    ),
    _m(
        "marketplace_liquidity_ratio",
        ("side",),
        Unit.RATIO,
        G,
        "couple: share of couples active in the viral window with an invitation accepted by T "
        "from a supplier paying at T; supplier: share of suppliers paying at T with an "
        "invitation accepted in the viral window. Absent when the side has nobody.",
    ),
    _m(
        "mrr_at_risk",
        ("currency",),
        Unit.CURRENCY,
        G,
        "MRR at T of the paying suppliers with no session and no invitation sent in the "
        "quiet period (T - targets.at_risk_quiet_period, T], default 14 days.",
    ),
    _m(
        "couples",
        ("stage",),
        Unit.COUNT,
        G,
        "Registered couples at T by stage: planning (wedding date on or after T's local date), "
        "married (before it), unknown (no wedding date).",
    ),
    _m(
        "reconciliation_residual",
        ("currency", "check"),
        Unit.CURRENCY,
        G,
        "movements: MRR(M1) + new + reactivation + expansion - contraction - churn - MRR(T); "
        "by_plan: sum of the mrr_by_plan series - MRR(T). Zero when the books balance.",
    ),
    _m(
        "user_lifecycle",
        ("user_type", "state"),
        Unit.COUNT,
        G,
        "Users active in C = (T - 30d, T]: returning if also active in P = (T - 60d, T - 30d], "
        "else new if created after T - 30d, else resurrected; dormant: active in P, not in C.",
    ),
    _m(
        "cohort_logo_retention_ratio",
        ("cohort",),
        Unit.RATIO,
        G,
        "Suppliers whose first paying instant falls in the local month `cohort` (YYYY-MM, the "
        "12 months before T's): the share paying at T.",
    ),
    _m(
        "cohort_mrr_retention_ratio",
        ("cohort",),
        Unit.RATIO,
        G,
        "The same supplier cohort: the sum of their MRR at T / the sum of their MRR at their "
        "first paying instant.",
    ),
    _m(
        "cohort_active_ratio",
        ("user_type", "cohort"),
        Unit.RATIO,
        G,
        "Users created in the local month `cohort` and registered at T: the share active in "
        "(T - 30d, T].",
    ),
)

TARGET_METRICS: tuple[MetricDef, ...] = (
    _m(
        "target",
        ("metric",),
        Unit.RATIO,
        G,
        "A configured target (config `targets`): viral_coefficient, supplier_stickiness and "
        "couple_stickiness (ratios), at_risk_quiet_period_seconds (seconds); mrr (reporting "
        "currency) and paying_suppliers (count) when configured, to reach by `targets.date`.",
    ),
)

F = GroupName.FORECAST
_FORECAST_METRICS = ", ".join(ForecastMetric)
_HORIZONS = ", ".join(Horizon)

# A forecast is the one place where a number is an estimate: each definition says so.
FORECAST: tuple[MetricDef, ...] = (
    _m(
        "forecast",
        ("metric", "horizon", "quantile"),
        Unit.COUNT,
        F,
        "An estimate, not a measurement: the forecast of `metric` (" + _FORECAST_METRICS + ") at "
        "`horizon` (" + _HORIZONS + ": the local midnight that ends T's month, quarter or "
        "year), the `quantile` (0.1, 0.5, 0.9) of the fitted model's forecast distribution. "
        "Fitted on the metric's value, as the other groups compute it, at the local midnight "
        "that starts T's day and at each of the {forecast_months} before it, one calendar "
        "month apart; refit on the forecast group's schedule. MRR in the "
        "reporting currency, K a ratio, the rest counts.",
    ),
    _m(
        "target_pacing_ratio",
        ("metric",),
        Unit.RATIO,
        F,
        "An estimate: the median forecast of the target's metric at the end of "
        "`targets.date` (default: the end of the local year) divided by the target "
        "(execmetrics_target of the same `metric`). Below 1: the forecast falls short.",
    ),
    _m(
        "target_reach_probability",
        ("metric",),
        Unit.RATIO,
        F,
        "An estimate: the probability, under the fitted model's forecast distribution, that "
        "the target's metric is at or above the target at the end of `targets.date`.",
    ),
    _m(
        "forecast_target_timestamp_seconds",
        (),
        Unit.TIMESTAMP,
        F,
        "Unix time of the instant the targets are paced to: the local midnight that ends "
        "`targets.date` (default: the end of the local year).",
    ),
)

# The database the groups read, beside the numbers (not SPEC §4): whether it is current.
REPLICA: tuple[MetricDef, ...] = (
    _m(
        "database_replay_lag_seconds",
        (),
        SECONDS,
        Q,
        "When the database read is a hot standby: how far it is behind its primary, the "
        "wall time since the last transaction it replayed (0 while it has replayed all the "
        "WAL it received). Absent on a primary. Read at the run, by the wall clock, not at T.",
        at_t=False,
    ),
)

HEALTH: tuple[MetricDef, ...] = (
    _m(
        "group_interval_seconds",
        ("group",),
        SECONDS,
        HEALTH_GROUP,
        "Configured interval between two computations of the group.",
    ),
    _m(
        "group_last_run_duration_seconds",
        ("group",),
        SECONDS,
        HEALTH_GROUP,
        "Wall time of the group's last computation.",
    ),
    _m(
        "group_last_success_timestamp_seconds",
        ("group",),
        TIMESTAMP,
        HEALTH_GROUP,
        "Unix time at which the group last computed successfully.",
    ),
    _m(
        "group_last_run_success",
        ("group",),
        COUNT,
        HEALTH_GROUP,
        "1 when the group's last computation succeeded, else 0.",
    ),
    _m(
        "group_failures_total",
        ("group",),
        COUNT,
        HEALTH_GROUP,
        "Failed computations of the group since the exporter started.",
        kind="counter",
    ),
    _m(
        "group_evaluation_timestamp_seconds",
        ("group",),
        TIMESTAMP,
        HEALTH_GROUP,
        "The instant T (Unix time) the group's current values were computed for.",
    ),
    _m(
        "refresh_last_duration_seconds",
        (),
        SECONDS,
        HEALTH_GROUP,
        "Wall time of the last materialized-view refresh.",
    ),
    _m(
        "refresh_last_success_timestamp_seconds",
        (),
        TIMESTAMP,
        HEALTH_GROUP,
        "Unix time of the last successful materialized-view refresh.",
    ),
    _m(
        "refresh_failures_total",
        (),
        COUNT,
        HEALTH_GROUP,
        "Failed materialized-view refreshes since the exporter started.",
        kind="counter",
    ),
    _m(
        "report_failures_total",
        ("stage",),
        COUNT,
        HEALTH_GROUP,
        "Failed attempts of the scheduled board reports since the exporter started, by stage "
        "(build, email, webhook, snapshot); each is logged and retried with backoff.",
        kind="counter",
    ),
    _m(
        "refresh_skipped_total",
        (),
        COUNT,
        HEALTH_GROUP,
        "Refresh ticks skipped since the exporter started because another replica held "
        "the refresh lease (neither a success nor a failure).",
        kind="counter",
    ),
    _m(
        "refresh_interval_seconds",
        (),
        SECONDS,
        HEALTH_GROUP,
        "Configured interval between two materialized-view refreshes (shared by replicas).",
    ),
)

ALL: tuple[MetricDef, ...] = (
    CONTRACT + BREAKDOWNS + GROWTH + TARGET_METRICS + FORECAST + REPLICA + HEALTH
)
BY_NAME: dict[str, MetricDef] = {m.name: m for m in ALL}

MOVEMENTS: tuple[str, ...] = tuple(Movement)
USER_TYPES: tuple[str, ...] = tuple(UserType)
ACTIVE_WINDOWS: tuple[str, ...] = tuple(ActiveWindow)
# The checks execmetrics_data_quality_issues reports, with what each does to the numbers.
_REPORTED_CHECKS = tuple(Check)


def quality_checks(config: Config) -> dict[str, str]:
    """Each reported check and its description under ``config``."""
    return {c.value: c.template.format(**facts(config)) for c in _REPORTED_CHECKS}


QUALITY_CHECKS: dict[str, str] = quality_checks(_DEFAULTS)


def help_text(metric: MetricDef, config: Config) -> str:
    """HELP line: the definition under ``config``, plus how often the value is computed."""
    if metric.group == HEALTH_GROUP:
        return metric.describe(config)
    interval = config.groups.schedule(metric.group).interval_seconds
    return f"{metric.describe(config)} Computed every {interval:g}s."
