"""A reporting month and the instants that stand for it (SPEC §5).

The month's figures are those at the local midnight that ends it in the reporting time
zone; the previous month's at the local midnight that starts it; the year-ago figures
at the midnight that ends the same month a year earlier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from exporter.errors import ConfigError
from exporter.instant import add_months, local_midnight

_MONTH = re.compile(r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        m = _MONTH.match(text.strip())
        if m is None or not 1 <= int(m["m"]) <= 12 or int(m["y"]) < 1900:
            raise ConfigError(f"--month: not a month like 2026-11: {text!r}")
        return cls(int(m["y"]), int(m["m"]))

    @classmethod
    def containing(cls, t: datetime, zone: ZoneInfo) -> Month:
        local = t.astimezone(zone)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Month:
        return Month(*add_months(self.year, self.month, months))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def title(self) -> str:
        return self.first_day.strftime("%B %Y")

    @property
    def short(self) -> str:
        return self.first_day.strftime("%b %y")

    def start(self, zone: ZoneInfo) -> datetime:
        """The local midnight that starts the month."""
        return local_midnight(self.first_day, zone)

    def end(self, zone: ZoneInfo) -> datetime:
        """The local midnight that ends the month (the next month's start)."""
        return self.shift(1).start(zone)


def reportable(month: Month, zone: ZoneInfo, now: datetime | None = None) -> Month:
    """The month, when it has ended; a month whose end is still to come is refused."""
    now = now or datetime.now(UTC)
    if month.end(zone) > now:
        raise ConfigError(
            f"--month {month}: the month has not ended yet (it ends "
            f"{month.end(zone).astimezone(zone).isoformat(timespec='minutes')})"
        )
    return month


def last_complete(zone: ZoneInfo, now: datetime | None = None) -> Month:
    """The latest month that has ended at ``now``."""
    now = now or datetime.now(UTC)
    return Month.containing(now, zone).shift(-1)
