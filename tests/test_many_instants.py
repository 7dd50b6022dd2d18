"""Many instants in one pass against the oracle, one instant at a time.

The engine's many-instant queries (sweeps over per-user activity, counts once per pass)
must give at every instant of a pass exactly what the oracle (tests/oracle.py) computes
at that instant alone. Each example evaluates at least 30 instants: the anchors its rows
are drawn around, the local midnights on both sides of the zone's two clock changes of
the year, month ends and the days that clip M1 (the 29th-31st), in passes cut into one
or several runs (``jobs``). Half of the sessions are loaded after a rollup refresh, so
the instants are also "between two refreshes": no number may depend on the rollups
being current.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from exporter.db import Database
from exporter.engine import evaluate_many
from exporter.groups.base import read_spans
from exporter.refresh import refresh_views
from tests import oracle
from tests.support import load
from tests.test_property import (
    DB_EXAMPLES,
    cases,
    contract_series,
    diff,
    growth_series,
    load_case,
)

SHARED_DATABASE = True  # see conftest's db_url

MIN_INSTANTS = 30


def clock_changes(year: int, zone: ZoneInfo) -> list[date]:
    """The local days of ``year`` on which the zone's UTC offset changes."""
    out = []
    day = date(year, 1, 1)
    while day.year == year:
        start = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        if start.utcoffset() != (start + timedelta(days=1)).utcoffset():
            out.append(day + timedelta(days=1))
        day += timedelta(days=1)
    return out


def local(day: date, zone: ZoneInfo, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def instants_of(case: dict[str, Any]) -> list[datetime]:
    """The pass: every anchor of the case's rows, local midnights around both clock
    changes of T's year (and the one before the change itself), month ends and the
    clipping days, and T's neighbours a day, a week and 30 days apart."""
    t: datetime = case["t"]
    tz = case["settings"].timezone
    zone = ZoneInfo(tz)
    m1 = oracle.m1_of(t, tz)
    second = timedelta(seconds=1)
    out = {
        t,
        m1,
        m1 - second,
        oracle.day_start_of(t, tz),
        case["wall"],
        *(t - timedelta(days=d) for d in (1, 2, 3, 7, 14, 21, 30, 45, 59, 60, 61, 90)),
        t - timedelta(days=30) + second,
        t + timedelta(days=1),
    }
    year = t.astimezone(zone).year
    for change in clock_changes(year, zone) or [date(year, 3, 29), date(year, 10, 25)]:
        for offset in (-1, 0, 1):
            out.add(local(change + timedelta(days=offset), zone))
        out.add(local(change, zone, 2, 30))  # skipped or repeated in a DST zone
    local_t = t.astimezone(zone)
    for month in (local_t.month, local_t.month - 1 or 12):
        y = year if month <= local_t.month else year - 1
        out.add(local(date(y, month, 1), zone))
    for day in (date(year, 3, 31), date(year, 5, 31), date(year, 2, 28), date(year, 3, 29)):
        out.add(local(day, zone, 12))
    hours = 12
    while len(out) < MIN_INSTANTS:  # where some of the above coincide
        out.add(t - timedelta(hours=hours))
        hours += 24
    return sorted(out)


@DB_EXAMPLES
@given(case=cases(), jobs=st.sampled_from([1, 3]))
def test_every_instant_of_a_pass_equals_the_oracle_at_that_instant(
    db_url: str, case: dict[str, Any], jobs: int
) -> None:
    tables = case["tables"]
    sessions = list(tables.get("user_sessions", []))
    first, later = sessions[: len(sessions) // 2], sessions[len(sessions) // 2 :]
    cfg = load_case(db_url, {**case, "tables": {**tables, "user_sessions": first}})
    with Database(db_url, cfg, max_size=1) as db:
        refresh_views(db, cfg)
    load(db_url, cfg.source_schema, user_sessions=later)

    s, wall = case["settings"], case["wall"]
    at = instants_of(case)
    assert len(at) >= MIN_INSTANTS
    history = evaluate_many(db_url, cfg, at, jobs=jobs, wall=wall)
    assert [t for t, _ in history.evaluations] == at
    problems: list[str] = []
    for t, ev in history.evaluations:
        expected = oracle.compute(s, t, wall=wall, **tables)
        problems += [f"at {t.isoformat()}: {p}" for p in diff(contract_series(ev), expected)]
        growth = oracle.compute_growth(s, t, **tables)
        problems += [f"at {t.isoformat()}: {p}" for p in diff(growth_series(ev), growth)]
    assert not problems, "\n".join(problems[:40])


def test_read_spans_are_the_union_of_the_windows() -> None:
    day = timedelta(days=1)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    times = [t0 + 40 * day, t0, t0 + 10 * day, t0 + 10 * day]
    # (t0 - 30, t0] and (t0 - 20, t0 + 10] overlap; (t0 + 10, t0 + 40] touches them
    assert read_spans(times, 30 * day) == [(t0 - 30 * day, t0 + 40 * day)]
    assert read_spans([t0, t0 + 31 * day], 30 * day) == [
        (t0 - 30 * day, t0),
        (t0 + day, t0 + 31 * day),
    ]
