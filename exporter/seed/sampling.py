"""Whole-second UTC time and random draws: conversions, calendar months, intervals, the
hourly activity profile, weighted choices and inhomogeneous Poisson events."""

from __future__ import annotations

import bisect
import calendar
import itertools
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from exporter.seed.shapes import HOUR


def stage_rng(random_seed: int, stage: str) -> random.Random:
    """The random stream of one stage: stages draw independently of each other's order."""
    return random.Random(f"execmetrics-seed/{random_seed}/{stage}")


# --- Time ----------------------------------------------------------------------------


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def utc_or_none(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def add_months(ts: int, months: int) -> int:
    """The same UTC wall time ``months`` calendar months later, day clipped to month end."""
    moment = utc(ts)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def seasonal(day_of_year: int, shape: tuple[float, float]) -> float:
    amplitude, peak = shape
    return 1.0 + amplitude * math.cos(2 * math.pi * (day_of_year - peak) / 365.25)


def merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
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


def month_bounds(start: int, stop: int) -> list[int]:
    """``start``, every first of a UTC month strictly inside, and ``stop``."""
    bounds = [start]
    moment = utc(start)
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
            moment = utc(origin + index * HOUR)
            values.append(
                seasonal(moment.timetuple().tm_yday, season)
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


# --- Random draws --------------------------------------------------------------------

T = TypeVar("T")


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


def between(rng: random.Random, bounds: tuple[int, int]) -> int:
    return rng.randrange(bounds[0], bounds[1] + 1)


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
