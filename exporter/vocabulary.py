"""The product's vocabulary: every name and target that more than one place speaks of.

Config, SQL parameters, HELP text, the landing page, the boards, the rules' tests, the
seed and the tests import these instead of writing the strings again, so a name or a
target changes in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class GroupName(StrEnum):
    """The computation groups: each is a set of SQL files run together on a schedule."""

    REVENUE = "revenue"
    USERS = "users"
    VIRAL = "viral"
    ENGAGEMENT = "engagement"
    QUALITY = "quality"
    GROWTH = "growth"
    # Forecasts and pacing to target: fitted on the other groups' history, refit daily.
    FORECAST = "forecast"

    @property
    def sql(self) -> bool:
        """Whether the group is SQL read at T (every group but the forecast, which fits
        a model on what the SQL groups give at past instants)."""
        return self is not GroupName.FORECAST


class UserType(StrEnum):
    SUPPLIER = "supplier"
    COUPLE = "couple"


class ActiveWindow(StrEnum):
    """The fixed windows of the active-users counts (SPEC §3)."""

    D1 = "1d"
    D7 = "7d"
    D30 = "30d"

    @property
    def delta(self) -> timedelta:
        return timedelta(days=int(self.value.removesuffix("d")))


class Movement(StrEnum):
    """MRR movements over (M1, T]; the signs are those of the movement identity."""

    NEW = "new"
    REACTIVATION = "reactivation"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"

    @property
    def sign(self) -> int:
        return -1 if self in (Movement.CONTRACTION, Movement.CHURN) else 1


class Check(StrEnum):
    """Data-quality checks (SPEC §3): the `check` label of execmetrics_data_quality_issues."""

    SUBSCRIPTION_NEGATIVE_AMOUNT = "subscription_negative_amount"
    SUBSCRIPTION_MISSING_FX_RATE = "subscription_missing_fx_rate"
    SUBSCRIPTION_ENDED_BEFORE_STARTED = "subscription_ended_before_started"
    SUBSCRIPTION_INVALID_INTERVAL = "subscription_invalid_interval"
    FX_RATE_INVALID = "fx_rate_invalid"
    SESSION_USER_NOT_EXACTLY_ONE = "session_user_not_exactly_one"
    SESSION_NONPOSITIVE_DURATION = "session_nonpositive_duration"
    INVITATION_ACCEPTED_BEFORE_SENT = "invitation_accepted_before_sent"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"

    @property
    def template(self) -> str:
        """What the check finds and what it does to the numbers; ``{future_tolerance}``
        is filled in by the catalog from the running configuration."""
        return _CHECK_DESCRIPTIONS[self]


_CHECK_DESCRIPTIONS: dict[Check, str] = {
    Check.SUBSCRIPTION_NEGATIVE_AMOUNT: "subscription with amount_minor < 0: left out of revenue",
    Check.SUBSCRIPTION_MISSING_FX_RATE: "subscription whose currency has no valid rate for its "
    "start date: left out of revenue",
    Check.SUBSCRIPTION_ENDED_BEFORE_STARTED: "subscription with ended_at < started_at: left out "
    "of revenue",
    Check.SUBSCRIPTION_INVALID_INTERVAL: "subscription with interval_months missing or not "
    "positive: left out of revenue",
    Check.FX_RATE_INVALID: "fx rate that is not a positive finite number (0, negative, NaN, "
    "Infinity): ignored, as if the row were absent",
    Check.SESSION_USER_NOT_EXACTLY_ONE: "session with both or neither of supplier_id / "
    "couple_id: left out of users and engagement",
    Check.SESSION_NONPOSITIVE_DURATION: "session with session_duration <= 0: still activity, "
    "left out of the average duration",
    Check.INVITATION_ACCEPTED_BEFORE_SENT: "invitation with accepted_at < sent_at: counted as "
    "sent, not as accepted",
    Check.TIMESTAMP_IN_FUTURE: "supplier, couple or session created_at, or invitation sent_at, "
    "more than {future_tolerance} after the later of T and the wall clock of the run: windows "
    "leave it out (a row stamped after a past T but not after the wall clock is no issue)",
}


class Unit(StrEnum):
    """A metric's unit: how boards format it and how a replica-safe query aggregates it."""

    CURRENCY = "currency"
    RATIO = "ratio"
    COUNT = "count"
    SECONDS = "seconds"
    TIMESTAMP = "timestamp"

    @property
    def additive(self) -> bool:
        """Whether values of several label values add up (money, counts) or not (ratios,
        durations, instants): a board sums the first over a label and takes the max of
        the second."""
        return self in (Unit.CURRENCY, Unit.COUNT)


