"""The instants a forecast is read at, and its steps: a step is one calendar month.

The fit grid ends at the local midnight that starts T's day and steps back one calendar
month at a time (the day clipped to the month's last, SPEC §2's M1 rule). Horizons are the
local midnights that end T's month, quarter and year, and the one that ends the target
day; each lies a fractional number of steps past the grid's last point.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from exporter.instant import add_months, local_midnight
from exporter.vocabulary import Horizon


def months_from(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, the day clipped to the month's end."""
    year, month = add_months(day.year, day.month, months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def horizon_end(t: datetime, zone: ZoneInfo, horizon: Horizon) -> datetime:
    """The local midnight that ends the month, quarter or year that contains ``t`` (an
    instant at a local midnight belongs to the period it starts)."""
    local = t.astimezone(zone)
    months = horizon.months
    # The first month of the period: quarters start in January, April, July, October.
    first = local.month - (local.month - 1) % months
    year, month = add_months(local.year, first, months)
    return local_midnight(date(year, month, 1), zone)


def day_end(day: date, zone: ZoneInfo) -> datetime:
    """The local midnight that ends ``day``."""
    return local_midnight(date.fromordinal(day.toordinal() + 1), zone)


def month_steps(origin: date, at: datetime, zone: ZoneInfo) -> float:
    """Calendar months from the midnight that starts ``origin`` to the local midnight
    ``at``: the whole months k with origin + k months <= at's date, plus the elapsed share
    (in days) of the next month step."""
    day = at.astimezone(zone).date()
    if day <= origin:
        return (day.toordinal() - origin.toordinal()) / 30.0  # before the grid's end: <= 0
    k = 0
    while months_from(origin, k + 1) <= day:
        k += 1
    lo, hi = months_from(origin, k), months_from(origin, k + 1)
    return k + (day.toordinal() - lo.toordinal()) / (hi.toordinal() - lo.toordinal())
