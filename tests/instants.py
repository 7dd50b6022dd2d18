"""Instants and durations of the hand-computed tests: T, wall-time parsing, units."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# A default instant for rows whose time does not matter to a test.
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
# The instant T of the hand-computed tests (a June noon: no DST change near it).
T = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


def ts(text: str, tz: str = "UTC") -> datetime:
    """An instant from ``YYYY-MM-DD HH:MM[:SS]`` read as wall time in ``tz`` (default UTC)."""
    naive = datetime.fromisoformat(text)
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def d(text: str) -> date:
    return date.fromisoformat(text)


DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
