"""Whole-second UTC time helpers: units, conversions, calendar months, intervals and
the hourly activity profile."""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

DAY = 86_400
HOUR = 3_600


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
