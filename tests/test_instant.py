"""exporter.instant against hand-computed instants and against the oracle's own M1.

SPEC §2: M1 = T minus one calendar month in the reporting time zone, same local time,
the day clipped to the month's last day. Calendar notions (today) use that zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from exporter.errors import ConfigError
from exporter.instant import Instant, local_day_start, month_back, parse_instant
from tests import oracle
from tests.instants import ts

LONDON = "Europe/London"
NEW_YORK = "America/New_York"

M1_CASES = [
    # (T as local wall time, zone, expected M1 as UTC wall time)
    # 31 Mar 2024 10:00 BST (09:00Z) -> 29 Feb 2024 10:00 GMT (leap year, clipped, and the
    # offset changes across the DST start: M1 is 10:00Z, not 09:00Z).
    ("2024-03-31 10:00", LONDON, "2024-02-29 10:00"),
    # 2023 is not a leap year: 28 Feb.
    ("2023-03-31 10:00", LONDON, "2023-02-28 10:00"),
    # 30 Mar 2024 (before the change) -> 29 Feb: clipped too.
    ("2024-03-30 23:59:59", LONDON, "2024-02-29 23:59:59"),
    # Year boundary.
    ("2024-01-15 12:00", "UTC", "2023-12-15 12:00"),
    ("2024-01-31 00:00", "UTC", "2023-12-31 00:00"),
    # Clipping to 30 days.
    ("2024-05-31 08:00", "UTC", "2024-04-30 08:00"),
    ("2024-12-31 18:00", NEW_YORK, "2024-11-30 23:00"),  # 18:00 EST = 23:00Z both sides
    # Local 00:30 on 1 Apr 2024 (BST) = 31 Mar 23:30Z; M1 = 1 Mar 00:30 GMT = 00:30Z.
    # A month back in UTC would wrongly give 29 Feb 23:30Z.
    ("2024-04-01 00:30", LONDON, "2024-03-01 00:30"),
    # Across the autumn change: 15 Nov 09:00 GMT -> 15 Oct 09:00 BST = 08:00Z.
    ("2024-11-15 09:00", LONDON, "2024-10-15 08:00"),
    # New York DST start (10 Mar 2024): 12 Mar 10:00 EDT -> 12 Feb 10:00 EST = 15:00Z.
    ("2024-03-12 10:00", NEW_YORK, "2024-02-12 15:00"),
    # Local 20:00 on 1 Mar EST = 2 Mar 01:00Z; M1 = 1 Feb 20:00 EST = 2 Feb 01:00Z.
    ("2024-03-01 20:00", NEW_YORK, "2024-02-02 01:00"),
]


@pytest.mark.parametrize(("local", "zone", "expected"), M1_CASES)
def test_month_back_hand_computed(local: str, zone: str, expected: str) -> None:
    t = ts(local, zone)
    assert month_back(t, ZoneInfo(zone)) == ts(expected)
    assert oracle.m1_of(t, zone) == ts(expected)


def test_month_back_returns_utc() -> None:
    got = month_back(ts("2024-03-31 10:00", LONDON), ZoneInfo(LONDON))
    assert got.utcoffset() == timedelta(0)


DAY_START_CASES = [
    # (T as UTC, zone, expected local day start as UTC)
    # Summer, London: 23:30Z on 30 Jun is 00:30 BST on 1 Jul: the day began at 23:00Z.
    ("2024-06-30 23:30", LONDON, "2024-06-30 23:00"),
    ("2024-06-30 22:59", LONDON, "2024-06-29 23:00"),
    # Winter, London = UTC.
    ("2024-01-10 23:30", LONDON, "2024-01-10 00:00"),
    # The spring-forward day (31 Mar 2024) began at 00:00 GMT = 00:00Z and is 23 h long.
    ("2024-03-31 12:00", LONDON, "2024-03-31 00:00"),
    ("2024-03-31 23:30", LONDON, "2024-03-31 23:00"),  # 00:30 BST on 1 Apr
    # The fall-back day (27 Oct 2024) began at 00:00 BST = 26 Oct 23:00Z and is 25 h long.
    ("2024-10-27 12:00", LONDON, "2024-10-26 23:00"),
    ("2024-10-27 23:59", LONDON, "2024-10-26 23:00"),  # 23:59 GMT, 25 h after the start
    # New York: 8 Mar 2024 02:00Z is 7 Mar 21:00 EST; 10 Mar (DST start) midnight EST.
    ("2024-03-08 02:00", NEW_YORK, "2024-03-07 05:00"),
    ("2024-03-10 12:00", NEW_YORK, "2024-03-10 05:00"),
    ("2024-03-11 12:00", NEW_YORK, "2024-03-11 04:00"),
    ("2024-07-04 00:00", "UTC", "2024-07-04 00:00"),
]


@pytest.mark.parametrize(("t", "zone", "expected"), DAY_START_CASES)
def test_local_day_start_hand_computed(t: str, zone: str, expected: str) -> None:
    assert local_day_start(ts(t), ZoneInfo(zone)) == ts(expected)
    assert oracle.day_start_of(ts(t), zone) == ts(expected)


@pytest.mark.parametrize("zone", ["UTC", LONDON, NEW_YORK, "Australia/Sydney", "Asia/Kolkata"])
def test_instant_agrees_with_oracle_over_two_years(zone: str) -> None:
    # Every 7 h 13 min over 2023-2025: hits every day of month, both DST changes, leap day.
    t = datetime(2023, 1, 1, 0, 7, tzinfo=UTC)
    end = datetime(2025, 3, 1, tzinfo=UTC)
    step = timedelta(hours=7, minutes=13)
    z = ZoneInfo(zone)
    while t < end:
        assert month_back(t, z) == oracle.m1_of(t, zone), t
        assert local_day_start(t, z) == oracle.day_start_of(t, zone), t
        t += step


def test_month_back_nonexistent_wall_time_reads_offset_before_change() -> None:
    # 30 Apr 2025 01:30 BST -> 30 Mar 2025 01:30, which London skips (01:00 GMT -> 02:00 BST).
    # Reading (documented in exporter.instant and tests/oracle.py R1): fold=0, the offset
    # before the change, so 01:30 GMT = 01:30Z.
    t = ts("2025-04-30 01:30", LONDON)
    assert month_back(t, ZoneInfo(LONDON)) == ts("2025-03-30 01:30")
    assert oracle.m1_of(t, LONDON) == ts("2025-03-30 01:30")


def test_month_back_ambiguous_wall_time_reads_first_occurrence() -> None:
    # 27 Nov 2024 01:30 GMT -> 27 Oct 2024 01:30, which London sees twice. fold=0: BST.
    t = ts("2024-11-27 01:30", LONDON)
    assert month_back(t, ZoneInfo(LONDON)) == ts("2024-10-27 00:30")
    assert oracle.m1_of(t, LONDON) == ts("2024-10-27 00:30")


def test_instant_dataclass() -> None:
    t = ts("2024-03-31 10:00", LONDON)
    inst = Instant.at(t.astimezone(ZoneInfo(LONDON)), ZoneInfo(LONDON), wall=t)  # a live run
    assert inst.t == ts("2024-03-31 09:00")
    assert inst.t.utcoffset() == timedelta(0)
    assert inst.m1 == ts("2024-02-29 10:00")
    assert inst.day_start == ts("2024-03-31 00:00")
    # Windows are absolute durations: 30 x 24 h, even across the DST change.
    assert inst.window_start(timedelta(days=30)) == ts("2024-03-01 09:00")
    assert inst.future_limit == ts("2024-03-31 09:05")
    with pytest.raises(ValueError):
        Instant.at(datetime(2024, 3, 31, 10, 0), ZoneInfo(LONDON))


def test_future_limit_is_five_minutes_after_the_later_of_t_and_the_wall_clock() -> None:
    # SPEC §3 timestamp_in_future: more than 5 minutes after max(T, wall clock of the run).
    zone = ZoneInfo(LONDON)
    t = ts("2024-03-31 09:00")
    # A past T (a backfill, last month's report): the wall clock decides.
    past = Instant.at(t, zone, wall=ts("2024-06-01 12:00"))
    assert past.future_limit == ts("2024-06-01 12:05")
    assert past.t == t  # T itself, and everything derived from it, does not move
    assert past.m1 == ts("2024-02-29 10:00")
    # T ahead of the wall clock (a live-ish instant a little in the future): T decides.
    ahead = Instant.at(t, zone, wall=ts("2024-03-31 08:00"))
    assert ahead.future_limit == ts("2024-03-31 09:05")
    # The wall clock is kept in UTC, whatever zone it was given in.
    local_wall = Instant.at(t, zone, wall=ts("2024-06-01 12:00").astimezone(zone))
    assert local_wall.wall == ts("2024-06-01 12:00")
    assert local_wall.wall.utcoffset() == timedelta(0)
    with pytest.raises(ValueError):
        Instant.at(t, zone, wall=datetime(2024, 6, 1, 12, 0))


def test_the_wall_clock_defaults_to_now() -> None:
    zone = ZoneInfo(LONDON)
    before = datetime.now(UTC)
    inst = Instant.at(ts("2024-03-31 09:00"), zone)
    after = datetime.now(UTC)
    assert before <= inst.wall <= after
    assert before + timedelta(minutes=5) <= inst.future_limit <= after + timedelta(minutes=5)
    # The far future is never before now: T decides.
    far = Instant.at(ts("9999-01-01 00:00"), zone)
    assert far.future_limit == ts("9999-01-01 00:05")


def test_the_engine_reads_the_clock_once_for_t_and_the_wall_clock() -> None:
    from exporter.config import Config
    from exporter.engine import Engine

    engine = Engine(db=None, config=Config(), groups=())  # type: ignore[arg-type]
    before = datetime.now(UTC)
    live = engine.instant()  # serve: T is now, and so is the wall clock
    assert before <= live.t == live.wall <= datetime.now(UTC)
    at = ts("2024-03-31 09:00")
    past = engine.instant(at)  # collect --at: the wall clock is now
    assert past.t == at
    assert before <= past.wall <= datetime.now(UTC)
    wall = ts("2024-06-01 12:00")
    given = engine.instant(at, wall)  # backfill, report: the run's one reading
    assert (given.t, given.wall) == (at, wall)
    assert given.future_limit == ts("2024-06-01 12:05")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-31T10:00:00Z", "2024-03-31 10:00"),
        ("2024-03-31T10:00:00z", "2024-03-31 10:00"),
        ("2024-03-31T10:00:00+01:00", "2024-03-31 09:00"),
        ("2024-03-31T10:00:00-05:00", "2024-03-31 15:00"),
        ("2024-03-31T10:00:00", "2024-03-31 10:00"),  # no offset: UTC
        (" 2024-03-31 10:00 ", "2024-03-31 10:00"),
    ],
)
def test_parse_instant(text: str, expected: str) -> None:
    got = parse_instant(text)
    assert got == ts(expected)
    assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01T00:00:00Z", "2024-02-30"])
def test_parse_instant_rejects_garbage(text: str) -> None:
    with pytest.raises(ConfigError, match="--at"):
        parse_instant(text)