class LifecycleState(StrEnum):
    """Growth-accounting states of a user over C = (T - 30d, T] and P = (T - 60d, T - 30d]."""

    NEW = "new"
    RETURNING = "returning"
    RESURRECTED = "resurrected"
    DORMANT = "dormant"


class CoupleStage(StrEnum):
    """A registered couple's stage at T, from its wedding date and T's local date."""

    PLANNING = "planning"
    MARRIED = "married"
    UNKNOWN = "unknown"


class Reconciliation(StrEnum):
    """The `check` label of execmetrics_reconciliation_residual: which books must balance."""

    MOVEMENTS = "movements"
    BY_PLAN = "by_plan"


class TargetName(StrEnum):
    """The `metric` label of execmetrics_target: which configured target it is."""

    VIRAL_COEFFICIENT = "viral_coefficient"
    SUPPLIER_STICKINESS = "supplier_stickiness"
    COUPLE_STICKINESS = "couple_stickiness"
    AT_RISK_QUIET_PERIOD = "at_risk_quiet_period_seconds"
    # Optional level targets, paced by the forecast (exported only when configured).
    MRR = "mrr"
    PAYING_SUPPLIERS = "paying_suppliers"


class ForecastMetric(StrEnum):
    """The `metric` label of execmetrics_forecast: the series a model is fitted on."""

    MRR = "mrr"
    PAYING_SUPPLIERS = "paying_suppliers"
    ACTIVE_SUPPLIERS = "active_suppliers"
    ACTIVE_COUPLES = "active_couples"
    VIRAL_COEFFICIENT = "viral_coefficient"


class Horizon(StrEnum):
    """The `horizon` label of execmetrics_forecast: the local midnight that ends T's
    month, quarter or year."""

    MONTH_END = "month_end"
    QUARTER_END = "quarter_end"
    YEAR_END = "year_end"

    @property
    def months(self) -> int:
        """The length of the calendar period the horizon ends."""
        return {Horizon.MONTH_END: 1, Horizon.QUARTER_END: 3, Horizon.YEAR_END: 12}[self]


# The targets a forecast paces: the target's name -> the forecast series it is read on.
PACED_TARGETS: dict[TargetName, ForecastMetric] = {
    TargetName.MRR: ForecastMetric.MRR,
    TargetName.PAYING_SUPPLIERS: ForecastMetric.PAYING_SUPPLIERS,
    TargetName.VIRAL_COEFFICIENT: ForecastMetric.VIRAL_COEFFICIENT,
}


# Quantiles of the viral cycle time (the `quantile` label's values).
CYCLE_TIME_QUANTILES: tuple[float, ...] = (0.5, 0.9)
# Quantiles of a forecast (the `quantile` label's values): the median and the 80% band.
FORECAST_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
# The calendar months of history a forecast is fitted on (the grid has one point more).
FORECAST_MONTHS = 24
# The passes a cold refit runs at once (exporter/forecast/history.py evaluate_days).
FORECAST_JOBS = 2
# Growth accounting: the current and the previous activity windows, the cohort count.
LIFECYCLE_WINDOW = timedelta(days=30)
COHORT_MONTHS = 12

# A label value for data-driven labels (SPEC §4): NULL or blank, and the tail past top N.
UNKNOWN = "unknown"
OTHER = "other"


@dataclass(frozen=True)
class Bands:
    """Thresholds of a traffic-light band: red below `orange`, then orange, yellow, green."""

    orange: float
    yellow: float
    green: float


@dataclass(frozen=True)
class Targets:
    """The numbers leadership compares the metrics with."""

    viral_coefficient: float = 1.0
    stickiness_benchmark: float = 0.40
    supplier_stickiness: Bands = Bands(0.15, 0.20, 0.30)
    couple_stickiness: Bands = Bands(0.30, 0.40, 0.50)
    stale_after_intervals: int = 3
    # The reconciliation residual (reporting currency) above which the books do not balance.
    books_tolerance: float = 0.01
    # Paying suppliers with no session and no invitation sent for this long are "at risk".
    at_risk_quiet_period: timedelta = timedelta(days=14)


TARGETS = Targets()
