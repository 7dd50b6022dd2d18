"""Deterministic synthetic demo data for the six reference source tables (SPEC §1).

``seed`` fills ``suppliers``, ``couples``, ``subscriptions``, ``fx_rates``,
``user_sessions`` and ``invitations`` in the source schema with a history that ends at
``end``, loaded with binary COPY in one transaction. The same ``end`` and ``random_seed``
always produce byte-identical tables: every draw comes from ``random.Random`` instances
seeded from ``random_seed`` (one stream per stage), and every timestamp is a whole second.

Shapes: a growing platform with spring/summer seasonality in sign-ups and sessions;
weddings mostly May–September, 6–18 months after a couple signs up; weighted supplier
categories; a GBP-heavy currency mix with monthly EUR and USD rates; basic/pro/premium
plans billed monthly, quarterly or annually plus a free plan; 14-day trials, plan
changes, churn and reactivations; long-tailed session durations; invitations tuned so the
viral coefficient at ``end`` sits around 1.1–1.4. A fixed handful of the SPEC §3
data-quality rows is mixed in (``BAD_ROWS``), including a few rows stamped 1–3 days after
``end``. Apart from those, nothing happens after ``end``: sessions still running at
``end`` are open (NULL duration), invitations not yet accepted have no ``accepted_at``.
The only later instants are planned ones: wedding dates and the trial end of a
subscription started in the last 14 days.

Sessions and invitations are generated month by month (a Poisson process per user whose
intensity follows an hourly seasonality table) and streamed to COPY, so memory stays
bounded at every scale; ids are sequential per table in time order.
"""

from __future__ import annotations

import bisect
import calendar
import itertools
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import psycopg
from psycopg import sql
from tqdm import tqdm

from exporter.db import describe
from exporter.errors import ConfigError, DatabaseError, SchemaError

T = TypeVar("T")

DAY = 86_400
HOUR = 3_600

TABLES: tuple[str, ...] = (
    "suppliers",
    "couples",
    "subscriptions",
    "fx_rates",
    "user_sessions",
    "invitations",
)

# Contract columns of each table with the PostgreSQL type used for binary COPY.
COLUMNS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "suppliers": (
            ("id", "int8"),
            ("created_at", "timestamptz"),
            ("deleted_at", "timestamptz"),
            ("category", "text"),
            ("country", "text"),
        ),
        "couples": (
            ("id", "int8"),
            ("created_at", "timestamptz"),
            ("deleted_at", "timestamptz"),
            ("wedding_date", "date"),
            ("country", "text"),
        ),
        "subscriptions": (
            ("id", "int8"),
            ("supplier_id", "int8"),
            ("plan", "text"),
            ("status", "text"),
            ("amount_minor", "int8"),
            ("currency", "text"),  # bpchar reads the text binary format
            ("interval_months", "int4"),
            ("started_at", "timestamptz"),
            ("trial_ends_at", "timestamptz"),
            ("ended_at", "timestamptz"),
        ),
        "fx_rates": (
            ("currency", "text"),  # bpchar reads the text binary format
            ("valid_from", "date"),
            ("rate", "numeric"),
        ),
        "user_sessions": (
            ("id", "int8"),
            ("supplier_id", "int8"),
            ("couple_id", "int8"),
            ("created_at", "timestamptz"),
            ("session_duration", "int4"),
        ),
        "invitations": (
            ("id", "int8"),
            ("supplier_id", "int8"),
            ("couple_id", "int8"),
            ("channel", "text"),
            ("sent_at", "timestamptz"),
            ("accepted_at", "timestamptz"),
        ),
    }
)


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

# How many rows of each SPEC §3 data-quality kind every scale carries.
BAD_ROWS: Mapping[str, int] = MappingProxyType(
    {
        "subscription_negative_amount": 3,
        "subscription_currency_without_rate": 3,
        "subscription_ended_before_start": 3,
        "session_both_ids": 3,
        "session_neither_id": 3,
        "session_zero_duration": 3,
        "session_negative_duration": 3,
        "invitation_accepted_before_sent": 3,
        "future_suppliers": 2,
        "future_couples": 2,
        "future_sessions": 3,
        "future_invitations": 3,
    }
)
# The currency of the subscriptions that have no fx rate.
UNRATED_CURRENCY = "CHF"


@dataclass(frozen=True)
class SeedResult:
    scale: str
    end: datetime
    rows: dict[str, int]
    seconds: float


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
FLAT_HOURS: tuple[float, ...] = (1.0,) * 24
FLAT_WEEKDAYS: tuple[float, ...] = (1.0,) * 7

