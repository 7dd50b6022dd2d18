"""The session rollups, maintained incrementally, equal their plain definitions.

daily_metrics and session_quality_days (sql/views/40_session_rollups.sql) after each
incremental refresh are compared with a full rebuild of their plain definitions.

Random steps of inserts (new ids, and late commits of lower ids), updates and deletes,
each followed by an incremental refresh, on real PostgreSQL in Europe/London: sessions
near local midnight, on the days the clocks change and in the last local days, where
the sweep of recent days catches what the high-water mark cannot see. Edits of older
sessions are caught by the periodic full rebuild, which the last tests show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.instants import DAY, MINUTE
from tests.support import config, evaluate, load, migrate, session

SHARED_DATABASE = True

TZ = "Europe/London"
ZONE = ZoneInfo(TZ)
CONFIG = config(tz=TZ, session_cap=3600)
SWEEP_DAYS = 3  # refresh_session_rollups' default (sql/views/30_daily_metrics.sql)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)


TODAY = datetime.now(ZONE).date()
# Local midnights the sessions cluster around: the two clock changes of 2026 (their day
# and the next), and the recent days the sweep recomputes.
OLD_ANCHORS = tuple(_midnight(d) for d in (date(2026, 3, 29), date(2026, 3, 30)))
OLD_ANCHORS += tuple(_midnight(d) for d in (date(2026, 10, 25), date(2026, 10, 26)))
RECENT_ANCHORS = (_midnight(TODAY - timedelta(days=1)), _midnight(TODAY))
FIRST_RECENT_DAY = TODAY - timedelta(days=SWEEP_DAYS - 1)

PLAIN = """
SELECT * FROM execmetrics.daily_metrics_plain AS p
WHERE p.day <= (clock_timestamp() AT TIME ZONE %s)::date ORDER BY p.day
"""
ROLLUP = "SELECT * FROM execmetrics.daily_metrics ORDER BY day"
QUALITY = "SELECT * FROM execmetrics.session_quality_days ORDER BY day"
QUALITY_PLAIN = "SELECT * FROM execmetrics.session_quality_plain ORDER BY day"


def _recent(at: datetime) -> bool:
    """Within the sweep: the last SWEEP_DAYS local days, or later."""
    return at.astimezone(ZONE).date() >= FIRST_RECENT_DAY


@dataclass
class Model:
    """The session rows as the test changed them, and the ids the last refresh saw."""

    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1000
    next_late_id: int = 1
    high_water: int = 0

    def seen(self, row_id: int) -> bool:
        return row_id <= self.high_water


offsets = st.integers(min_value=-150, max_value=150).map(lambda m: m * MINUTE)
users = st.tuples(
    st.sampled_from(["supplier", "couple", "supplier", "couple", "both", "neither"]),
    st.integers(min_value=1, max_value=4),
)
durations = st.sampled_from([None, 0, -5, 1, 60, 1800, 3599, 3600, 7200])
ops = st.one_of(
    st.tuples(
        st.just("new"), st.sampled_from(OLD_ANCHORS + RECENT_ANCHORS), offsets, users, durations
    ),
    st.tuples(st.just("late"), st.sampled_from(RECENT_ANCHORS), offsets, users, durations),
    st.tuples(
        st.just("update"),
        st.integers(0, 10**6),
        st.sampled_from(RECENT_ANCHORS),
        offsets,
        durations,
    ),
    st.tuples(st.just("delete"), st.integers(0, 10**6)),
)
steps = st.lists(st.lists(ops, min_size=1, max_size=12), min_size=1, max_size=4)


def _ids(who: tuple[str, int]) -> tuple[int | None, int | None]:
    kind, uid = who
    return (
        uid if kind in ("supplier", "both") else None,
        uid if kind in ("couple", "both") else None,
    )


def _apply(conn: psycopg.Connection, model: Model, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind in ("new", "late"):
        _, anchor, offset, who, duration = op
        at = anchor + offset
        if kind == "late":
            # a lower id committed after the refresh that saw higher ones: only the
            # sweep finds it, so it is a recent session
            if not _recent(at):
                return
            row_id, model.next_late_id = model.next_late_id, model.next_late_id + 1
        else:
            row_id, model.next_id = model.next_id, model.next_id + 1
        supplier_id, couple_id = _ids(who)
        row = session(row_id, at, supplier_id=supplier_id, couple_id=couple_id, duration=duration)
        conn.execute(
            "INSERT INTO public.user_sessions (id, supplier_id, couple_id, created_at,"
            " session_duration) VALUES (%(id)s, %(supplier_id)s, %(couple_id)s,"
            " %(created_at)s, %(session_duration)s)",
            row,
        )
        model.rows[row_id] = row
        return
    if not model.rows:
        return
    row_id = sorted(model.rows)[op[1] % len(model.rows)]
    row = model.rows[row_id]
    # the guarantee: edits of rows the last refresh saw are caught while they (before
    # and after the edit) lie within the sweep; unseen rows may change freely
    if model.seen(row_id) and not _recent(row["created_at"]):
        return
    if kind == "delete":
        conn.execute("DELETE FROM public.user_sessions WHERE id = %s", (row_id,))
        del model.rows[row_id]
        return
    _, _, anchor, offset, duration = op
    at = anchor + offset
    if model.seen(row_id) and not _recent(at):
        return
    conn.execute(
        "UPDATE public.user_sessions SET created_at = %s, session_duration = %s WHERE id = %s",
        (at, duration, row_id),
    )
    row.update(created_at=at, session_duration=duration)


def _refresh(conn: psycopg.Connection, full: bool = False, full_every: str = "1 day") -> None:
    conn.execute(
        "SELECT execmetrics.refresh_session_rollups(%s, %s, %s::interval)",
        (full, SWEEP_DAYS, full_every),
    )


def _prepare(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('execmetrics.daily_metrics')").fetchone()
    if exists is None or exists[0] is None:
        migrate(url, CONFIG)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE public.user_sessions")
        _refresh(conn, full=True)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
def test_incremental_refresh_equals_a_full_rebuild(db_url: str, plan: list[list[Any]]) -> None:
    _prepare(db_url)
    model = Model()
    with psycopg.connect(db_url, autocommit=True) as conn:
        for step in plan:
            for op in step:
                _apply(conn, model, op)
            _refresh(conn)
            model.high_water = max(model.high_water, max(model.rows, default=0))
            got = conn.execute(ROLLUP).fetchall()
            expected = conn.execute(PLAIN, (TZ,)).fetchall()
            assert got == expected, (step, got, expected)
            assert all(day <= TODAY for day, *_ in got)
            quality = conn.execute(QUALITY).fetchall()
            assert quality == conn.execute(QUALITY_PLAIN).fetchall(), (step, quality)


def test_days_after_the_local_today_are_left_out(db_url: str) -> None:
    _prepare(db_url)
    tomorrow = _midnight(TODAY + DAY) + 5 * MINUTE
    load(db_url, user_sessions=[session(1, tomorrow, supplier_id=1)])
    with psycopg.connect(db_url, autocommit=True) as conn:
        _refresh(conn)
        assert conn.execute(ROLLUP).fetchall() == []
        plain = conn.execute("SELECT day FROM execmetrics.daily_metrics_plain").fetchall()
        # the quality rollup counts every date: a session dated in the future is an issue
        # for the timestamp check only, and one with no user for its own check too
        conn.execute("UPDATE public.user_sessions SET supplier_id = NULL")
        _refresh(conn)
        quality = conn.execute(QUALITY).fetchall()
    assert plain == [(TODAY + timedelta(days=1),)]
    assert quality == [(TODAY + timedelta(days=1), 1, 0)]


def test_an_edit_older_than_the_sweep_waits_for_the_full_rebuild(db_url: str) -> None:
    _prepare(db_url)
    old = OLD_ANCHORS[0] + 30 * MINUTE
    load(db_url, user_sessions=[session(1, old, supplier_id=1, duration=60)])
    with psycopg.connect(db_url, autocommit=True) as conn:
        _refresh(conn)
        assert conn.execute(ROLLUP).fetchall() == conn.execute(PLAIN, (TZ,)).fetchall()
        conn.execute("UPDATE public.user_sessions SET session_duration = 600 WHERE id = 1")
        _refresh(conn)  # the last full rebuild is recent: the old day is not recomputed
        (stale,) = conn.execute(ROLLUP).fetchall()
        assert stale[-1] == 60.0
        _refresh(conn, full_every="0 seconds")  # the full rebuild is due
        assert conn.execute(ROLLUP).fetchall() == conn.execute(PLAIN, (TZ,)).fetchall()
        (fresh,) = conn.execute(ROLLUP).fetchall()
        assert fresh[-1] == 600.0


def test_the_refresh_job_keeps_daily_metrics_current(db_url: str) -> None:
    from exporter.db import Database
    from exporter.refresh import refresh_views

    _prepare(db_url)
    load(db_url, user_sessions=[session(5, OLD_ANCHORS[2] - MINUTE, couple_id=3)])
    with Database(db_url, CONFIG) as database:
        record = refresh_views(database, CONFIG, holder="test:rollup")
    assert record.error is None and not record.skipped, record
    with psycopg.connect(db_url) as conn:
        assert conn.execute(ROLLUP).fetchall() == conn.execute(PLAIN, (TZ,)).fetchall()
        assert conn.execute(ROLLUP).fetchall()[0][0] == date(2026, 10, 24)


def test_quality_checks_add_the_sessions_the_rollup_has_not_seen(db_url: str) -> None:
    _prepare(db_url)
    at = RECENT_ANCHORS[1] + 10 * MINUTE
    load(
        db_url,
        user_sessions=[
            session(1, OLD_ANCHORS[0], duration=60),  # no user
            session(2, OLD_ANCHORS[1], supplier_id=1, duration=0),
            session(3, at, supplier_id=1, couple_id=2, duration=-1),  # both, nonpositive
        ],
    )
    with psycopg.connect(db_url, autocommit=True) as conn:
        _refresh(conn)
    load(
        db_url,
        user_sessions=[
            session(4, OLD_ANCHORS[2], duration=None),  # no user, seen by no refresh yet
            session(5, at, couple_id=3, duration=0),
        ],
    )
    ev = evaluate(db_url, CONFIG, at)
    issues = {
        check: ev.value("execmetrics_data_quality_issues", check=check)
        for check in ("session_user_not_exactly_one", "session_nonpositive_duration")
    }
    assert issues == {"session_user_not_exactly_one": 3.0, "session_nonpositive_duration": 3.0}


def test_quality_checks_after_the_sessions_were_truncated_and_reloaded(db_url: str) -> None:
    _prepare(db_url)
    at = RECENT_ANCHORS[1]
    load(db_url, user_sessions=[session(i, at, duration=0) for i in range(1, 4)])
    with psycopg.connect(db_url, autocommit=True) as conn:
        _refresh(conn)
        conn.execute("TRUNCATE public.user_sessions")
    # the same ids, below the high-water mark: only the table's new storage tells
    load(db_url, user_sessions=[session(1, at, supplier_id=1, duration=0)])
    ev = evaluate(db_url, CONFIG, at)
    assert ev.value("execmetrics_data_quality_issues", check="session_user_not_exactly_one") == 0
    assert ev.value("execmetrics_data_quality_issues", check="session_nonpositive_duration") == 1
