"""What happens over the history: monthly fx rates, user sessions and invitations.

Sessions and invitations are per-user Poisson streams, generated month by month and
merged with the deliberate bad rows of the same month, so memory stays bounded; ids are
sequential in time order.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from exporter.seed.people import Couple, Horizon, Supplier
from exporter.seed.sampling import (
    HourlyFactor,
    Stream,
    Weighted,
    month_bounds,
    poisson_events,
    stage_rng,
    utc,
    utc_or_none,
)
from exporter.seed.shapes import (
    ACCEPT_LAG,
    ACCEPTING_COUPLE_AGE,
    CHANNELS,
    COUPLE_DURATION,
    COUPLE_SESSIONS_PER_DAY,
    DAY,
    DORMANT_SUPPLIER_SESSIONS_PER_DAY,
    FX_MONTHLY_VOLATILITY,
    FX_START,
    INVITES_PER_DAY,
    P_ABANDONED,
    P_RECENT_OPEN,
    RECENT_OPEN_DECAY,
    RECENT_OPEN_HORIZON,
    SUPPLIER_DURATION,
    SUPPLIER_SESSIONS_PER_DAY,
)


class FxRate(NamedTuple):
    currency: str
    valid_from: date
    rate: Decimal


class Session(NamedTuple):
    created: int
    supplier_id: int | None
    couple_id: int | None
    duration: int | None


class Invitation(NamedTuple):
    sent: int
    supplier_id: int
    couple_id: int | None
    channel: str | None
    accepted: int | None


# --- fx rates ------------------------------------------------------------------------


def rate_months(horizon: Horizon) -> list[date]:
    """The first of every month from the month before the history to the end's month."""
    first = utc(horizon.start).date().replace(day=1)
    month = (first - timedelta(days=1)).replace(day=1)
    last = utc(horizon.end).date()
    months: list[date] = []
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def fx_rates(horizon: Horizon, random_seed: int) -> list[FxRate]:
    """Monthly rates to GBP per currency: a mean-reverting random walk of the log rate."""
    rng = stage_rng(random_seed, "fx")
    months = rate_months(horizon)
    rows: list[FxRate] = []
    for currency, base in FX_START.items():
        level = math.log(base)
        for valid_from in months:
            rows.append(FxRate(currency, valid_from, Decimal(f"{math.exp(level):.6f}")))
            level += 0.1 * (math.log(base) - level) + rng.gauss(0.0, FX_MONTHLY_VOLATILITY)
    return rows


# --- Sessions ------------------------------------------------------------------------


def session_streams(
    sessions: int,
    end: int,
    suppliers: Sequence[Supplier],
    couples: Sequence[Couple],
    supplier_factor: HourlyFactor,
    couple_factor: HourlyFactor,
) -> list[Stream]:
    """Supplier (actor = id) and couple (actor = -id) session streams, scaled so the
    expected session count is ``sessions``; sorted by start."""
    raw: list[tuple[int, int, float, int, HourlyFactor]] = []
    for supplier in suppliers:
        per_second = SUPPLIER_SESSIONS_PER_DAY * supplier.activity / DAY
        for a, b in supplier.engaged:
            raw.append((a, b, per_second, supplier.id, supplier_factor))
        stop = end if supplier.deleted is None else supplier.deleted
        if supplier.created >= stop:
            continue
        raw.append(
            (
                supplier.created,
                stop,
                DORMANT_SUPPLIER_SESSIONS_PER_DAY / DAY,
                supplier.id,
                supplier_factor,
            )
        )
    for couple in couples:
        if couple.engaged is not None:
            a, b = couple.engaged
            per_second = COUPLE_SESSIONS_PER_DAY * couple.activity / DAY
            raw.append((a, b, per_second, -couple.id, couple_factor))
    expected = sum(rate * factor.integral(a, b) for a, b, rate, _, factor in raw)
    scale = sessions / expected if expected else 1.0
    streams = [Stream(a, b, rate * scale, actor, f) for a, b, rate, actor, f in raw]
    streams.sort(key=lambda stream: (stream.start, stream.actor))
    return streams


