"""Engagement (SPEC §3): average capped session duration over the last 7 days."""

from __future__ import annotations

from pytest import approx

from tests.instants import DAY, SECOND, T
from tests.support import config, people, run, session

SHARED_DATABASE = True  # see conftest's db_url


AVG = "execmetrics_session_duration_average_seconds"
PEOPLE = people(9)


def test_average_with_null_nonpositive_capped_and_edges(db_url: str) -> None:
    sessions = [
        session(1, T, supplier_id=1, duration=60),  # at T: in
        session(2, T - DAY, couple_id=1, duration=120),  # in
        session(3, T - 7 * DAY + SECOND, couple_id=2, duration=300),  # just inside: in
        session(4, T - 7 * DAY, couple_id=3, duration=999),  # exactly T - 7 d: out
        session(5, T - DAY, supplier_id=2, duration=20000),  # over the cap: 14400
        session(6, T - DAY, supplier_id=3, duration=14400),  # at the cap: 14400
        session(7, T - DAY, supplier_id=4, duration=None),  # open: left out
        session(8, T - DAY, supplier_id=5, duration=0),  # <= 0: left out
        session(9, T - DAY, supplier_id=6, duration=-50),  # <= 0: left out
        session(10, T - DAY, supplier_id=7, couple_id=7, duration=100),  # both ids: out
        session(11, T - DAY, duration=100),  # neither id: out
        session(12, T + SECOND, supplier_id=8, duration=100),  # after T: out
        session(13, T - 8 * DAY, supplier_id=9, duration=100),  # older than 7 d: out
    ]
    ev = run(db_url, T, user_sessions=sessions, **PEOPLE)
    # (60 + 120 + 300 + 14400 + 14400) / 5 = 29280 / 5 = 5856
    assert ev.value(AVG) == approx(5856.0)


def test_configured_cap(db_url: str) -> None:
    sessions = [
        session(1, T - DAY, supplier_id=1, duration=3599),
        session(2, T - DAY, supplier_id=1, duration=3600),
        session(3, T - DAY, couple_id=1, duration=7200),
        session(4, T - DAY, couple_id=2, duration=1),
    ]
    ev = run(db_url, T, config(session_cap=3600), user_sessions=sessions, **PEOPLE)
    # (3599 + 3600 + 3600 + 1) / 4 = 10800 / 4 = 2700
    assert ev.value(AVG) == approx(2700.0)


def test_no_qualifying_session_means_no_series(db_url: str) -> None:
    sessions = [
        session(1, T - DAY, supplier_id=1, duration=None),
        session(2, T - DAY, couple_id=1, duration=0),
        session(3, T - 10 * DAY, couple_id=1, duration=100),
    ]
    ev = run(db_url, T, user_sessions=sessions, **PEOPLE)
    assert ev.value(AVG) is None
    # those sessions are still activity (NULL and 0 durations count as logins)
    assert ev.value("execmetrics_active_users", user_type="supplier", window="1d") == 0
    assert ev.value("execmetrics_active_users", user_type="supplier", window="7d") == 1
    assert ev.value("execmetrics_active_users", user_type="couple", window="7d") == 1
    assert ev.value("execmetrics_active_users", user_type="couple", window="30d") == 1


def test_empty(db_url: str) -> None:
    ev = run(db_url, T)
    assert ev.value(AVG) is None


def test_fractional_mean(db_url: str) -> None:
    sessions = [
        session(1, T - DAY, supplier_id=1, duration=1),
        session(2, T - DAY, supplier_id=1, duration=2),
        session(3, T - DAY, supplier_id=1, duration=2),
    ]
    ev = run(db_url, T, user_sessions=sessions, **PEOPLE)
    assert ev.value(AVG) == approx(5 / 3)  # not an integer mean
