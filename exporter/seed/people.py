"""Suppliers (each with its subscription history) and couples: sign-ups, attributes,
trials, plan changes, churn and reactivations, engagement and deletion."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from exporter.seed.sampling import (
    Weighted,
    add_months,
    between,
    merge,
    seasonal,
    stage_rng,
    utc,
)
from exporter.seed.shapes import (
    AFTER_WEDDING,
    AFTER_WEDDING_DELETE_LAG,
    CATEGORIES,
    COUPLE_ACTIVITY_SIGMA,
    COUPLE_COUNTRIES,
    COUPLE_DELETE_LAG,
    COUPLE_HOURS,
    CURRENCY_OF_COUNTRY,
    DAY,
    DISCOUNTS,
    EXPLORE,
    GROWTH_FLOOR,
    HOUR,
    INTERVAL_PRICE_FACTOR,
    INTERVALS,
    MAX_REACTIVATIONS,
    MONTHLY_CHANGE,
    MONTHLY_CHURN,
    MONTHLY_PRICE,
    P_COUPLE_DELETE,
    P_COUPLE_DELETE_AFTER_WEDDING,
    P_DISCOUNT,
    P_INTERVAL_REDRAW,
    P_PAST_DUE,
    P_REACTIVATE,
    P_SUBSCRIBE,
    P_SUPPLIER_DELETE,
    P_TRIAL,
    P_TRIAL_CANCEL,
    P_UPGRADE,
    P_WEDDING_DATE,
    PLAN_ORDER,
    PLANS,
    REACTIVATION_GAP,
    SIGNUP_SEASON,
    SUBSCRIBE_LAG_MEAN,
    SUPPLIER_ACTIVITY_SIGMA,
    SUPPLIER_COUNTRIES,
    SUPPLIER_DELETE_LAG,
    SUPPLIER_HOURS,
    TRIAL,
    UNDATED_ENGAGED,
    WEDDING_LEAD_DAYS,
    WEDDING_MONTH_WEIGHT,
    WEDDING_WEEKDAY_WEIGHT,
)

Interval = tuple[int, int]  # [start, stop) in whole UTC seconds


class Supplier(NamedTuple):
    id: int
    created: int
    category: str
    country: str | None
    currency: str
    activity: float  # multiplier of the session and invitation rates
    deleted: int | None = None
    engaged: tuple[Interval, ...] = ()  # when the supplier uses the platform


class Couple(NamedTuple):
    id: int
    created: int
    country: str | None
    wedding: date | None
    activity: float
    deleted: int | None = None
    engaged: Interval | None = None


class Subscription(NamedTuple):
    supplier_id: int
    plan: str
    status: str
    amount_minor: int
    currency: str
    interval_months: int
    started: int
    trial_ends: int | None
    ended: int | None


class Horizon(NamedTuple):
    """The history: [start, end] in whole UTC seconds."""

    start: int
    end: int

    @property
    def days(self) -> int:
        return (self.end - self.start) // DAY


# --- Sign-ups ------------------------------------------------------------------------


def signup_times(
    rng: random.Random, horizon: Horizon, count: int, hours: Sequence[float]
) -> list[int]:
    """Sorted sign-up instants: growth over the history × spring/summer season."""
    days, start = horizon.days, horizon.start
    day_pick = Weighted(
        [
            (
                index,
                (GROWTH_FLOOR + (1 - GROWTH_FLOOR) * index / days)
                * seasonal(utc(start + index * DAY + DAY // 2).timetuple().tm_yday, SIGNUP_SEASON),
            )
            for index in range(days)
        ]
    )
    first_hour = utc(start).hour
    hour_pick = Weighted([(h, hours[(first_hour + h) % 24]) for h in range(24)])
    times = [
        start + day_pick.draw(rng) * DAY + hour_pick.draw(rng) * HOUR + rng.randrange(HOUR)
        for _ in range(count)
    ]
    times.sort()
    return times


# --- Subscriptions -------------------------------------------------------------------


def price(rng: random.Random, plan: str, currency: str, interval: int) -> int:
    if plan == "free":
        return 0
    amount = MONTHLY_PRICE[currency][plan] * interval * INTERVAL_PRICE_FACTOR[interval]
    if rng.random() < P_DISCOUNT:
        amount *= 1 - rng.choice(DISCOUNTS)
    return round(amount)


def run_period(
    rng: random.Random, end: int, start: int, interval: int, trial_end: int | None
) -> tuple[int | None, str]:
    """How one subscription row ends: (ended_at or None, 'open' | 'churn' | 'change')."""
    if trial_end is not None and rng.random() < P_TRIAL_CANCEL:
        at = start + rng.randrange(HOUR, TRIAL)
        return (at, "churn") if at <= end else (None, "open")
    anchor = start if trial_end is None else trial_end
    p_change = 1 - (1 - MONTHLY_CHANGE) ** interval
    p_churn = 1 - (1 - MONTHLY_CHURN[interval]) ** interval
    previous, k = start, 1
    while True:
        boundary = add_months(anchor, k * interval)
        if rng.random() < p_change:
            at = rng.randrange(previous + DAY, boundary)
            return (at, "change") if at <= end else (None, "open")
        if boundary > end:
            return None, "open"
        if rng.random() < p_churn:
            return boundary, "churn"
        previous, k = boundary, k + 1


def changed_plan(rng: random.Random, plan: str) -> str:
    """One step up or down the plan ladder (free → basic → pro → premium)."""
    rank = PLAN_ORDER.index(plan)
    up = rank == 0 or (rank < len(PLAN_ORDER) - 1 and rng.random() < P_UPGRADE)
    return PLAN_ORDER[rank + 1] if up else PLAN_ORDER[rank - 1]


def subscription_history(
    supplier: Supplier,
    end: int,
    rng: random.Random,
    plans: Weighted[str],
    intervals: Weighted[int],
) -> list[Subscription]:
    """The subscription rows of one supplier, in time order (none for most free riders)."""
    rows: list[Subscription] = []
    if rng.random() >= P_SUBSCRIBE:
        return rows
    start = supplier.created + int(rng.expovariate(1 / SUBSCRIBE_LAG_MEAN))
    plan = plans.draw(rng)
    interval = 1 if plan == "free" else intervals.draw(rng)
    trial_end = start + TRIAL if plan != "free" and rng.random() < P_TRIAL else None
    reactivations = 0
    while start <= end:
        ended, why = run_period(rng, end, start, interval, trial_end)
        if ended is not None:
            status = "canceled"
        elif trial_end is not None and trial_end > end:
            status = "trialing"
        else:
            late = plan != "free" and rng.random() < P_PAST_DUE
            status = "past_due" if late else "active"
        amount = price(rng, plan, supplier.currency, interval)
        rows.append(
            Subscription(
                supplier.id,
                plan,
                status,
                amount,
                supplier.currency,
                interval,
                start,
                trial_end,
                ended,
            )
        )
        if ended is None:
            break
        trial_end = None
        if why == "change":
            plan = changed_plan(rng, plan)
            if plan == "free":
                interval = 1
            elif rows[-1].plan == "free" or rng.random() < P_INTERVAL_REDRAW:
                interval = intervals.draw(rng)
            start = ended
            continue
        if reactivations >= MAX_REACTIVATIONS or rng.random() >= P_REACTIVATE:
            break
        reactivations += 1
        start = ended + between(rng, REACTIVATION_GAP)
        plan = plans.draw(rng)
        interval = 1 if plan == "free" else intervals.draw(rng)
    return rows


# --- Suppliers -----------------------------------------------------------------------


def suppliers(
    count: int, horizon: Horizon, random_seed: int
) -> tuple[list[Supplier], list[Subscription]]:
    """``count`` suppliers in sign-up order, and their subscriptions in supplier order.

    A supplier is engaged while exploring after sign-up and while a subscription is live;
    some suppliers with nothing live at the end are deleted.
    """
    rng = stage_rng(random_seed, "suppliers")
    category = Weighted(CATEGORIES)
    country = Weighted(SUPPLIER_COUNTRIES)
    signed_up: list[Supplier] = []
    for index, created in enumerate(signup_times(rng, horizon, count, SUPPLIER_HOURS), start=1):
        where = country.draw(rng)
        signed_up.append(
            Supplier(
                id=index,
                created=created,
                category=category.draw(rng),
                country=where,
                currency=CURRENCY_OF_COUNTRY.get(where or "", "GBP"),
                activity=rng.lognormvariate(0.0, SUPPLIER_ACTIVITY_SIGMA),
            )
        )
    end = horizon.end
    subs_rng = stage_rng(random_seed, "subscriptions")
    plans = Weighted(PLANS)
    intervals = Weighted(INTERVALS)
    people: list[Supplier] = []
    subscriptions: list[Subscription] = []
    for supplier in signed_up:
        rows = subscription_history(supplier, end, subs_rng, plans, intervals)
        subscriptions.extend(rows)
        explore = (supplier.created, supplier.created + between(subs_rng, EXPLORE))
        live = [(row.started, end if row.ended is None else row.ended) for row in rows]
        engaged = merge([explore, *live])
        deleted: int | None = None
        still_live = any(row.ended is None for row in rows)
        if not still_live and subs_rng.random() < P_SUPPLIER_DELETE:
            at = engaged[-1][1] + between(subs_rng, SUPPLIER_DELETE_LAG)
            if at <= end:
                deleted = at
        limit = end if deleted is None else deleted
        people.append(
            supplier._replace(
                deleted=deleted,
                engaged=tuple((a, min(b, limit)) for a, b in engaged if a < limit),
            )
        )
    return people, subscriptions


# --- Couples -------------------------------------------------------------------------


def couples(count: int, horizon: Horizon, random_seed: int) -> list[Couple]:
    """``count`` couples in sign-up order: most with a wedding date 6–18 months ahead,
    engaged from sign-up until a week after the wedding; a few deleted."""
    rng = stage_rng(random_seed, "couples")
    start, end = horizon
    country = Weighted(COUPLE_COUNTRIES)
    first_day = utc(start).date() + timedelta(days=WEDDING_LEAD_DAYS[0])
    last_day = utc(end).date() + timedelta(days=WEDDING_LEAD_DAYS[1] + 1)
    wedding_days: list[date] = []
    cum: list[float] = [0.0]
    day = first_day
    while day <= last_day:
        wedding_days.append(day)
        cum.append(
            cum[-1] + WEDDING_MONTH_WEIGHT[day.month - 1] * WEDDING_WEEKDAY_WEIGHT[day.weekday()]
        )
        day += timedelta(days=1)
    result: list[Couple] = []
    for index, created in enumerate(signup_times(rng, horizon, count, COUPLE_HOURS), start=1):
        wedding: date | None = None
        if rng.random() < P_WEDDING_DATE:
            signed_up = utc(created).date()
            lo = (signed_up - first_day).days + WEDDING_LEAD_DAYS[0]
            hi = (signed_up - first_day).days + WEDDING_LEAD_DAYS[1]
            target = cum[lo] + rng.random() * (cum[hi + 1] - cum[lo])
            wedding = wedding_days[min(bisect.bisect_right(cum, target) - 1, hi)]
        where = country.draw(rng)
        activity = rng.lognormvariate(0.0, COUPLE_ACTIVITY_SIGMA)
        deleted: int | None = None
        if wedding is None:
            engaged_end = created + between(rng, UNDATED_ENGAGED)
        else:
            wedding_ts = int(
                datetime(wedding.year, wedding.month, wedding.day, tzinfo=UTC).timestamp()
            )
            engaged_end = wedding_ts + AFTER_WEDDING
            if rng.random() < P_COUPLE_DELETE_AFTER_WEDDING:
                at = wedding_ts + between(rng, AFTER_WEDDING_DELETE_LAG)
                if at <= end:
                    deleted = at
        if deleted is None and rng.random() < P_COUPLE_DELETE:
            at = created + between(rng, COUPLE_DELETE_LAG)
            if at <= end:
                deleted = at
        limit = min(engaged_end, end if deleted is None else deleted)
        result.append(
            Couple(
                id=index,
                created=created,
                country=where,
                wedding=wedding,
                activity=activity,
                deleted=deleted,
                engaged=(created, limit) if limit > created else None,
            )
        )
    return result