def session_rows(
    streams: Sequence[Stream], horizon: Horizon, bad: Sequence[Session], random_seed: int
) -> Iterator[tuple[Any, ...]]:
    """``user_sessions`` rows in contract column order, the bad ones merged in by time.

    A session still running at the end is open (NULL duration); so are a few abandoned
    ones and many among the last days', not yet closed by the platform.
    """
    rng = stage_rng(random_seed, "sessions")
    gauss, uniform, exp, fromtimestamp = rng.gauss, rng.random, math.exp, datetime.fromtimestamp
    supplier_mu, supplier_sigma = SUPPLIER_DURATION
    couple_mu, couple_sigma = COUPLE_DURATION
    start, end = horizon
    next_id = 1
    for lo, hi, events in poisson_events(streams, month_bounds(start, end + 1), rng):
        rows: list[Session] = []
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
                append(Session(ts, actor, None, duration))
            else:
                append(Session(ts, None, -actor, duration))
        extra = [row for row in bad if lo <= row.created < hi]
        if extra:
            rows.extend(extra)
            rows.sort(key=lambda row: row.created)
        for ts, supplier, couple, duration in rows:
            yield (next_id, supplier, couple, fromtimestamp(ts, UTC), duration)
            next_id += 1
    for ts, supplier, couple, duration in (row for row in bad if row.created > end):
        yield (next_id, supplier, couple, utc(ts), duration)
        next_id += 1


# --- Invitations ---------------------------------------------------------------------


def invitation_streams(
    suppliers: Sequence[Supplier], factor: HourlyFactor
) -> tuple[list[Stream], int]:
    """One stream per engaged period of each supplier, sorted by start, and the expected
    number of invitations."""
    streams: list[Stream] = []
    expected = 0.0
    for supplier in suppliers:
        per_second = INVITES_PER_DAY * math.sqrt(supplier.activity) / DAY
        for a, b in supplier.engaged:
            streams.append(Stream(a, b, per_second, supplier.id, factor))
            expected += per_second * factor.integral(a, b)
    streams.sort(key=lambda stream: (stream.start, stream.actor))
    return streams, round(expected)


def invitation_rows(
    streams: Sequence[Stream],
    horizon: Horizon,
    couple_created: Sequence[int],
    bad: Sequence[Invitation],
    random_seed: int,
) -> Iterator[tuple[Any, ...]]:
    """``invitations`` rows in contract column order, the bad ones merged in by time.

    An accepted invitation goes to a couple who signed up in the 60 days before the
    acceptance; nothing is accepted after the end.
    """
    rng = stage_rng(random_seed, "invitations")
    channels = Weighted([(index, weight) for index, (_, weight, _) in enumerate(CHANNELS)])
    start, end = horizon
    lag_mu, lag_sigma = ACCEPT_LAG
    next_id = 1
    for lo, hi, events in poisson_events(streams, month_bounds(start, end + 1), rng):
        rows: list[Invitation] = []
        for sent, supplier in events:
            channel, _, accept_share = CHANNELS[channels.draw(rng)]
            accepted: int | None = None
            couple: int | None = None
            if rng.random() < accept_share:
                at = sent + 1 + int(math.exp(lag_mu + lag_sigma * rng.gauss()))
                newest = bisect.bisect_right(couple_created, at)
                oldest = bisect.bisect_left(couple_created, at - ACCEPTING_COUPLE_AGE)
                if at <= end and newest > 0:
                    accepted = at
                    couple = 1 + rng.randrange(min(oldest, newest - 1), newest)
            rows.append(Invitation(sent, supplier, couple, channel, accepted))
        extra = [row for row in bad if lo <= row.sent < hi]
        if extra:
            rows.extend(extra)
            rows.sort(key=lambda row: row.sent)
        for sent, supplier, couple, channel, accepted in rows:
            yield (next_id, supplier, couple, channel, utc(sent), utc_or_none(accepted))
            next_id += 1
    for sent, supplier, couple, channel, accepted in (row for row in bad if row.sent > end):
        yield (next_id, supplier, couple, channel, utc(sent), utc_or_none(accepted))
        next_id += 1
