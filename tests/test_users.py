"""Users (SPEC §3): totals, active users over half-open windows, sign-ups today."""

from __future__ import annotations

from tests.instants import DAY, SECOND, T, ts
from tests.support import config, couple, run, session, supplier

SHARED_DATABASE = True  # see conftest's db_url


def total(ev, user_type: str) -> float | None:
    return ev.value("execmetrics_registered_users", user_type=user_type)


def active(ev, user_type: str, window: str) -> float | None:
    return ev.value("execmetrics_active_users", user_type=user_type, window=window)


def signups(ev, user_type: str) -> float | None:
    return ev.value("execmetrics_signups_today", user_type=user_type)


def test_registered_users_created_and_deleted_around_t(db_url: str) -> None:
    old = ts("2023-01-01 00:00")
    suppliers = [
        supplier(1, created_at=old),  # counts
        supplier(2, created_at=old, deleted_at=T + SECOND),  # deleted after T: counts
        supplier(3, created_at=old, deleted_at=T),  # deleted exactly at T: gone
        supplier(4, created_at=old, deleted_at=T - DAY),  # deleted before T: gone
        supplier(5, created_at=T),  # created exactly at T: counts
        supplier(6, created_at=T + SECOND),  # not yet created
    ]
    couples = [
        couple(1, created_at=old),  # counts
        couple(2, created_at=old, deleted_at=ts("2024-06-16 00:00")),  # counts
        couple(3, created_at=old, deleted_at=ts("2024-01-01 00:00")),  # gone
        couple(4, created_at=T + DAY),  # future
    ]
    ev = run(db_url, T, suppliers=suppliers, couples=couples)
    assert total(ev, "supplier") == 3  # 1, 2, 5
    assert total(ev, "couple") == 2  # 1, 2


def test_active_users_window_edges(db_url: str) -> None:
    sessions = [
        # supplier 1: exactly at T -> in 1d, 7d and 30d
        session(1, T, supplier_id=1),
        # supplier 2: exactly at T - 30 days -> in none (the left edge is open)
        session(2, T - 30 * DAY, supplier_id=2),
        # supplier 3: one second after T - 30 days -> 30d only
        session(3, T - 30 * DAY + SECOND, supplier_id=3),
        # supplier 4: exactly T - 1 day -> 7d and 30d, not 1d
        session(4, T - DAY, supplier_id=4),
        # supplier 5: T - 7 days + 1 s -> 7d and 30d; T - 7 days -> not 7d
        session(5, T - 7 * DAY + SECOND, supplier_id=5),
        session(6, T - 7 * DAY, supplier_id=6),
        # supplier 7: after T -> in no window
        session(7, T + SECOND, supplier_id=7),
        # supplier 1 again inside 1d: distinct ids, still one
        session(8, T - 3600 * SECOND, supplier_id=1),
        # couples: 1 at T - 1 day + 1 s (1d), 2 twice within 7d, 3 at T - 31 days
        session(9, T - DAY + SECOND, couple_id=1),
        session(10, T - 2 * DAY, couple_id=2),
        session(11, T - 3 * DAY, couple_id=2),
        session(12, T - 31 * DAY, couple_id=3),
        # both ids / neither id: left out of every user number
        session(13, T, supplier_id=8, couple_id=8),
        session(14, T, supplier_id=None, couple_id=None),
        # NULL and non-positive durations are still activity
        session(15, T - SECOND, couple_id=4, duration=None),
        session(16, T - SECOND, couple_id=5, duration=0),
        session(17, T - SECOND, couple_id=6, duration=-30),
    ]
    people = {
        "suppliers": [supplier(i) for i in range(1, 9)],
        "couples": [couple(i) for i in range(1, 9)],
    }
    ev = run(db_url, T, user_sessions=sessions, **people)
    # suppliers: 1d {1}; 7d {1, 4, 5}; 30d {1, 3, 4, 5, 6}
    assert active(ev, "supplier", "1d") == 1
    assert active(ev, "supplier", "7d") == 3
    assert active(ev, "supplier", "30d") == 5
    # couples: 1d {1, 4, 5, 6}; 7d {1, 2, 4, 5, 6}; 30d same
    assert active(ev, "couple", "1d") == 4
    assert active(ev, "couple", "7d") == 5
    assert active(ev, "couple", "30d") == 5


