"""The evaluation instant T and every instant derived from it (SPEC §2).

All time-zone arithmetic lives here: SQL and group code receive these instants as
parameters and never call ``now()``, so ``collect --at``, backfill, reports and tests
share one code path.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from exporter.errors import ConfigError

# Rows stamped further than this after the later of T and the run's wall clock are counted
# as a data-quality issue (SPEC §3 timestamp_in_future).
FUTURE_TOLERANCE = timedelta(minutes=5)


# The instants T may be: far enough inside datetime's range that M1, windows, the local
# day and the future tolerance around T exist in every time zone.
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def parse_instant(text: str, option: str = "--at") -> datetime:
    """Parse an instant option: ISO 8601; a value without an offset is read as UTC."""
    raw = text.strip()
    if not raw:
        raise ConfigError(f"{option}: empty; give an ISO 8601 instant or leave the option out")
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ConfigError(f"{option}: not an ISO 8601 instant: {text!r}") from None
    if not EARLIEST <= value <= LATEST:
        raise ConfigError(
            f"{option}: {text!r} is outside the supported range "
            f"{EARLIEST.date().isoformat()} to {LATEST.date().isoformat()}"
        )
    return value


def month_back(t: datetime, zone: ZoneInfo) -> datetime:
    """T minus one calendar month in ``zone``: same local time, day clipped to the month's end.

    A local time that the clocks skip that day (a DST gap) is read as the wall time
    before the change, as ``zoneinfo`` does with ``fold=0``.
    """
    local = t.astimezone(zone)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None, year=year, month=month, day=day, fold=0)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def local_day_start(t: datetime, zone: ZoneInfo) -> datetime:
    """The start of T's calendar day in ``zone``, as a UTC instant."""
    local = t.astimezone(zone)
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
    return midnight.astimezone(UTC)


@dataclass(frozen=True)
class Cohort:
    """One local calendar month as the UTC instants [start, end) of its first and next midnight."""

    label: str  # YYYY-MM
    start: datetime
    end: datetime


def cohorts_before(t: datetime, zone: ZoneInfo, months: int) -> tuple[Cohort, ...]:
    """The ``months`` local calendar months before T's local month, oldest first."""
    local = t.astimezone(zone)
    index = local.year * 12 + local.month - 1  # T's own month, counted from year 0

    def midnight(i: int) -> datetime:
        return datetime(i // 12, i % 12 + 1, 1, tzinfo=zone).astimezone(UTC)

    return tuple(
        Cohort(f"{i // 12:04d}-{i % 12 + 1:02d}", midnight(i), midnight(i + 1))
        for i in range(index - months, index)
    )


@dataclass(frozen=True)
class Instant:
    """T with its derived instants, ready to pass to SQL as named parameters.

    ``wall`` is the wall clock of the run that evaluates T (UTC): only the future-timestamp
    check reads it. A run evaluating many instants (backfill, a report) gives them all
    the same one.
    """

    t: datetime
    zone: ZoneInfo
    wall: datetime

    @classmethod
    def at(cls, t: datetime, zone: ZoneInfo, wall: datetime | None = None) -> Instant:
        """T in ``zone``; ``wall`` defaults to now."""
        if t.tzinfo is None:
            raise ValueError("T must carry a time zone")
        if wall is None:
            wall = datetime.now(UTC)
        elif wall.tzinfo is None:
            raise ValueError("the wall clock must carry a time zone")
        return cls(t.astimezone(UTC), zone, wall.astimezone(UTC))

    @property
    def m1(self) -> datetime:
        return month_back(self.t, self.zone)

    @property
    def day_start(self) -> datetime:
        return local_day_start(self.t, self.zone)

    def window_start(self, length: timedelta) -> datetime:
        """The open left edge of ``(T - length, T]``: an absolute duration."""
        return self.t - length

    def cohorts(self, months: int) -> tuple[Cohort, ...]:
        return cohorts_before(self.t, self.zone, months)

    @property
    def local_date(self) -> date:
        """T's calendar date in the reporting time zone."""
        return self.t.astimezone(self.zone).date()

    @property
    def future_limit(self) -> datetime:
        """A row stamped after this is in the future (SPEC §3): the tolerance after the
        later of T and the wall clock, so a past T counts no row stamped since as an issue."""
        return max(self.t, self.wall) + FUTURE_TOLERANCE


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant at which ``day`` starts in ``zone`` (its local midnight), in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """(year, month) moved by ``months`` calendar months."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def parse_date(text: str, what: str) -> date:
    """A calendar date ``YYYY-MM-DD`` given on the command line (``what`` names the option)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{what}: not a date like 2026-01-31: {text!r}") from None
