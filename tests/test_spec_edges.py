"""SPEC §2-§3 at edges the other hand-computed tests leave open, every number by hand.

Each test checks the engine against its hand-computed numbers and then the oracle
(tests/oracle.py) against the same numbers, so a misreading shared by both fails here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pytest import approx

from tests import oracle
from tests.instants import DAY, HOUR, MINUTE, SECOND, T, ts
from tests.support import config, couple, invite, rate, run, session, sub, supplier, truncate

SHARED_DATABASE = True  # see conftest's db_url

GBP = {"currency": "GBP"}
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")


def movements(ev: Any) -> dict[str, float | None]:
    return {k: ev.value("execmetrics_mrr_movement", currency="GBP", movement=k) for k in MOVEMENTS}


def oracle_values(cfg: Any, t: datetime, **tables: Any) -> dict[str, Any]:
    out = oracle.compute(oracle.settings_of(cfg), t, wall=t, **tables)
    return {
        "mrr": out.get(oracle.key("mrr", currency="GBP")),
        "paying": out.get(oracle.key("paying_suppliers")),
        "signups_supplier": out.get(oracle.key("signups_today", user_type="supplier")),
        **{k: out.get(oracle.key("mrr_movement", currency="GBP", movement=k)) for k in MOVEMENTS},
    }


def test_a_trial_ending_before_the_row_starts_counts_from_started_at(db_url: str) -> None:
    # contrib needs started_at <= t AND trial_ends_at <= t: a trial_ends_at before
    # started_at changes nothing, the row counts from started_at.
    t = T
    subs = [
        sub(1, 1, amount_minor=1000, started_at=t, trial_ends_at=t - DAY),  # live at T
        sub(2, 2, amount_minor=2000, started_at=t + SECOND, trial_ends_at=t - DAY),  # not yet
        # trial ends exactly when the row ends: never live, never paying
        sub(
            3,
            3,
            amount_minor=4000,
            started_at=t - 60 * DAY,
            trial_ends_at=t - DAY,
            ended_at=t - DAY,
        ),
    ]
    cfg = config()
    ev = run(db_url, t, cfg, suppliers=[supplier(i) for i in (1, 2, 3)], subscriptions=subs)
    assert ev.value("execmetrics_mrr", **GBP) == approx(10.0)
    assert ev.value("execmetrics_paying_suppliers") == 1
    # supplier 1 is new (10); supplier 3 never paid, so it is in no movement
    assert movements(ev) == {
        "new": approx(10.0),
        "reactivation": 0,
        "expansion": 0,
        "contraction": 0,
        "churn": 0,
    }
    got = oracle_values(cfg, t, subscriptions=subs)
    assert got["mrr"] == approx(10.0) and got["paying"] == 1 and got["new"] == approx(10.0)


def test_empty_spans_before_m1_are_not_paying_before_m1(db_url: str) -> None:
    # "x paid at some instant before M1": a row whose span is empty (ended_at =
    # started_at, or a trial lasting the whole row) never made x a payer, so x's later
    # MRR is new, not a reactivation. A one-second span is enough to have paid.
    t = T
    m1 = ts("2024-05-15 12:00")
    jan, jun = ts("2024-01-10 00:00"), ts("2024-06-01 00:00")
    subs = [
        sub(1, 1, amount_minor=900, started_at=jan, ended_at=jan),  # empty
        sub(2, 1, amount_minor=1000, started_at=jun),  # new 10
        sub(3, 2, amount_minor=900, started_at=jan, trial_ends_at=m1 - DAY, ended_at=m1 - DAY),
        sub(4, 2, amount_minor=2000, started_at=jun),  # new 20
        sub(5, 3, amount_minor=900, started_at=jan, ended_at=jan + SECOND),  # paid 1 s
        sub(6, 3, amount_minor=3000, started_at=jun),  # reactivation 30
        sub(7, 4, amount_minor=900, started_at=m1 - SECOND, ended_at=m1),  # paid 1 s
        sub(8, 4, amount_minor=4000, started_at=jun),  # reactivation 40
    ]
    cfg = config()
    ev = run(db_url, t, cfg, suppliers=[supplier(i) for i in range(1, 5)], subscriptions=subs)
    assert ev.value("execmetrics_mrr", **GBP) == approx(100.0)
    assert movements(ev) == {
        "new": approx(30.0),
        "reactivation": approx(70.0),
        "expansion": 0,
        "contraction": 0,
        "churn": 0,
    }
    # no supplier paid at M1: every ratio over MRR(M1) or paying-at-M1 is absent
    for name in ("mrr_growth_ratio", "customer_churn_ratio", "net_revenue_retention_ratio"):
        assert ev.value(f"execmetrics_{name}") is None
    got = oracle_values(cfg, t, subscriptions=subs)
    assert (got["new"], got["reactivation"]) == (approx(30.0), approx(70.0))


def test_m1_on_a_wall_time_london_sees_twice_is_its_first_occurrence(db_url: str) -> None:
    # T = 27 Nov 2024 01:30 GMT = 01:30Z. One calendar month back is 27 Oct 01:30 local,
    # which London sees twice (00:30Z in BST, then 01:30Z in GMT). The exporter reads
    # the first (00:30Z, docs: "the offset in force before the change"); PostgreSQL's
    # `timestamptz - interval '1 month'` would read the second. A row that starts at
    # 01:00Z is not live at M1 = 00:30Z, so it is new MRR over (M1, T].
    t = ts("2024-11-27 01:30")
    subs = [
        sub(1, 1, amount_minor=1000, started_at=ts("2024-10-27 01:00")),  # new 10
        sub(2, 2, amount_minor=2000, started_at=ts("2024-10-27 00:30")),  # at M1: steady
        sub(
            3,
            3,
            amount_minor=4000,
            started_at=ts("2024-01-01 00:00"),
            ended_at=ts("2024-10-27 01:00"),
        ),  # paying at M1, churned: 40
    ]
    cfg = config(tz="Europe/London")
    ev = run(db_url, t, cfg, suppliers=[supplier(i) for i in (1, 2, 3)], subscriptions=subs)
    assert ev.value("execmetrics_mrr", **GBP) == approx(30.0)
    assert movements(ev) == {
        "new": approx(10.0),
        "reactivation": 0,
        "expansion": 0,
        "contraction": 0,
        "churn": approx(40.0),
    }
    # MRR(M1) = 20 + 40 = 60: growth (30 - 60) / 60, one of two payers churned
    assert ev.value("execmetrics_mrr_growth_ratio") == approx(-0.5)
    assert ev.value("execmetrics_customer_churn_ratio") == approx(0.5)
    got = oracle_values(cfg, t, subscriptions=subs)
    assert (got["new"], got["churn"]) == (approx(10.0), approx(40.0))


def test_fx_at_the_local_start_date_east_of_utc(db_url: str) -> None:
    # Tokyo is UTC+9: 9 Mar 15:00Z is already 10 Mar locally. Each period keeps the rate
    # with the latest valid_from on or before its local start date, for its whole life.
    t = T
    rates = [
        rate("EUR", "2024-03-09", "0.5"),
        rate("EUR", "2024-03-10", "2"),
        rate("EUR", "2024-04-01", "4"),  # after both starts: never chosen
    ]
    subs = [
        sub(1, 1, amount_minor=1000, currency="EUR", started_at=ts("2024-03-09 15:00")),  # x2
        sub(2, 2, amount_minor=1000, currency="EUR", started_at=ts("2024-03-09 14:59")),  # x0.5
        # local 9 Mar 00:00 JST = 8 Mar 15:00Z: no rate on or before 8 Mar in UTC, but
        # the local date is 9 Mar, which has one
        sub(3, 3, amount_minor=1000, currency="EUR", started_at=ts("2024-03-08 15:00")),  # x0.5
    ]
    cfg = config(tz="Asia/Tokyo")
    suppliers = [supplier(i) for i in (1, 2, 3)]
    ev = run(db_url, t, cfg, suppliers=suppliers, subscriptions=subs, fx_rates=rates)
    assert ev.value("execmetrics_mrr", **GBP) == approx(20.0 + 5.0 + 5.0)
    assert ev.value("execmetrics_data_quality_issues", check="subscription_missing_fx_rate") == 0
    got = oracle_values(cfg, t, subscriptions=subs, fx_rates=rates)
    assert got["mrr"] == approx(30.0)


def test_signups_today_when_t_is_the_local_midnight(db_url: str) -> None:
    # T = 1 Jul 2024 00:00 BST = 30 Jun 23:00Z: T's local day is [T, T], so only a user
    # created exactly at T signed up today.
    t = ts("2024-06-30 23:00")
    suppliers = [
        supplier(1, created_at=t),
        supplier(2, created_at=t - SECOND),
        supplier(3, created_at=t + SECOND),
    ]
    cfg = config(tz="Europe/London")
    ev = run(db_url, t, cfg, suppliers=suppliers)
    assert ev.value("execmetrics_signups_today", user_type="supplier") == 1
    assert ev.value("execmetrics_registered_users", user_type="supplier") == 2
    assert oracle_values(cfg, t, suppliers=suppliers)["signups_supplier"] == 1


def test_the_future_is_after_the_later_of_t_and_the_wall_clock(db_url: str) -> None:
    # SPEC §3: a row is in the future when stamped more than 5 minutes after the later of
    # T and the wall clock of the run. One supplier, couple, session and invitation per
    # stamp; the stamps sit on both edges (4 and 6 minutes past T and past the wall
    # clock) and between T and the wall clock.
    stamps = [
        T + 4 * MINUTE,
        T + 6 * MINUTE,
        T + DAY,
        T + 30 * DAY + 4 * MINUTE,
        T + 30 * DAY + 6 * MINUTE,
    ]
    tables: dict[str, Any] = {
        "suppliers": [supplier(i, created_at=at) for i, at in enumerate(stamps, 1)],
        "couples": [couple(i, created_at=at) for i, at in enumerate(stamps, 1)],
        "user_sessions": [session(i, at, couple_id=1) for i, at in enumerate(stamps, 1)],
        "invitations": [invite(i, 1, sent_at=at) for i, at in enumerate(stamps, 1)],
    }
    cfg = config()
    cases = [
        # (wall clock, stamps in the future) by hand
        (T, 4),  # a live run: every stamp but T + 4 minutes
        (T - HOUR, 4),  # T ahead of the clock: T still decides
        (T + HOUR, 3),  # T + 6 minutes is before the clock now; T + 1 day is not
        (T + DAY - 5 * MINUTE, 2),  # T + 1 day is exactly 5 minutes after it: not "more"
        (T + 30 * DAY, 1),  # a month later: only 6 minutes after the clock
        (T + 60 * DAY, 0),  # long after: a past T counts no later row
    ]
    for wall, stamps_in_future in cases:
        ev = run(db_url, T, cfg, wall=wall, **tables)
        truncate(db_url)
        got = ev.value("execmetrics_data_quality_issues", check="timestamp_in_future")
        assert got == 4 * stamps_in_future, wall
        out = oracle.compute(oracle.settings_of(cfg), T, wall=wall, **tables)
        key = oracle.key("data_quality_issues", check="timestamp_in_future")
        assert out[key] == 4 * stamps_in_future, wall
