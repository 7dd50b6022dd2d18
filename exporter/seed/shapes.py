"""The named scales, the deliberate data-quality rows every scale carries, and the tuned
distributions and constants that shape the synthetic history."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from exporter.contract import SourceTable
from exporter.vocabulary import Check

DAY = 86_400
HOUR = 3_600

# --- Scales and deliberate data-quality rows -------------------------------------


@dataclass(frozen=True)
class Scale:
    """Populations and history length of one named demo scale."""

    name: str
    suppliers: int
    couples: int
    history_days: int
    sessions: int  # target session count; per-user session rates are scaled to meet it


SCALES: Mapping[str, Scale] = MappingProxyType(
    {
        "small": Scale(
            "small", suppliers=1_000, couples=10_000, history_days=365, sessions=150_000
        ),
        "medium": Scale(
            "medium", suppliers=20_000, couples=200_000, history_days=730, sessions=5_000_000
        ),
        "large": Scale(
            "large", suppliers=20_000, couples=200_000, history_days=1_461, sessions=10_000_000
        ),
    }
)

# How many rows of each SPEC §3 data-quality kind every scale carries, by the check that
# counts them and the variant (a check can be hit in several ways or in several tables).
BAD_ROWS: Mapping[tuple[Check, str], int] = MappingProxyType(
    {
        (Check.SUBSCRIPTION_NEGATIVE_AMOUNT, SourceTable.SUBSCRIPTIONS): 3,
        (Check.SUBSCRIPTION_MISSING_FX_RATE, SourceTable.SUBSCRIPTIONS): 3,
        (Check.SUBSCRIPTION_ENDED_BEFORE_STARTED, SourceTable.SUBSCRIPTIONS): 3,
        (Check.SESSION_USER_NOT_EXACTLY_ONE, "both ids"): 3,
        (Check.SESSION_USER_NOT_EXACTLY_ONE, "neither id"): 3,
        (Check.SESSION_NONPOSITIVE_DURATION, "zero"): 3,
        (Check.SESSION_NONPOSITIVE_DURATION, "negative"): 3,
        (Check.INVITATION_ACCEPTED_BEFORE_SENT, SourceTable.INVITATIONS): 3,
        (Check.TIMESTAMP_IN_FUTURE, SourceTable.SUPPLIERS): 2,
        (Check.TIMESTAMP_IN_FUTURE, SourceTable.COUPLES): 2,
        (Check.TIMESTAMP_IN_FUTURE, SourceTable.USER_SESSIONS): 3,
        (Check.TIMESTAMP_IN_FUTURE, SourceTable.INVITATIONS): 3,
        (Check.FX_RATE_INVALID, "zero"): 1,
        (Check.FX_RATE_INVALID, "negative"): 1,
        (Check.FX_RATE_INVALID, "NaN"): 1,
    }
)
# The value of each invalid fx rate variant, and the currency it is given in.
INVALID_RATES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {"zero": ("EUR", "0"), "negative": ("USD", "-0.8"), "NaN": ("EUR", "NaN")}
)
# The currency of the subscriptions that have no fx rate.
UNRATED_CURRENCY = "CHF"


def bad_row_count(check: Check) -> int:
    """How many seeded rows the data-quality check ``check`` counts."""
    return sum(count for (which, _), count in BAD_ROWS.items() if which == check)


# --- Distributions -------------------------------------------------------------------

CATEGORIES: tuple[tuple[str, float], ...] = (
    ("photographer", 18),
    ("venue", 14),
    ("florist", 10),
    ("caterer", 10),
    ("dj", 9),
    ("videographer", 9),
    ("planner", 8),
    ("dress", 8),
    ("band", 7),
    ("cake", 7),
)
SUPPLIER_COUNTRIES: tuple[tuple[str | None, float], ...] = (
    ("GB", 75),
    (None, 9),
    ("IE", 4),
    ("FR", 3),
    ("ES", 3),
    ("US", 6),
)
COUPLE_COUNTRIES: tuple[tuple[str | None, float], ...] = (
    ("GB", 80),
    (None, 7),
    ("IE", 5),
    ("FR", 3),
    ("ES", 2),
    ("US", 3),
)
# A supplier bills in its country's currency; GB and unknown countries bill in GBP.
CURRENCY_OF_COUNTRY: Mapping[str, str] = MappingProxyType(
    {"IE": "EUR", "FR": "EUR", "ES": "EUR", "US": "USD"}
)

PLAN_ORDER: tuple[str, ...] = ("free", "basic", "pro", "premium")
PLANS: tuple[tuple[str, float], ...] = (("free", 4), ("basic", 50), ("pro", 33), ("premium", 13))
# List price of one month of each paid plan, in minor units.
MONTHLY_PRICE: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {
        "GBP": {"basic": 2_900, "pro": 5_900, "premium": 11_900},
        "EUR": {"basic": 3_500, "pro": 6_900, "premium": 13_900},
        "USD": {"basic": 3_900, "pro": 7_900, "premium": 14_900},
    }
)
INTERVALS: tuple[tuple[int, float], ...] = ((1, 60), (3, 15), (12, 25))
# Longer billing periods are cheaper per month.
INTERVAL_PRICE_FACTOR: Mapping[int, float] = MappingProxyType({1: 1.0, 3: 0.95, 12: 0.85})

# fx: reporting-currency (GBP) units per unit; a monthly mean-reverting random walk.
FX_START: Mapping[str, float] = MappingProxyType({"EUR": 0.85, "USD": 0.78})
FX_MONTHLY_VOLATILITY = 0.012

# Invitation channels: (channel, weight, share eventually accepted).
CHANNELS: tuple[tuple[str | None, float, float], ...] = (
    ("email", 45, 0.38),
    ("link", 20, 0.45),
    ("whatsapp", 15, 0.52),
    ("sms", 10, 0.42),
    (None, 10, 0.32),
)

# Supplier lifecycle.
P_SUBSCRIBE = 0.62  # share of suppliers that ever start a subscription
SUBSCRIBE_LAG_MEAN = 5 * DAY
P_TRIAL = 0.45  # share of first subscriptions that start with a trial
TRIAL = 14 * DAY
P_TRIAL_CANCEL = 0.3
MONTHLY_CHANGE = 0.015  # plan changes per month
P_UPGRADE = 0.6
P_INTERVAL_REDRAW = 0.2  # a plan change also changes the billing interval
MONTHLY_CHURN: Mapping[int, float] = MappingProxyType({1: 0.035, 3: 0.03, 12: 0.025})
P_REACTIVATE = 0.25
MAX_REACTIVATIONS = 2
REACTIVATION_GAP = (30 * DAY, 270 * DAY)
P_DISCOUNT = 0.1
DISCOUNTS: tuple[float, ...] = (0.1, 0.15, 0.2, 0.3)
P_PAST_DUE = 0.03
EXPLORE = (7 * DAY, 45 * DAY)  # engaged period right after sign-up
P_SUPPLIER_DELETE = 0.3  # of suppliers without a live subscription at end
SUPPLIER_DELETE_LAG = (DAY, 150 * DAY)

# Couple lifecycle.
P_WEDDING_DATE = 0.92
WEDDING_LEAD_DAYS = (182, 548)
WEDDING_MONTH_WEIGHT: tuple[float, ...] = (3, 3, 4, 6, 11, 14, 14, 13, 13, 8, 3, 4)  # Jan..Dec
WEDDING_WEEKDAY_WEIGHT: tuple[float, ...] = (0.4, 0.4, 0.5, 0.8, 2.0, 5.0, 1.5)  # Mon..Sun
UNDATED_ENGAGED = (30 * DAY, 240 * DAY)
AFTER_WEDDING = 7 * DAY
P_COUPLE_DELETE = 0.04
COUPLE_DELETE_LAG = (DAY, 400 * DAY)
P_COUPLE_DELETE_AFTER_WEDDING = 0.25
AFTER_WEDDING_DELETE_LAG = (30 * DAY, 200 * DAY)

# Activity rates per day at seasonal factor 1, before scaling to the scale's session target.
SUPPLIER_SESSIONS_PER_DAY = 0.8
COUPLE_SESSIONS_PER_DAY = 0.06
DORMANT_SUPPLIER_SESSIONS_PER_DAY = 0.005
INVITES_PER_DAY = 0.125  # per engaged supplier
SUPPLIER_ACTIVITY_SIGMA = 0.5  # lognormal spread of per-user activity multipliers
COUPLE_ACTIVITY_SIGMA = 0.6

# Session durations: lognormal seconds (median exp(mu)).
SUPPLIER_DURATION = (math.log(420), 1.2)
COUPLE_DURATION = (math.log(300), 1.15)
# Sessions with a NULL duration, besides those still running at end: a few never closed
# (P_ABANDONED) and many more among the last days' sessions, not yet closed by the platform.
P_ABANDONED = 0.005
P_RECENT_OPEN = 0.35  # at age 0, decaying with RECENT_OPEN_DECAY
RECENT_OPEN_DECAY = 4 * DAY
RECENT_OPEN_HORIZON = 30 * DAY

# Accepted invitations: lag lognormal seconds (median 5 hours), couple signed up recently.
ACCEPT_LAG = (math.log(5 * HOUR), 1.9)
ACCEPTING_COUPLE_AGE = 60 * DAY

# Seasonality: 1 + amplitude * cos(2π (day_of_year - peak) / 365.25).
SIGNUP_SEASON = (0.35, 140)
SESSION_SEASON = (0.25, 150)
INVITE_SEASON = (0.08, 150)
GROWTH_FLOOR = 0.35  # relative sign-up rate at the start of the history (1 at the end)

SUPPLIER_HOURS: tuple[float, ...] = (
    0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.7, 1.2, 1.6, 1.7, 1.6,
    1.3, 1.4, 1.5, 1.5, 1.4, 1.2, 1.0, 1.0, 1.1, 1.0, 0.6, 0.3,
)  # fmt: skip
SUPPLIER_WEEKDAYS: tuple[float, ...] = (1.1, 1.1, 1.1, 1.1, 1.05, 0.8, 0.6)
COUPLE_HOURS: tuple[float, ...] = (
    0.3, 0.15, 0.08, 0.05, 0.05, 0.08, 0.2, 0.5, 0.8, 0.9, 0.9, 1.0,
    1.1, 1.0, 0.9, 0.9, 1.0, 1.2, 1.5, 1.9, 2.1, 2.0, 1.5, 0.8,
)  # fmt: skip
COUPLE_WEEKDAYS: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 0.9, 1.2, 1.3)

FUTURE_LAG = (DAY, 3 * DAY)