FUTURE_LAG = (DAY, 3 * DAY)
PROGRESS_EVERY = 8_192
CONNECT_TIMEOUT = 10


# --- Small helpers -------------------------------------------------------------------


class Weighted(Generic[T]):
    """A discrete distribution drawn with one uniform and a bisection."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values: list[T] = [value for value, _ in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def draw(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _utc_or_none(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _add_months(ts: int, months: int) -> int:
    """The same UTC wall time ``months`` calendar months later, day clipped to month end."""
    moment = _utc(ts)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def _season(day_of_year: int, shape: tuple[float, float]) -> float:
    amplitude, peak = shape
    return 1.0 + amplitude * math.cos(2 * math.pi * (day_of_year - peak) / 365.25)


def _between(rng: random.Random, bounds: tuple[int, int]) -> int:
    return rng.randrange(bounds[0], bounds[1] + 1)


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(intervals):
        if stop <= start:
            continue
        if merged and start <= merged[-1][1]:
            if stop > merged[-1][1]:
                merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


def _month_bounds(start: int, stop: int) -> list[int]:
    """``start``, every first of a UTC month strictly inside, and ``stop``."""
    bounds = [start]
    moment = _utc(start)
    year, month = moment.year, moment.month
    while True:
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        first = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
        if first >= stop:
            break
        bounds.append(first)
    bounds.append(stop)
    return bounds


class HourlyFactor:
    """Relative activity per hour of the history (seasonality × weekday × hour of day).

    Normalised to mean 1, so a rate per day at factor 1 is the average rate.
    """

    def __init__(
        self,
        origin: int,
        stop: int,
        season: tuple[float, float],
        hours: Sequence[float],
        weekdays: Sequence[float],
    ) -> None:
        self.origin = origin
        count = (stop - origin) // HOUR + 2
        values: list[float] = []
        for index in range(count):
            moment = _utc(origin + index * HOUR)
            values.append(
                _season(moment.timetuple().tm_yday, season)
                * hours[moment.hour]
                * weekdays[moment.weekday()]
            )
        mean = sum(values) / len(values)
        self.values = [value / mean for value in values]
        # cumulative[i] = ∫ factor dt from origin to the start of hour i, in seconds.
        self.cumulative = [0.0]
        for value in self.values:
            self.cumulative.append(self.cumulative[-1] + value * HOUR)

    def at(self, ts: int) -> float:
        """∫ factor dt from origin to ``ts``, in seconds."""
        index, rest = divmod(ts - self.origin, HOUR)
        return self.cumulative[index] + self.values[index] * rest

    def integral(self, start: int, stop: int) -> float:
        """∫ factor dt over [start, stop), in seconds."""
        return self.at(stop) - self.at(start)


@dataclass(frozen=True)
class Stream:
    """An actor that produces events at ``rate`` per second × factor over [start, stop)."""

    start: int
    stop: int
    rate: float
    actor: int
    factor: HourlyFactor


def poisson_events(
    streams: Sequence[Stream],
    bounds: Sequence[int],
    rng: random.Random,
) -> Iterator[tuple[int, int, list[tuple[int, int]]]]:
    """Per chunk [lo, hi) of ``bounds``: the sorted (timestamp, actor) events in it.

    Each stream is an inhomogeneous Poisson process with intensity rate × factor(t),
    drawn by time change: unit-rate gaps on the factor's cumulative integral, mapped back
    to instants by bisection. ``streams`` must be sorted by start.
    """
    expovariate = rng.expovariate
    bisect_right = bisect.bisect_right
    pending = 0
    active: list[Stream] = []
    for lo, hi in itertools.pairwise(bounds):
        while pending < len(streams) and streams[pending].start < hi:
            active.append(streams[pending])
            pending += 1
        events: list[tuple[int, int]] = []
        append = events.append
        for stream in active:
            start = stream.start if stream.start > lo else lo
            stop = stream.stop if stream.stop < hi else hi
            if start >= stop:
                continue
            factor = stream.factor
            cumulative, values, origin = factor.cumulative, factor.values, factor.origin
            rate, actor, first, last = stream.rate, stream.actor, start, stop - 1
            limit = factor.at(stop)
            u = factor.at(start) + expovariate(rate)
            while u < limit:
                index = bisect_right(cumulative, u) - 1
                t = int(origin + index * HOUR + (u - cumulative[index]) / values[index])
                # Rounding can land a hair outside [start, stop); clamp into it.
                append((first if t < first else last if t > last else t, actor))
                u += expovariate(rate)
        active = [stream for stream in active if stream.stop > hi]
        events.sort()
        yield lo, hi, events


# --- The synthetic world -------------------------------------------------------------


@dataclass
class Supplier:
    id: int
    created: int
    category: str
    country: str | None
    currency: str
    activity: float
    deleted: int | None = None
    engaged: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Couple:
    id: int
    created: int
    country: str | None
    wedding: date | None
    activity: float
    deleted: int | None = None
    engaged: tuple[int, int] | None = None


SubscriptionRow = tuple[str, str, int, str, int, int, int | None, int | None]
# (plan, status, amount_minor, currency, interval_months, started, trial_ends, ended)
SessionRow = tuple[int, int | None, int | None, int | None]  # (created, supplier, couple, dur.)
InvitationRow = tuple[int, int, int | None, str | None, int | None]
# (sent, supplier, couple, channel, accepted)


class World:
    """The generated rows of one (scale, end, random_seed).

    Users and subscriptions are held in memory; sessions and invitations are generators.
    """

    def __init__(self, scale: Scale, end: datetime, random_seed: int) -> None:
        self.scale = scale
        self.end = int(end.timestamp())
        self.start = self.end - scale.history_days * DAY
        self.seed = random_seed
        self.supplier_factor = HourlyFactor(
            self.start, self.end, SESSION_SEASON, SUPPLIER_HOURS, SUPPLIER_WEEKDAYS
        )
        self.couple_factor = HourlyFactor(
            self.start, self.end, SESSION_SEASON, COUPLE_HOURS, COUPLE_WEEKDAYS
        )
        self.invite_factor = HourlyFactor(
            self.start, self.end, INVITE_SEASON, SUPPLIER_HOURS, SUPPLIER_WEEKDAYS
        )
        self.suppliers: list[Supplier] = []
        self.couples: list[Couple] = []
        self.subscriptions: list[tuple[int, SubscriptionRow]] = []  # (supplier id, row)
        self._build_suppliers()
        self._build_couples()
        self._bad = self._build_bad_rows()
        self._session_streams, self.expected_sessions = self._build_session_streams()
        self._invite_streams, self.expected_invitations = self._build_invite_streams()

    def rng(self, stage: str) -> random.Random:
        return random.Random(f"execmetrics-seed/{self.seed}/{stage}")

    # Sign-ups -------------------------------------------------------------------------

    def _signup_times(self, rng: random.Random, count: int, hours: Sequence[float]) -> list[int]:
        """Sorted sign-up instants: growth over the history × spring/summer season."""
        days = self.scale.history_days
        day_pick = Weighted(
            [
                (
                    index,
                    (GROWTH_FLOOR + (1 - GROWTH_FLOOR) * index / days)
                    * _season(
                        _utc(self.start + index * DAY + DAY // 2).timetuple().tm_yday, SIGNUP_SEASON
                    ),
                )
                for index in range(days)
            ]
        )
        first_hour = _utc(self.start).hour
        hour_pick = Weighted([(h, hours[(first_hour + h) % 24]) for h in range(24)])
        times = [
            self.start + day_pick.draw(rng) * DAY + hour_pick.draw(rng) * HOUR + rng.randrange(HOUR)
            for _ in range(count)
        ]
        times.sort()
        return times

    # Suppliers and subscriptions ------------------------------------------------------

    def _build_suppliers(self) -> None:
        rng = self.rng("suppliers")
        category = Weighted(CATEGORIES)
        country = Weighted(SUPPLIER_COUNTRIES)
        for index, created in enumerate(
            self._signup_times(rng, self.scale.suppliers, SUPPLIER_HOURS), start=1
        ):
            where = country.draw(rng)
            self.suppliers.append(
                Supplier(
                    id=index,
                    created=created,
                    category=category.draw(rng),
                    country=where,
                    currency=CURRENCY_OF_COUNTRY.get(where or "", "GBP"),
                    activity=rng.lognormvariate(0.0, SUPPLIER_ACTIVITY_SIGMA),
                )
            )
        subs_rng = self.rng("subscriptions")
        plans = Weighted(PLANS)
        intervals = Weighted(INTERVALS)
        for supplier in self.suppliers:
            rows = self._subscription_history(supplier, subs_rng, plans, intervals)
            self.subscriptions.extend((supplier.id, row) for row in rows)
            explore = (supplier.created, supplier.created + _between(subs_rng, EXPLORE))
            live = [(row[5], self.end if row[7] is None else row[7]) for row in rows]
            engaged = _merge([explore, *live])
            still_live = any(row[7] is None for row in rows)
            if not still_live and subs_rng.random() < P_SUPPLIER_DELETE:
                deleted = engaged[-1][1] + _between(subs_rng, SUPPLIER_DELETE_LAG)
                if deleted <= self.end:
                    supplier.deleted = deleted
            limit = self.end if supplier.deleted is None else supplier.deleted
            supplier.engaged = [(a, min(b, limit)) for a, b in engaged if a < limit]

    def _price(self, rng: random.Random, plan: str, currency: str, interval: int) -> int:
        if plan == "free":
            return 0
        amount = MONTHLY_PRICE[currency][plan] * interval * INTERVAL_PRICE_FACTOR[interval]
        if rng.random() < P_DISCOUNT:
            amount *= 1 - rng.choice(DISCOUNTS)
        return round(amount)

    def _run_period(
        self, rng: random.Random, start: int, interval: int, trial_end: int | None
    ) -> tuple[int | None, str]:
        """How one subscription row ends: (ended_at or None, 'open' | 'churn' | 'change')."""
        if trial_end is not None and rng.random() < P_TRIAL_CANCEL:
            at = start + rng.randrange(HOUR, TRIAL)
            return (at, "churn") if at <= self.end else (None, "open")
        anchor = start if trial_end is None else trial_end
        p_change = 1 - (1 - MONTHLY_CHANGE) ** interval
        p_churn = 1 - (1 - MONTHLY_CHURN[interval]) ** interval
        previous, k = start, 1
        while True:
            boundary = _add_months(anchor, k * interval)
            if rng.random() < p_change:
                at = rng.randrange(previous + DAY, boundary)
                return (at, "change") if at <= self.end else (None, "open")
            if boundary > self.end:
                return None, "open"
            if rng.random() < p_churn:
                return boundary, "churn"
            previous, k = boundary, k + 1

    def _subscription_history(
        self,
        supplier: Supplier,
        rng: random.Random,
        plans: Weighted[str],
        intervals: Weighted[int],
    ) -> list[SubscriptionRow]:
        rows: list[SubscriptionRow] = []
        if rng.random() >= P_SUBSCRIBE:
            return rows
        start = supplier.created + int(rng.expovariate(1 / SUBSCRIBE_LAG_MEAN))
        plan = plans.draw(rng)
        interval = 1 if plan == "free" else intervals.draw(rng)
        trial_end = start + TRIAL if plan != "free" and rng.random() < P_TRIAL else None
        reactivations = 0
        while start <= self.end:
            ended, why = self._run_period(rng, start, interval, trial_end)
            if ended is not None:
                status = "canceled"
            elif trial_end is not None and trial_end > self.end:
                status = "trialing"
            else:
                late = plan != "free" and rng.random() < P_PAST_DUE
                status = "past_due" if late else "active"
            amount = self._price(rng, plan, supplier.currency, interval)
            rows.append(
                (plan, status, amount, supplier.currency, interval, start, trial_end, ended)
            )
            if ended is None:
                break
            trial_end = None
            if why == "change":
                plan = self._changed_plan(rng, plan)
                if plan == "free":
                    interval = 1
                elif rows[-1][0] == "free" or rng.random() < P_INTERVAL_REDRAW:
                    interval = intervals.draw(rng)
                start = ended
                continue
            if reactivations >= MAX_REACTIVATIONS or rng.random() >= P_REACTIVATE:
                break
            reactivations += 1
            start = ended + _between(rng, REACTIVATION_GAP)
            plan = plans.draw(rng)
            interval = 1 if plan == "free" else intervals.draw(rng)
        return rows

    @staticmethod
    def _changed_plan(rng: random.Random, plan: str) -> str:
        """One step up or down the plan ladder (free → basic → pro → premium)."""
        rank = PLAN_ORDER.index(plan)
        up = rank == 0 or (rank < len(PLAN_ORDER) - 1 and rng.random() < P_UPGRADE)
        return PLAN_ORDER[rank + 1] if up else PLAN_ORDER[rank - 1]

    # Couples --------------------------------------------------------------------------

    def _build_couples(self) -> None:
        rng = self.rng("couples")
        country = Weighted(COUPLE_COUNTRIES)
        first_day = _utc(self.start).date() + timedelta(days=WEDDING_LEAD_DAYS[0])
        last_day = _utc(self.end).date() + timedelta(days=WEDDING_LEAD_DAYS[1] + 1)
        wedding_days: list[date] = []
        cum: list[float] = [0.0]
        day = first_day
        while day <= last_day:
            wedding_days.append(day)
            cum.append(
                cum[-1]
                + WEDDING_MONTH_WEIGHT[day.month - 1] * WEDDING_WEEKDAY_WEIGHT[day.weekday()]
            )
            day += timedelta(days=1)
        for index, created in enumerate(
            self._signup_times(rng, self.scale.couples, COUPLE_HOURS), start=1
        ):
            wedding: date | None = None
            if rng.random() < P_WEDDING_DATE:
                signed_up = _utc(created).date()
                lo = (signed_up - first_day).days + WEDDING_LEAD_DAYS[0]
                hi = (signed_up - first_day).days + WEDDING_LEAD_DAYS[1]
                target = cum[lo] + rng.random() * (cum[hi + 1] - cum[lo])
                wedding = wedding_days[min(bisect.bisect_right(cum, target) - 1, hi)]
            couple = Couple(
                id=index,
                created=created,
                country=country.draw(rng),
                wedding=wedding,
                activity=rng.lognormvariate(0.0, COUPLE_ACTIVITY_SIGMA),
            )
            if wedding is None:
                engaged_end = created + _between(rng, UNDATED_ENGAGED)
            else:
                wedding_ts = int(
                    datetime(wedding.year, wedding.month, wedding.day, tzinfo=UTC).timestamp()
                )
                engaged_end = wedding_ts + AFTER_WEDDING
                if rng.random() < P_COUPLE_DELETE_AFTER_WEDDING:
                    deleted = wedding_ts + _between(rng, AFTER_WEDDING_DELETE_LAG)
                    if deleted <= self.end:
                        couple.deleted = deleted
            if couple.deleted is None and rng.random() < P_COUPLE_DELETE:
                deleted = created + _between(rng, COUPLE_DELETE_LAG)
                if deleted <= self.end:
                    couple.deleted = deleted
            limit = min(engaged_end, self.end if couple.deleted is None else couple.deleted)
            if limit > created:
                couple.engaged = (created, limit)
            self.couples.append(couple)
        self.couple_created = [couple.created for couple in self.couples]

    # Activity streams -----------------------------------------------------------------

    def _build_session_streams(self) -> tuple[list[Stream], int]:
        """Supplier (actor = id) and couple (actor = -id) session streams, scaled so the
        expected session count meets the scale's target."""
        raw: list[tuple[int, int, float, int, HourlyFactor]] = []
        for supplier in self.suppliers:
            per_second = SUPPLIER_SESSIONS_PER_DAY * supplier.activity / DAY
            for a, b in supplier.engaged:
                raw.append((a, b, per_second, supplier.id, self.supplier_factor))
            stop = self.end if supplier.deleted is None else supplier.deleted
            if supplier.created >= stop:
                continue
            raw.append(
                (
                    supplier.created,
                    stop,
                    DORMANT_SUPPLIER_SESSIONS_PER_DAY / DAY,
                    supplier.id,
                    self.supplier_factor,
                )
            )
        for couple in self.couples:
            if couple.engaged is not None:
                a, b = couple.engaged
                per_second = COUPLE_SESSIONS_PER_DAY * couple.activity / DAY
                raw.append((a, b, per_second, -couple.id, self.couple_factor))
        expected = sum(rate * factor.integral(a, b) for a, b, rate, _, factor in raw)
        scale = self.scale.sessions / expected if expected else 1.0
        streams = [Stream(a, b, rate * scale, actor, f) for a, b, rate, actor, f in raw]
        streams.sort(key=lambda stream: (stream.start, stream.actor))
        return streams, self.scale.sessions

    def _build_invite_streams(self) -> tuple[list[Stream], int]:
        streams: list[Stream] = []
        expected = 0.0
        for supplier in self.suppliers:
            per_second = INVITES_PER_DAY * math.sqrt(supplier.activity) / DAY
            for a, b in supplier.engaged:
                streams.append(Stream(a, b, per_second, supplier.id, self.invite_factor))
                expected += per_second * self.invite_factor.integral(a, b)
        streams.sort(key=lambda stream: (stream.start, stream.actor))
        return streams, round(expected)

    # Deliberate data-quality rows -----------------------------------------------------

    def _build_bad_rows(self) -> dict[str, list[Any]]:
        rng = self.rng("bad-rows")
        end = self.end

        def moment() -> int:
            return rng.randrange(self.start + self.scale.history_days * DAY // 10, end)

        def supplier_before(ts: int) -> int:
            index = bisect.bisect_right([s.created for s in self.suppliers], ts)
            return self.suppliers[rng.randrange(max(index, 1))].id

        def couple_before(ts: int) -> int:
            index = bisect.bisect_right(self.couple_created, ts)
            return self.couples[rng.randrange(max(index, 1))].id

        def future() -> int:
            return end + _between(rng, FUTURE_LAG)

        subscriptions: list[tuple[int, SubscriptionRow]] = []
        for _ in range(BAD_ROWS["subscription_negative_amount"]):
            ts = moment()
            subscriptions.append(
                (supplier_before(ts), ("basic", "active", -2_900, "GBP", 1, ts, None, None))
            )
        for _ in range(BAD_ROWS["subscription_currency_without_rate"]):
            ts = moment()
            subscriptions.append(
                (supplier_before(ts), ("pro", "active", 6_500, UNRATED_CURRENCY, 1, ts, None, None))
            )
        for _ in range(BAD_ROWS["subscription_ended_before_start"]):
            ts = moment()
            subscriptions.append(
                (
                    supplier_before(ts),
                    (
                        "basic",
                        "canceled",
                        2_900,
                        "GBP",
                        1,
                        ts,
                        None,
                        ts - rng.randrange(HOUR, 30 * DAY),
                    ),
                )
            )
        sessions: list[SessionRow] = []
        for _ in range(BAD_ROWS["session_both_ids"]):
            ts = moment()
            sessions.append((ts, supplier_before(ts), couple_before(ts), rng.randrange(60, 900)))
        for _ in range(BAD_ROWS["session_neither_id"]):
            sessions.append((moment(), None, None, rng.randrange(60, 900)))
        for _ in range(BAD_ROWS["session_zero_duration"]):
            ts = moment()
            sessions.append((ts, supplier_before(ts), None, 0))
        for _ in range(BAD_ROWS["session_negative_duration"]):
            ts = moment()
            sessions.append((ts, None, couple_before(ts), -rng.randrange(1, 600)))
        for _ in range(BAD_ROWS["future_sessions"]):
            if rng.random() < 0.5:
                sessions.append((future(), supplier_before(end), None, rng.randrange(60, 900)))
            else:
                sessions.append((future(), None, couple_before(end), rng.randrange(60, 900)))
        invitations: list[InvitationRow] = []
        for _ in range(BAD_ROWS["invitation_accepted_before_sent"]):
            ts = moment()
            invitations.append(
                (
                    ts,
                    supplier_before(ts),
                    couple_before(ts),
                    "email",
                    ts - rng.randrange(60, 3 * DAY),
                )
            )
        for _ in range(BAD_ROWS["future_invitations"]):
            invitations.append((future(), supplier_before(end), None, "link", None))
        category = Weighted(CATEGORIES)
        for _ in range(BAD_ROWS["future_suppliers"]):
            self.suppliers.append(
                Supplier(len(self.suppliers) + 1, future(), category.draw(rng), "GB", "GBP", 1.0)
            )
        for _ in range(BAD_ROWS["future_couples"]):
            created = future()
            wedding = _utc(created).date() + timedelta(days=rng.randrange(*WEDDING_LEAD_DAYS))
            self.couples.append(Couple(len(self.couples) + 1, created, "GB", wedding, 1.0))
        self.subscriptions.extend(subscriptions)
        self.subscriptions.sort(key=lambda item: (item[1][5], item[0]))
        sessions.sort()
        invitations.sort(key=lambda row: (row[0], row[1]))
        return {"sessions": sessions, "invitations": invitations}

    # Rows -----------------------------------------------------------------------------

    def supplier_rows(self) -> Iterator[tuple[Any, ...]]:
        for s in self.suppliers:
            yield (s.id, _utc(s.created), _utc_or_none(s.deleted), s.category, s.country)

    def couple_rows(self) -> Iterator[tuple[Any, ...]]:
        for c in self.couples:
            yield (c.id, _utc(c.created), _utc_or_none(c.deleted), c.wedding, c.country)

    def subscription_rows(self) -> Iterator[tuple[Any, ...]]:
        for index, (supplier_id, row) in enumerate(self.subscriptions, start=1):
            plan, status, amount, currency, interval, started, trial_end, ended = row
            yield (
                index, supplier_id, plan, status, amount, currency, interval,
                _utc(started), _utc_or_none(trial_end), _utc_or_none(ended),
            )  # fmt: skip

    def fx_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("fx")
        first = _utc(self.start).date().replace(day=1)
        month = (first - timedelta(days=1)).replace(day=1)
        last = _utc(self.end).date()
        months: list[date] = []
        while month <= last:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        for currency, base in FX_START.items():
            level = math.log(base)
            for valid_from in months:
                yield (currency, valid_from, Decimal(f"{math.exp(level):.6f}"))
                level += 0.1 * (math.log(base) - level) + rng.gauss(0.0, FX_MONTHLY_VOLATILITY)

    def fx_count(self) -> int:
        first = _utc(self.start).date().replace(day=1)
        last = _utc(self.end).date()
        months = (last.year - first.year) * 12 + last.month - first.month + 2
        return months * len(FX_START)

    def session_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("sessions")
        gauss, uniform, exp, fromtimestamp = rng.gauss, rng.random, math.exp, datetime.fromtimestamp
        supplier_mu, supplier_sigma = SUPPLIER_DURATION
        couple_mu, couple_sigma = COUPLE_DURATION
        end = self.end
        bad = self._bad["sessions"]
        bounds = _month_bounds(self.start, end + 1)
        next_id = 1
        for lo, hi, events in poisson_events(self._session_streams, bounds, rng):
            rows: list[SessionRow] = []
            append = rows.append
            recent = hi > end - RECENT_OPEN_HORIZON
            for ts, actor in events:
                if actor > 0:
                    seconds = int(exp(supplier_mu + supplier_sigma * gauss())) + 1
                else:
                    seconds = int(exp(couple_mu + couple_sigma * gauss())) + 1
                p_open = P_ABANDONED
                if recent and end - ts < RECENT_OPEN_HORIZON:
                    p_open += P_RECENT_OPEN * exp((ts - end) / RECENT_OPEN_DECAY)
                duration = seconds if ts + seconds <= end and uniform() >= p_open else None
                if actor > 0:
                    append((ts, actor, None, duration))
                else:
                    append((ts, None, -actor, duration))
            extra = [row for row in bad if lo <= row[0] < hi]
            if extra:
                rows.extend(extra)
                rows.sort(key=lambda row: row[0])
            for ts, supplier, couple, duration in rows:
                yield (next_id, supplier, couple, fromtimestamp(ts, UTC), duration)
                next_id += 1
        for ts, supplier, couple, duration in (row for row in bad if row[0] > end):
            yield (next_id, supplier, couple, _utc(ts), duration)
            next_id += 1

    def invitation_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("invitations")
        channels = Weighted([(index, weight) for index, (_, weight, _) in enumerate(CHANNELS)])
        end = self.end
        created = self.couple_created
        lag_mu, lag_sigma = ACCEPT_LAG
        bad = self._bad["invitations"]
        bounds = _month_bounds(self.start, end + 1)
        next_id = 1
        for lo, hi, events in poisson_events(self._invite_streams, bounds, rng):
            rows: list[InvitationRow] = []
            for sent, supplier in events:
                channel, _, accept_share = CHANNELS[channels.draw(rng)]
                accepted: int | None = None
                couple: int | None = None
                if rng.random() < accept_share:
                    at = sent + 1 + int(math.exp(lag_mu + lag_sigma * rng.gauss()))
                    newest = bisect.bisect_right(created, at)
                    oldest = bisect.bisect_left(created, at - ACCEPTING_COUPLE_AGE)
                    if at <= end and newest > 0:
                        accepted = at
                        couple = 1 + rng.randrange(min(oldest, newest - 1), newest)
                rows.append((sent, supplier, couple, channel, accepted))
            extra = [row for row in bad if lo <= row[0] < hi]
            if extra:
                rows.extend(extra)
                rows.sort(key=lambda row: row[0])
            for sent, supplier, couple, channel, accepted in rows:
                yield (next_id, supplier, couple, channel, _utc(sent), _utc_or_none(accepted))
                next_id += 1
        for sent, supplier, couple, channel, accepted in (row for row in bad if row[0] > end):
            yield (next_id, supplier, couple, channel, _utc(sent), _utc_or_none(accepted))
            next_id += 1

    def tables(self) -> list[tuple[str, Callable[[], Iterator[tuple[Any, ...]]], int]]:
        """(table, row generator, expected row count) in load order."""
        bad = self._bad
        return [
            ("suppliers", self.supplier_rows, len(self.suppliers)),
            ("couples", self.couple_rows, len(self.couples)),
            ("subscriptions", self.subscription_rows, len(self.subscriptions)),
            ("fx_rates", self.fx_rows, self.fx_count()),
            ("user_sessions", self.session_rows, self.expected_sessions + len(bad["sessions"])),
            (
                "invitations",
                self.invitation_rows,
                self.expected_invitations + len(bad["invitations"]),
            ),
        ]


# --- Loading -------------------------------------------------------------------------


def _describe(exc: BaseException, conninfo: str) -> str:
    """One line for a driver error, with the connection password blanked out."""
    text = describe(exc)
    try:
        password = psycopg.conninfo.conninfo_to_dict(conninfo).get("password")
    except psycopg.Error:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return text


def default_end(now: datetime | None = None) -> datetime:
    """Now (or ``now``) truncated to the hour, in UTC."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def _normalise_end(end: datetime | None) -> datetime:
    if end is None:
        return default_end()
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return end.astimezone(UTC).replace(microsecond=0)


def _check_tables(cur: psycopg.Cursor[Any], schema: str, replace: bool) -> None:
    cur.execute(
        "SELECT c.relname FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)",
        (schema, list(TABLES)),
    )
    found = {row[0] for row in cur.fetchall()}
    missing = [table for table in TABLES if table not in found]
    if missing:
        raise SchemaError(
            f"source table(s) missing in schema {schema!r}: {', '.join(missing)};"
            " run `execmetrics migrate` first"
        )
    holding = []
    for table in TABLES:
        cur.execute(
            sql.SQL("SELECT EXISTS (SELECT 1 FROM {}.{})").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        )
        row = cur.fetchone()
        if row is not None and row[0]:
            holding.append(table)
    if holding and not replace:
        raise SchemaError(
            f"source tables in schema {schema!r} already hold data ({', '.join(holding)});"
            " pass --replace to truncate them and seed again"
        )
    if replace:
        cur.execute(
            sql.SQL("TRUNCATE {}").format(
                sql.SQL(", ").join(sql.Identifier(schema, table) for table in TABLES)
            )
        )


def _copy(
    cur: psycopg.Cursor[Any],
    schema: str,
    table: str,
    rows: Iterator[tuple[Any, ...]],
    expected: int,
    progress: bool,
) -> int:
    columns = COLUMNS[table]
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(schema, table),
        sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns),
    )
    count = 0
    with (
        tqdm(
            total=expected,
            desc=f"{table:<13}",
            unit=" rows",
            unit_scale=expected >= 10_000,
            disable=not progress,
            file=sys.stderr,
            dynamic_ncols=True,
        ) as bar,
        cur.copy(statement) as copy,
    ):
        copy.set_types([kind for _, kind in columns])
        write_row = copy.write_row
        reported = 0
        for row in rows:
            write_row(row)
            count += 1
            if count - reported >= PROGRESS_EVERY:
                bar.update(count - reported)
                reported = count
        bar.total = count
        bar.update(count - reported)
    return count


def seed(
    conninfo: str,
    source_schema: str,
    scale: str,
    *,
    end: datetime | None = None,
    replace: bool = False,
    progress: bool = True,
    random_seed: int = 20261129,
) -> SeedResult:
    """Fill the six source tables of ``source_schema`` with the demo data of ``scale``.

    The tables must exist and be empty (``replace=True`` truncates them first). Everything
    is loaded in one transaction, then analysed.
    """
    began = time.perf_counter()
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    last = _normalise_end(end)
    try:
        conn = psycopg.connect(
            conninfo, connect_timeout=CONNECT_TIMEOUT, application_name="execmetrics-seed"
        )
    except psycopg.Error as exc:
        raise DatabaseError(_describe(exc, conninfo)) from None
    rows: dict[str, int] = {}
    try:
        with conn, conn.cursor() as cur:
            _check_tables(cur, source_schema, replace)
            world = World(SCALES[scale], last, random_seed)
            for table, generate, expected in world.tables():
                rows[table] = _copy(cur, source_schema, table, generate(), expected, progress)
            for table in TABLES:
                cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(source_schema, table)))
    except psycopg.Error as exc:
        raise DatabaseError(f"seed failed: {_describe(exc, conninfo)}") from None
    finally:
        conn.close()
    return SeedResult(scale=scale, end=last, rows=rows, seconds=time.perf_counter() - began)
