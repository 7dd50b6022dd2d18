"""Data quality (SPEC §3 table): each check counted, the row left out only where it distorts.

Reading (tests/oracle.py R4): checks count rows over whole tables, independently of each
other and of T, except timestamp_in_future (created_at / sent_at more than 5 minutes after
the later of T and the wall clock of the run).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pytest import approx

from exporter import catalog
from tests.instants import DAY, HOUR, MINUTE, SECOND, T, ts
from tests.support import (
    config,
    couple,
    invite,
    rate,
    run,
    session,
    sub,
    supplier,
    truncate,
    with_suppliers,
)

SHARED_DATABASE = True  # see conftest's db_url


JAN = ts("2024-01-01 00:00")


def checks(ev) -> dict[str, float | None]:
    return {c: ev.value("execmetrics_data_quality_issues", check=c) for c in catalog.QUALITY_CHECKS}


def zeros_but(**counts: int) -> dict[str, int]:
    out = dict.fromkeys(catalog.QUALITY_CHECKS, 0)
    out.update(counts)
    return out


def test_clean_and_empty_database_reports_every_check_as_zero(db_url: str) -> None:
    ev = run(db_url, T)
    assert checks(ev) == zeros_but()
    assert len(ev.series("execmetrics_data_quality_issues")) == len(catalog.QUALITY_CHECKS)


def test_subscription_checks(db_url: str) -> None:
    subs = [
        sub(1, 1, amount_minor=-1, started_at=JAN),  # negative
        sub(2, 1, amount_minor=-100, started_at=T + DAY),  # negative, not started: whole table
        sub(3, 2, amount_minor=1000, currency="CHF", started_at=JAN),  # no CHF rate at all
        sub(4, 2, amount_minor=1000, currency="EUR", started_at=ts("2024-01-31 23:59")),  # early
        sub(5, 3, amount_minor=1000, currency="EUR", started_at=ts("2024-02-01 00:00")),  # ok
        sub(6, 3, amount_minor=1000, started_at=JAN, ended_at=JAN - SECOND),  # ended < started
        sub(7, 4, amount_minor=1000, started_at=JAN, ended_at=JAN),  # = started: fine
        sub(8, 4, amount_minor=0, started_at=JAN),  # free: fine
    ]
    ev = run(
        db_url,
        T,
        suppliers=[supplier(i) for i in range(1, 5)],
        subscriptions=subs,
        fx_rates=[rate("EUR", "2024-02-01", "0.5")],
    )
    assert checks(ev) == zeros_but(
        subscription_negative_amount=2,
        subscription_missing_fx_rate=2,  # 3 (CHF), 4 (EUR before its first rate)
        subscription_ended_before_started=1,
    )
    # Revenue keeps only row 5: 10 EUR x 0.5 = 5.00 (row 7 never live, row 8 is free).
    assert ev.value("execmetrics_mrr", currency="GBP") == approx(5.0)


def test_missing_rate_uses_the_local_start_date(db_url: str) -> None:
    # EUR rate from 1 Jul. Started 30 Jun 23:30Z = 1 Jul 00:30 BST: has a rate in London.
    subs = [
        sub(1, 1, amount_minor=1000, currency="EUR", started_at=ts("2024-06-30 23:30")),
        sub(2, 2, amount_minor=1000, currency="EUR", started_at=ts("2024-06-30 22:30")),  # 23:30
    ]
    rates = [rate("EUR", "2024-07-01", "2")]
    t = ts("2024-07-15 12:00")
    ev = run(db_url, t, config(tz="Europe/London"), fx_rates=rates, **with_suppliers(subs))
    assert checks(ev) == zeros_but(subscription_missing_fx_rate=1)  # row 2 only
    assert ev.value("execmetrics_mrr", currency="GBP") == approx(20.0)  # row 1: 10 x 2


def test_reporting_currency_never_needs_a_rate(db_url: str) -> None:
    ev = run(
        db_url,
        T,
        suppliers=[supplier(1)],
        subscriptions=[sub(1, 1, amount_minor=1000, currency="GBP")],
    )
    assert checks(ev) == zeros_but()
    assert ev.value("execmetrics_mrr", currency="GBP") == approx(10.0)


def test_session_checks_and_what_they_leave_out(db_url: str) -> None:
    sessions = [
        session(1, T - HOUR, supplier_id=1, couple_id=1, duration=100),  # both
        session(2, T - HOUR, duration=100),  # neither
        session(3, T - HOUR, supplier_id=2, duration=0),  # <= 0: still activity
        session(4, T - HOUR, couple_id=2, duration=-1),  # <= 0: still activity
        session(5, T - HOUR, couple_id=3, duration=None),  # open: not an issue
        session(6, T - HOUR, couple_id=4, duration=40),  # fine
        session(7, JAN, supplier_id=3, duration=-5),  # old, still counted (whole table)
    ]
    ev = run(
        db_url,
        T,
        suppliers=[supplier(i) for i in (1, 2, 3)],
        couples=[couple(i) for i in (1, 2, 3, 4)],
        user_sessions=sessions,
    )
    assert checks(ev) == zeros_but(session_user_not_exactly_one=2, session_nonpositive_duration=3)
    # both/neither: out of every user number; <= 0 durations: still activity
    assert ev.value("execmetrics_active_users", user_type="supplier", window="1d") == 1  # {2}
    assert ev.value("execmetrics_active_users", user_type="couple", window="1d") == 3  # {2,3,4}
    # ... but out of the average: only session 6 -> 40
    assert ev.value("execmetrics_session_duration_average_seconds") == approx(40.0)


def test_invitation_accepted_before_sent(db_url: str) -> None:
    invitations = [
        invite(1, 1, sent_at=T - DAY, accepted_at=T - DAY - SECOND),  # issue: sent, not accepted
        invite(2, 1, sent_at=T - DAY, accepted_at=T - DAY),  # accepted the same instant: fine
        invite(3, 1, sent_at=JAN, accepted_at=JAN - DAY),  # issue, outside W: still counted
    ]
    ev = run(db_url, T, invitations=invitations, user_sessions=[session(1, T - DAY, supplier_id=1)])
    assert checks(ev) == zeros_but(invitation_accepted_before_sent=2)
    assert ev.value("execmetrics_invitations_sent", window="30d") == 2
    assert ev.value("execmetrics_invitations_accepted", window="30d") == 1
    assert ev.value("execmetrics_invitation_conversion_ratio", window="30d") == approx(0.5)


def test_timestamp_in_future(db_url: str) -> None:
    # A live run: the wall clock reads T, so the limit is T + 5 minutes.
    limit = T + 5 * MINUTE
    ev = run(
        db_url,
        T,
        wall=T,
        suppliers=[
            supplier(1, created_at=limit),  # exactly 5 min after T: not "more than"
            supplier(2, created_at=limit + SECOND),  # counted
            supplier(3, created_at=T + DAY, deleted_at=T + 2 * DAY),  # counted
        ],
        couples=[couple(1, created_at=T + HOUR), couple(2, created_at=T)],  # 1 counted
        user_sessions=[
            session(1, limit + SECOND, supplier_id=1),  # counted
            session(2, T + 2 * MINUTE, couple_id=1),  # within tolerance: not counted
            session(3, T + HOUR, supplier_id=1, couple_id=1),  # counted (and both ids)
        ],
        invitations=[
            invite(1, 1, sent_at=T + DAY),  # counted
            invite(2, 1, sent_at=T - DAY, accepted_at=T + DAY),  # accepted_at is not checked
        ],
        # subscriptions are not in the check: a future start is a normal booking
        subscriptions=[sub(1, 1, amount_minor=1000, started_at=T + DAY)],
    )
    # suppliers 2 + couples 1 + sessions 2 + invitations 1 = 6
    assert checks(ev) == zeros_but(timestamp_in_future=6, session_user_not_exactly_one=1)
    # windows leave the rows out anyway
    assert ev.value("execmetrics_registered_users", user_type="supplier") == 0
    assert ev.value("execmetrics_registered_users", user_type="couple") == 1  # couple 2 (at T)
    assert ev.value("execmetrics_signups_today", user_type="supplier") == 0
    assert ev.value("execmetrics_active_users", user_type="supplier", window="1d") == 0
    assert ev.value("execmetrics_active_users", user_type="couple", window="1d") == 0
    assert ev.value("execmetrics_invitations_sent", window="30d") == 1  # invite 2
    assert ev.value("execmetrics_invitations_accepted", window="30d") == 0


def test_row_failing_two_checks_counts_in_both(db_url: str) -> None:
    # Reading R4: checks are independent; a negative CHF row that ended before it started
    # is counted by all three subscription checks.
    subs = [
        sub(1, 1, amount_minor=-100, currency="CHF", started_at=JAN, ended_at=JAN - DAY),
        sub(2, 2, amount_minor=500, started_at=JAN),
    ]
    sessions = [session(1, T - HOUR, supplier_id=1, couple_id=1, duration=0)]
    ev = run(
        db_url,
        T,
        suppliers=[supplier(1), supplier(2)],
        subscriptions=subs,
        user_sessions=sessions,
    )
    assert checks(ev) == zeros_but(
        subscription_negative_amount=1,
        subscription_missing_fx_rate=1,
        subscription_ended_before_started=1,
        session_user_not_exactly_one=1,
        session_nonpositive_duration=1,
    )
    assert ev.value("execmetrics_mrr", currency="GBP") == approx(5.0)


def test_subscription_invalid_interval(db_url: str) -> None:
    # Not in SPEC §3's table: exporter/catalog.py adds subscription_invalid_interval
    # (interval_months not positive; the formula divides by it). Reading R11: counted and
    # left out of every revenue number.
    subs = [
        sub(1, 1, amount_minor=1000, interval_months=0, started_at=JAN),
        sub(2, 1, amount_minor=1000, interval_months=-3, started_at=JAN),
        sub(3, 2, amount_minor=1000, interval_months=1, started_at=JAN),
    ]
    ev = run(db_url, T, suppliers=[supplier(1), supplier(2)], subscriptions=subs)
    assert checks(ev) == zeros_but(subscription_invalid_interval=2)
    assert ev.value("execmetrics_mrr", currency="GBP") == approx(10.0)
    assert ev.value("execmetrics_paying_suppliers") == 1


def _stamped(*stamps: datetime) -> dict[str, list[dict[str, Any]]]:
    """One row of each checked table per stamp, so each stamp counts 4 when in the future."""
    return {
        "suppliers": [supplier(i, created_at=at) for i, at in enumerate(stamps, 1)],
        "couples": [couple(i, created_at=at) for i, at in enumerate(stamps, 1)],
        "user_sessions": [session(i, at, supplier_id=1) for i, at in enumerate(stamps, 1)],
        "invitations": [invite(i, 1, sent_at=at) for i, at in enumerate(stamps, 1)],
    }


def test_a_past_t_counts_no_row_stamped_after_it_but_before_the_wall_clock(
    db_url: str,
) -> None:
    # T is a past instant (a backfill, last month's report): the run's clock reads 30
    # days later. Rows stamped after T but not more than 5 minutes after the wall clock
    # are only later than T; the old rule (T + 5 minutes) counted the first three stamps.
    wall = T + 30 * DAY
    ev = run(
        db_url,
        T,
        wall=wall,
        **_stamped(
            T + 5 * MINUTE + SECOND,  # after T's old limit, long before the wall clock
            T + DAY,
            wall - SECOND,
            wall + 4 * MINUTE,  # within the tolerance of the wall clock
            wall + 5 * MINUTE,  # exactly 5 minutes: not "more than"
        ),
    )
    assert checks(ev) == zeros_but()
    truncate(db_url)
    ev = run(db_url, T, wall=wall, **_stamped(wall + 5 * MINUTE + SECOND, wall + 6 * MINUTE))
    assert checks(ev) == zeros_but(timestamp_in_future=8)  # 2 stamps x 4 tables


def test_a_t_ahead_of_the_wall_clock_is_checked_against_t(db_url: str) -> None:
    # T a little in the future of the run's clock: the later of the two is T.
    wall = T - HOUR
    ev = run(
        db_url,
        T,
        wall=wall,
        **_stamped(
            wall + 6 * MINUTE,  # more than 5 minutes after the wall clock, but before T
            T + 4 * MINUTE,
            T + 6 * MINUTE,  # counted
        ),
    )
    assert checks(ev) == zeros_but(timestamp_in_future=4)


def test_collect_at_a_past_instant_reads_the_wall_clock_now(db_url: str) -> None:
    # No wall clock given (collect --at): the run's own clock, now. T is years ago, so a
    # row stamped after T is no issue; one stamped a day from now is.
    soon = datetime.now(UTC) + DAY
    ev = run(db_url, T, **_stamped(T + DAY, T + 400 * DAY))
    assert checks(ev) == zeros_but()
    truncate(db_url)
    ev = run(db_url, T, **_stamped(T + DAY, soon))
    assert checks(ev) == zeros_but(timestamp_in_future=4)