def test_active_window_is_an_absolute_duration_across_dst(db_url: str) -> None:
    # T = 15 Apr 2024 12:00 BST = 11:00Z; T - 30 x 24 h = 16 Mar 11:00Z (12:00 local "minus
    # 30 calendar days" would be 16 Mar 12:00 GMT = 12:00Z).
    t = ts("2024-04-15 12:00", "Europe/London")
    sessions = [
        session(1, ts("2024-03-16 11:30"), supplier_id=1),  # inside (T-30d, T]
        session(2, ts("2024-03-16 11:00"), supplier_id=2),  # exactly T - 30 days: out
        session(3, ts("2024-04-14 11:00:01"), supplier_id=3),  # 1d: T - 24 h + 1 s
        session(4, ts("2024-04-14 11:00"), supplier_id=4),  # exactly T - 24 h: not in 1d
    ]
    ev = run(
        db_url,
        t,
        config(tz="Europe/London"),
        suppliers=[supplier(i) for i in range(1, 5)],
        user_sessions=sessions,
    )
    assert active(ev, "supplier", "30d") == 3  # 1, 3, 4
    assert active(ev, "supplier", "7d") == 2  # 3, 4
    assert active(ev, "supplier", "1d") == 1  # 3


def test_signups_today_around_local_midnight_in_summer(db_url: str) -> None:
    # T = 1 Jul 2024 12:00Z = 13:00 BST. T's local day began 30 Jun 23:00Z.
    t = ts("2024-07-01 12:00")
    suppliers = [
        supplier(1, created_at=ts("2024-06-30 23:30")),  # 00:30 BST: today
        supplier(2, created_at=ts("2024-06-30 23:00")),  # exactly local midnight: today
        supplier(3, created_at=ts("2024-06-30 22:59:59")),  # 23:59:59 BST yesterday
        supplier(4, created_at=t),  # exactly T: today
        supplier(5, created_at=t + SECOND),  # after T: not counted
        supplier(6, created_at=ts("2024-07-01 08:00"), deleted_at=ts("2024-07-01 09:00")),
    ]
    couples = [
        couple(1, created_at=ts("2024-06-30 23:45")),  # today
        couple(2, created_at=ts("2024-06-30 12:00")),  # yesterday
    ]
    ev = run(db_url, t, config(tz="Europe/London"), suppliers=suppliers, couples=couples)
    # 1, 2, 4 and 6 (created today, deleted since: still a sign-up today)
    assert signups(ev, "supplier") == 4
    assert signups(ev, "couple") == 1
    assert total(ev, "supplier") == 4  # 1, 2, 3, 4 (6 deleted before T, 5 not yet)
    assert total(ev, "couple") == 2


def test_signups_today_same_rows_in_utc(db_url: str) -> None:
    # Same instants, reporting zone UTC: the day began 1 Jul 00:00Z.
    t = ts("2024-07-01 12:00")
    suppliers = [
        supplier(1, created_at=ts("2024-06-30 23:30")),  # yesterday in UTC
        supplier(2, created_at=ts("2024-07-01 00:00")),  # exactly midnight: today
        supplier(3, created_at=ts("2024-07-01 11:59")),  # today
    ]
    ev = run(db_url, t, suppliers=suppliers)
    assert signups(ev, "supplier") == 2


def test_signups_today_on_the_autumn_dst_day(db_url: str) -> None:
    # 27 Oct 2024 in London: midnight BST = 26 Oct 23:00Z; the day is 25 h long.
    t = ts("2024-10-27 23:30")  # 23:30 GMT, still 27 Oct locally
    couples = [
        couple(1, created_at=ts("2024-10-26 23:00")),  # local midnight: today
        couple(2, created_at=ts("2024-10-26 22:59")),  # 23:59 BST on 26 Oct: yesterday
        couple(3, created_at=ts("2024-10-27 01:30")),  # 01:30 GMT (after the change): today
    ]
    ev = run(db_url, t, config(tz="Europe/London"), couples=couples)
    assert signups(ev, "couple") == 2


def test_empty_users_are_zero_not_absent(db_url: str) -> None:
    ev = run(db_url, T)
    for user_type in ("supplier", "couple"):
        assert total(ev, user_type) == 0
        assert signups(ev, user_type) == 0
        for window in ("1d", "7d", "30d"):
            assert active(ev, user_type, window) == 0
    assert set(ev.series("execmetrics_active_users")) == {
        (("user_type", u), ("window", w))
        for u in ("supplier", "couple")
        for w in ("1d", "7d", "30d")
    }


def test_active_users_do_not_look_at_the_user_tables(db_url: str) -> None:
    # Reading R6: active = distinct ids in valid sessions in the window. A supplier deleted
    # after its session (but before T), and an id with no user row, are still active.
    sessions = [
        session(1, T - 2 * DAY, supplier_id=1),
        session(2, T - 2 * DAY, supplier_id=2),
        session(3, T - 2 * DAY, couple_id=99),
    ]
    suppliers = [supplier(1, deleted_at=T - DAY)]  # supplier 2 has no row
    ev = run(db_url, T, suppliers=suppliers, user_sessions=sessions)
    assert active(ev, "supplier", "7d") == 2
    assert active(ev, "couple", "7d") == 1
    assert total(ev, "supplier") == 0
