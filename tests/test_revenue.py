"""Revenue (SPEC §3) on tiny datasets, every expected number computed by hand.

contrib(s, t) = amount_minor / interval_months / 100 x fx(s) when
started_at <= t < coalesce(ended_at, inf) and (trial_ends_at IS NULL OR trial_ends_at <= t).
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest import approx

from tests.instants import DAY, HOUR, SECOND, T, ts
from tests.support import config, rate, run, sub, supplier, with_suppliers

SHARED_DATABASE = True  # see conftest's db_url


M1 = ts("2024-05-15 12:00")  # UTC reporting zone: one calendar month back
MRR = "execmetrics_mrr"
GBP = {"currency": "GBP"}


KINDS = ("new", "reactivation", "expansion", "contraction", "churn")


def movements(ev, currency: str = "GBP") -> dict[str, float | None]:
    return {k: ev.value("execmetrics_mrr_movement", currency=currency, movement=k) for k in KINDS}


def moved(**amounts: float) -> dict[str, Any]:
    """The movements expected: these amounts, every other kind 0."""
    assert set(amounts) <= set(KINDS), amounts
    return {k: approx(amounts.get(k, 0.0)) for k in KINDS}


def ratios(ev) -> dict[str, float | None]:
    return {
        n: ev.value(f"execmetrics_{n}")
        for n in (
            "mrr_growth_ratio",
            "customer_churn_ratio",
            "revenue_churn_ratio",
            "net_revenue_retention_ratio",
        )
    }


def test_single_monthly_subscription(db_url: str) -> None:
    subs = [sub(1, 1, amount_minor=2999, started_at=ts("2024-01-01 00:00"))]
    ev = run(db_url, T, **with_suppliers(subs))
    # 2999 / 1 / 100 = 29.99 at T and at M1.
    assert ev.value(MRR, **GBP) == approx(29.99)
    assert ev.value("execmetrics_arr", **GBP) == approx(12 * 29.99)  # 359.88
    assert ev.value("execmetrics_paying_suppliers") == 1
    assert ev.value("execmetrics_arpa", **GBP) == approx(29.99)
    assert ev.value("execmetrics_mrr_by_plan", currency="GBP", plan="basic") == approx(29.99)
    assert ev.value("execmetrics_mrr_growth_ratio") == approx(0.0)
    assert ev.value("execmetrics_customer_churn_ratio") == approx(0.0)
    assert ev.value("execmetrics_revenue_churn_ratio") == approx(0.0)
    assert ev.value("execmetrics_net_revenue_retention_ratio") == approx(1.0)
    assert movements(ev) == moved()


def test_interval_months_1_3_12_and_fractional_pence(db_url: str) -> None:
    start = ts("2024-01-01 00:00")
    ev = run(
        db_url,
        T,
        suppliers=[supplier(i) for i in (1, 2, 3, 4)],
        subscriptions=[
            sub(1, 1, amount_minor=1500, interval_months=1, started_at=start, plan="monthly"),
            sub(2, 2, amount_minor=4500, interval_months=3, started_at=start, plan="quarterly"),
            sub(3, 3, amount_minor=18000, interval_months=12, started_at=start, plan="annual"),
            # 1000 / 3 / 100 = 3.3333...: real division, not integer division (would be 3.33).
            sub(4, 4, amount_minor=1000, interval_months=3, started_at=start, plan="odd"),
        ],
    )
    # 15 + 4500/3/100 = 15 + 18000/12/100 = 15 + 10/3 -> 15 + 15 + 15 + 3.3333 = 48.3333
    assert ev.value(MRR, **GBP) == approx(45 + 10 / 3)
    assert ev.value("execmetrics_arr", **GBP) == approx(12 * (45 + 10 / 3))  # 580
    by_plan = ev.series("execmetrics_mrr_by_plan")
    assert by_plan == {
        (("currency", "GBP"), ("plan", "monthly")): approx(15.0),
        (("currency", "GBP"), ("plan", "quarterly")): approx(15.0),
        (("currency", "GBP"), ("plan", "annual")): approx(15.0),
        (("currency", "GBP"), ("plan", "odd")): approx(10 / 3),
    }
    assert ev.value("execmetrics_paying_suppliers") == 4
    assert ev.value("execmetrics_arpa", **GBP) == approx((45 + 10 / 3) / 4)  # 12.0833


def test_live_boundaries_at_t(db_url: str) -> None:
    long_ago = ts("2024-01-01 00:00")
    ev = run(
        db_url,
        T,
        suppliers=[supplier(i) for i in range(1, 8)],
        subscriptions=[
            sub(1, 1, amount_minor=100, started_at=T),  # started_at = T: live
            sub(2, 2, amount_minor=200, started_at=long_ago, ended_at=T),  # ended_at = T: not
            sub(3, 3, amount_minor=400, started_at=long_ago, trial_ends_at=T),  # trial ends at T
            sub(4, 4, amount_minor=800, started_at=long_ago, trial_ends_at=T + SECOND),  # trial
            sub(5, 5, amount_minor=1600, started_at=T + SECOND),  # not started yet
            sub(6, 6, amount_minor=3200, started_at=long_ago, ended_at=T + SECOND),  # live
            sub(7, 7, amount_minor=6400, started_at=long_ago, ended_at=T - SECOND),  # ended
        ],
    )
    # live at T: rows 1 (1.00), 3 (4.00), 6 (32.00) -> 37.00
    assert ev.value(MRR, **GBP) == approx(37.0)
    assert ev.value("execmetrics_paying_suppliers") == 3
    assert ev.value("execmetrics_arpa", **GBP) == approx(37.0 / 3)


def test_two_concurrent_subscriptions_one_supplier(db_url: str) -> None:
    start = ts("2024-01-01 00:00")
    ev = run(
        db_url,
        T,
        suppliers=[supplier(1), supplier(2)],
        subscriptions=[
            sub(1, 1, amount_minor=2000, started_at=start, plan="pro"),
            sub(2, 1, amount_minor=500, started_at=start, plan="addon"),
            sub(3, 2, amount_minor=1000, started_at=start, plan="pro"),
        ],
    )
    # MRR = 20 + 5 + 10 = 35, two paying suppliers, ARPA = 17.5
    assert ev.value(MRR, **GBP) == approx(35.0)
    assert ev.value("execmetrics_paying_suppliers") == 2
    assert ev.value("execmetrics_arpa", **GBP) == approx(17.5)
    assert ev.value("execmetrics_mrr_by_plan", currency="GBP", plan="pro") == approx(30.0)
    assert ev.value("execmetrics_mrr_by_plan", currency="GBP", plan="addon") == approx(5.0)


def test_every_movement_kind_and_the_identity(db_url: str) -> None:
    jan, mar, jun = ts("2024-01-01 00:00"), ts("2024-03-01 00:00"), ts("2024-06-01 00:00")
    subs = [
        # 1 new: nothing before, 20.00 from 1 Jun.                       new 20
        sub(1, 1, amount_minor=2000, started_at=jun),
        # 2 reactivation: paid Jan-Mar, 15.00 again from 1 Jun.          reactivation 15
        sub(2, 2, amount_minor=900, started_at=jan, ended_at=mar),
        sub(3, 2, amount_minor=1500, started_at=jun),
        # 3 expansion: 10.00 until 1 Jun, then 25.00.                    expansion 15
        sub(4, 3, amount_minor=1000, started_at=jan, ended_at=jun, plan="basic"),
        sub(5, 3, amount_minor=2500, started_at=jun, plan="pro"),
        # 4 contraction: 30.00 until 1 Jun, then 12.00.                  contraction 18
        sub(6, 4, amount_minor=3000, started_at=jan, ended_at=jun, plan="pro"),
        sub(7, 4, amount_minor=1200, started_at=jun, plan="basic"),
        # 5 churn: 40.00 until 1 Jun.                                    churn 40
        sub(8, 5, amount_minor=4000, started_at=jan, ended_at=jun, plan="pro"),
        # 6 steady 50.00.                                               no movement
        sub(9, 6, amount_minor=5000, started_at=jan, plan="pro"),
    ]
    ev = run(db_url, T, suppliers=[supplier(i) for i in range(1, 7)], subscriptions=subs)
    # MRR(M1) = 10 + 30 + 40 + 50 = 130; MRR(T) = 20 + 15 + 25 + 12 + 50 = 122
    assert ev.value(MRR, **GBP) == approx(122.0)
    mv = movements(ev)
    assert mv == moved(new=20.0, reactivation=15.0, expansion=15.0, contraction=18.0, churn=40.0)
    # identity: 20 + 15 + 15 - 18 - 40 = -8 = 122 - 130
    identity = mv["new"] + mv["reactivation"] + mv["expansion"] - mv["contraction"] - mv["churn"]
    assert identity == approx(122.0 - 130.0)
    assert ratios(ev) == {
        "mrr_growth_ratio": approx(-8 / 130),
        # paying at M1: {3, 4, 5, 6}; not paying at T: {5}
        "customer_churn_ratio": approx(1 / 4),
        "revenue_churn_ratio": approx((40 + 18) / 130),
        # m_x(T) over {3, 4, 5, 6} = 25 + 12 + 0 + 50 = 87
        "net_revenue_retention_ratio": approx(87 / 130),
    }
    assert ev.value("execmetrics_paying_suppliers") == 5
    assert ev.value("execmetrics_arpa", **GBP) == approx(122 / 5)  # 24.4
    # by plan at T: basic 20 + 15 + 12 (s1, s3, s7: "basic" is the builder's default);
    # pro 25 + 50 (s5, s9); ended rows are not live. 47 + 75 = 122 = MRR(T).
    assert ev.series("execmetrics_mrr_by_plan") == {
        (("currency", "GBP"), ("plan", "basic")): approx(47.0),
        (("currency", "GBP"), ("plan", "pro")): approx(75.0),
    }


def test_new_versus_reactivation_edge_cases(db_url: str) -> None:
    jan, jun = ts("2024-01-01 00:00"), ts("2024-06-01 00:00")
    subs = [
        # 1: paid until exactly M1 (not paying at M1, but paid at instants before it),
        #    pays 10 again from 1 Jun: reactivation 10.
        sub(1, 1, amount_minor=700, started_at=jan, ended_at=M1),
        sub(2, 1, amount_minor=1000, started_at=jun),
        # 2: only a trial before M1 (never paid), pays 20 from 1 Jun: new 20.
        sub(
            3,
            2,
            amount_minor=1500,
            started_at=jan,
            trial_ends_at=ts("2024-04-01 00:00"),
            ended_at=ts("2024-03-01 00:00"),
        ),
        sub(4, 2, amount_minor=2000, started_at=jun),
        # 3: only a free plan before M1 (m_x = 0, never paying): new 30.
        sub(5, 3, amount_minor=0, started_at=jan, ended_at=jun, plan="free"),
        sub(6, 3, amount_minor=3000, started_at=jun),
        # 4: before M1 only a row left out of revenue (negative amount): new 40.
        sub(7, 4, amount_minor=-500, started_at=jan, ended_at=ts("2024-02-01 00:00")),
        sub(8, 4, amount_minor=4000, started_at=jun),
        # 5: trial ends exactly at M1: paying at M1 (trial_ends_at <= t), steady 5: nothing.
        sub(9, 5, amount_minor=500, started_at=jan, trial_ends_at=M1),
        # 6: starts exactly at M1 with 6.00 and still pays 6: paying at M1, nothing.
        sub(10, 6, amount_minor=600, started_at=M1),
        # 7: paid a moment before M1 only through a row in a currency without a rate
        #    (left out of revenue), pays 8 from 1 Jun: new 8.
        sub(11, 7, amount_minor=999, currency="CHF", started_at=jan, ended_at=jun),
        sub(12, 7, amount_minor=800, started_at=jun),
    ]
    ev = run(db_url, T, suppliers=[supplier(i) for i in range(1, 8)], subscriptions=subs)
    # MRR(M1) = 5 + 6 = 11; MRR(T) = 10 + 20 + 30 + 40 + 5 + 6 + 8 = 119
    assert ev.value(MRR, **GBP) == approx(119.0)
    mv = movements(ev)
    assert mv == moved(new=20 + 30 + 40 + 8, reactivation=10.0)
    assert ev.value("execmetrics_mrr_growth_ratio") == approx((119 - 11) / 11)
    assert ev.value("execmetrics_customer_churn_ratio") == approx(0.0)
    assert ev.value("execmetrics_net_revenue_retention_ratio") == approx(1.0)


def test_m1_clipped_on_31_march_across_dst_in_london(db_url: str) -> None:
    # T = 31 Mar 2024 10:00 BST = 09:00Z. M1 = 29 Feb 2024 10:00 GMT = 10:00Z
    # (a month back in UTC would give 29 Feb 09:00Z; 30 days back would give 1 Mar).
    t = ts("2024-03-31 10:00", "Europe/London")
    m1 = ts("2024-02-29 10:00")
    subs = [
        # 1: started 09:30Z on 29 Feb: live at M1 (10:00Z), 10.00 both sides: nothing.
        sub(1, 1, amount_minor=1000, started_at=ts("2024-02-29 09:30")),
        # 2: ended exactly at M1: not paying at M1 nor at T: nothing.
        sub(2, 2, amount_minor=2000, started_at=ts("2024-01-01 00:00"), ended_at=m1),
        # 3: started exactly at M1: paying at M1, 5.00 both sides: nothing.
        sub(3, 3, amount_minor=500, started_at=m1),
        # 4: ended at 09:30Z on 29 Feb, back from 1 Mar: reactivation 7.
        sub(
            4,
            4,
            amount_minor=700,
            started_at=ts("2024-01-01 00:00"),
            ended_at=ts("2024-02-29 09:30"),
        ),
        sub(5, 4, amount_minor=700, started_at=ts("2024-03-01 00:00")),
    ]
    ev = run(
        db_url,
        t,
        config(tz="Europe/London"),
        suppliers=[supplier(i) for i in range(1, 5)],
        subscriptions=subs,
    )
    # MRR(M1) = 10 + 5 = 15; MRR(T) = 10 + 5 + 7 = 22
    assert ev.value(MRR, **GBP) == approx(22.0)
    assert movements(ev) == moved(reactivation=7.0)
    assert ev.value("execmetrics_mrr_growth_ratio") == approx((22 - 15) / 15)
    assert ev.value("execmetrics_customer_churn_ratio") == approx(0.0)
    assert ev.value("execmetrics_net_revenue_retention_ratio") == approx(1.0)


def test_multi_currency_period_keeps_the_rate_at_its_start(db_url: str) -> None:
    rates = [
        rate("EUR", "2024-01-01", "0.80"),
        rate("EUR", "2024-03-10", "0.90"),  # valid_from = start date of sub 2: applies
        rate("EUR", "2024-06-01", "0.95"),  # after every start: changes nothing
        rate("USD", "2023-12-31", "0.75"),
    ]
    subs = [
        # 100.00 EUR from 15 Feb: rate of 1 Jan = 0.80 -> 80.00 at M1 and at T.
        sub(1, 1, amount_minor=10000, currency="EUR", started_at=ts("2024-02-15 00:00")),
        # 50.00 EUR from 10 Mar 00:00: rate of 10 Mar = 0.90 -> 45.00.
        sub(2, 2, amount_minor=5000, currency="EUR", started_at=ts("2024-03-10 00:00")),
        # 120.00 USD a year from 1 Jan: 10.00 USD/month x 0.75 = 7.50.
        sub(
            3,
            3,
            amount_minor=12000,
            currency="USD",
            interval_months=12,
            started_at=ts("2024-01-01 00:00"),
        ),
        # 20.00 GBP: rate 1.
        sub(4, 4, amount_minor=2000, started_at=ts("2024-01-01 00:00")),
        # 30.00 EUR started 2 Jun (rate 0.95 from 1 Jun) -> 28.50, new.
        sub(5, 5, amount_minor=3000, currency="EUR", started_at=ts("2024-06-02 00:00")),
    ]
    ev = run(
        db_url,
        T,
        suppliers=[supplier(i) for i in range(1, 6)],
        subscriptions=subs,
        fx_rates=rates,
    )
    # MRR(M1) = 80 + 45 + 7.5 + 20 = 152.5; MRR(T) = 152.5 + 28.5 = 181
    # No movement from the 1 Jun rate change: only the new subscription moves.
    assert ev.value(MRR, **GBP) == approx(181.0)
    assert movements(ev) == moved(new=28.5)
    assert ev.value("execmetrics_mrr_growth_ratio") == approx(28.5 / 152.5)
    assert ev.value("execmetrics_net_revenue_retention_ratio") == approx(1.0)
    assert ev.value("execmetrics_arpa", **GBP) == approx(181 / 5)


def test_price_change_in_another_currency_moves_only_by_the_price(db_url: str) -> None:
    rates = [rate("EUR", "2024-01-01", "0.80"), rate("EUR", "2024-06-01", "1.00")]
    subs = [
        # 100 EUR from Jan (0.80) -> 80.00 at M1; replaced on 5 Jun by 100 EUR at 1.00 -> 100.
        # The SPEC's rule puts the new period on its own start-date rate: expansion 20.
        sub(
            1,
            1,
            amount_minor=10000,
            currency="EUR",
            started_at=ts("2024-01-01 00:00"),
            ended_at=ts("2024-06-05 00:00"),
        ),
        sub(2, 1, amount_minor=10000, currency="EUR", started_at=ts("2024-06-05 00:00")),
        # 50 EUR from Jan, never changed: 40.00 both sides even though the rate is now 1.
        sub(3, 2, amount_minor=5000, currency="EUR", started_at=ts("2024-01-01 00:00")),
    ]
    ev = run(db_url, T, suppliers=[supplier(1), supplier(2)], subscriptions=subs, fx_rates=rates)
    # MRR(M1) = 80 + 40 = 120; MRR(T) = 100 + 40 = 140
    assert ev.value(MRR, **GBP) == approx(140.0)
    assert movements(ev)["expansion"] == approx(20.0)
    assert ev.value("execmetrics_mrr_growth_ratio") == approx(20 / 120)


def test_fx_uses_the_local_start_date(db_url: str) -> None:
    # Started 30 Jun 2024 23:30Z = 1 Jul 00:30 BST. In Europe/London the start date is 1 Jul,
    # so the 1 Jul rate (1.00) applies, not the 30 Jun one (0.50).
    rates = [rate("EUR", "2024-06-30", "0.50"), rate("EUR", "2024-07-01", "1.00")]
    subs = [sub(1, 1, amount_minor=4000, currency="EUR", started_at=ts("2024-06-30 23:30"))]
    t = ts("2024-07-10 12:00")
    ev = run(
        db_url,
        t,
        config(tz="Europe/London"),
        suppliers=[supplier(1)],
        subscriptions=subs,
        fx_rates=rates,
    )
    assert ev.value(MRR, **GBP) == approx(40.0)  # 40 EUR x 1.00


def test_fx_uses_the_utc_start_date_in_utc(db_url: str) -> None:
    # Same rows, reporting zone UTC: start date 30 Jun -> rate 0.50 -> 20.00.
    rates = [rate("EUR", "2024-06-30", "0.50"), rate("EUR", "2024-07-01", "1.00")]
    subs = [sub(1, 1, amount_minor=4000, currency="EUR", started_at=ts("2024-06-30 23:30"))]
    ev = run(
        db_url,
        ts("2024-07-10 12:00"),
        suppliers=[supplier(1)],
        subscriptions=subs,
        fx_rates=rates,
    )
    assert ev.value(MRR, **GBP) == approx(20.0)


def test_reporting_currency_other_than_gbp(db_url: str) -> None:
    rates = [rate("GBP", "2024-01-01", "1.25")]
    subs = [
        sub(1, 1, amount_minor=1000, currency="EUR", started_at=ts("2024-01-01 00:00")),
        sub(2, 2, amount_minor=2000, currency="GBP", started_at=ts("2024-01-01 00:00")),
    ]
    ev = run(db_url, T, config(currency="EUR"), fx_rates=rates, **with_suppliers(subs))
    # EUR is the reporting currency (rate 1): 10.00 + 20.00 GBP x 1.25 = 35.00 EUR
    assert ev.value(MRR, currency="EUR") == approx(35.0)
    assert ev.value(MRR, currency="GBP") is None
    assert ev.value("execmetrics_arpa", currency="EUR") == approx(17.5)


def test_bad_rows_left_out_of_every_revenue_number(db_url: str) -> None:
    jan = ts("2024-01-01 00:00")
    subs = [
        sub(1, 1, amount_minor=1000, started_at=jan, plan="basic"),  # fine: 10.00
        sub(2, 1, amount_minor=-500, started_at=jan, plan="basic"),  # negative: out
        sub(3, 2, amount_minor=9900, currency="CHF", started_at=jan, plan="pro"),  # no rate
        # a rate exists, but only from after the start date: no rate for it -> out
        sub(4, 3, amount_minor=9900, currency="EUR", started_at=jan, plan="pro"),
        # ended before it started: out (even though "live" by a naive reading at M1)
        sub(
            5,
            4,
            amount_minor=9900,
            started_at=ts("2024-06-10 00:00"),
            ended_at=ts("2024-01-10 00:00"),
            plan="pro",
        ),
        sub(6, 5, amount_minor=0, started_at=jan, plan="free"),  # free: 0, never paying
    ]
    ev = run(
        db_url,
        T,
        suppliers=[supplier(i) for i in range(1, 6)],
        subscriptions=subs,
        fx_rates=[rate("EUR", "2024-02-01", "0.9")],
    )
    assert ev.value(MRR, **GBP) == approx(10.0)
    assert ev.value("execmetrics_paying_suppliers") == 1
    assert ev.value("execmetrics_arpa", **GBP) == approx(10.0)
    assert ev.series("execmetrics_mrr_by_plan") == {
        (("currency", "GBP"), ("plan", "basic")): approx(10.0),
        (("currency", "GBP"), ("plan", "free")): approx(0.0),
    }
    assert movements(ev) == moved()
    assert ev.value("execmetrics_net_revenue_retention_ratio") == approx(1.0)
    q = {
        c: ev.value("execmetrics_data_quality_issues", check=c)
        for c in (
            "subscription_negative_amount",
            "subscription_missing_fx_rate",
            "subscription_ended_before_started",
        )
    }
    assert q == {
        "subscription_negative_amount": 1,
        "subscription_missing_fx_rate": 2,  # CHF, and EUR before its first rate
        "subscription_ended_before_started": 1,
    }


def test_mrr_by_plan_presence(db_url: str) -> None:
    jan = ts("2024-01-01 00:00")
    subs = [
        sub(1, 1, amount_minor=1000, started_at=jan, plan="basic"),
        sub(2, 2, amount_minor=0, started_at=jan, plan="free"),  # live free plan: 0
        sub(3, 3, amount_minor=5000, started_at=jan, trial_ends_at=T + DAY, plan="trialplan"),
        sub(4, 4, amount_minor=5000, started_at=jan, ended_at=T - HOUR, plan="gone"),
        sub(5, 5, amount_minor=5000, started_at=T + HOUR, plan="future"),
        sub(6, 6, amount_minor=5000, currency="CHF", started_at=jan, plan="norate"),
    ]
    ev = run(db_url, T, suppliers=[supplier(i) for i in range(1, 7)], subscriptions=subs)
    assert ev.series("execmetrics_mrr_by_plan") == {
        (("currency", "GBP"), ("plan", "basic")): approx(10.0),
        (("currency", "GBP"), ("plan", "free")): approx(0.0),
    }


def test_no_mrr_at_m1_makes_the_ratios_absent(db_url: str) -> None:
    # Only a subscription started after M1: MRR(M1) = 0 -> no growth, churn, NRR series.
    subs = [sub(1, 1, amount_minor=1000, started_at=ts("2024-06-01 00:00"))]
    ev = run(db_url, T, **with_suppliers(subs))
    assert ev.value(MRR, **GBP) == approx(10.0)
    assert ratios(ev) == dict.fromkeys(ratios(ev))  # every ratio is None: absent
    assert movements(ev)["new"] == approx(10.0)
    assert ev.value("execmetrics_arpa", **GBP) == approx(10.0)


def test_nothing_paying_at_all(db_url: str) -> None:
    # A free plan at M1 and at T: MRR(M1) = 0 -> ratios absent; no payer -> ARPA absent.
    ev = run(
        db_url,
        T,
        suppliers=[supplier(1)],
        subscriptions=[sub(1, 1, amount_minor=0, started_at=ts("2024-01-01"), plan="free")],
    )
    assert ev.value(MRR, **GBP) == 0.0
    assert ev.value("execmetrics_arr", **GBP) == 0.0
    assert ev.value("execmetrics_paying_suppliers") == 0.0
    assert ev.value("execmetrics_arpa", **GBP) is None
    assert ratios(ev) == dict.fromkeys(ratios(ev))
    assert movements(ev) == moved()
    assert ev.value("execmetrics_mrr_by_plan", currency="GBP", plan="free") == 0.0


def test_empty_database(db_url: str) -> None:
    ev = run(db_url, T)
    assert ev.value(MRR, **GBP) == 0.0
    assert ev.value("execmetrics_arr", **GBP) == 0.0
    assert ev.value("execmetrics_paying_suppliers") == 0.0
    assert ev.value("execmetrics_arpa", **GBP) is None
    assert ratios(ev) == dict.fromkeys(ratios(ev))
    assert ev.series("execmetrics_mrr_by_plan") == {}
    assert movements(ev) == {k: 0.0 for k in movements(ev)}


def test_all_churned(db_url: str) -> None:
    jan = ts("2024-01-01 00:00")
    subs = [
        sub(1, 1, amount_minor=1000, started_at=jan, ended_at=ts("2024-06-01 00:00")),
        sub(2, 2, amount_minor=3000, started_at=jan, ended_at=T),  # ends exactly at T
    ]
    ev = run(db_url, T, suppliers=[supplier(1), supplier(2)], subscriptions=subs)
    # MRR(M1) = 40, MRR(T) = 0: growth -1, customer churn 2/2, revenue churn 40/40, NRR 0.
    assert ev.value(MRR, **GBP) == 0.0
    assert ratios(ev) == {
        "mrr_growth_ratio": approx(-1.0),
        "customer_churn_ratio": approx(1.0),
        "revenue_churn_ratio": approx(1.0),
        "net_revenue_retention_ratio": approx(0.0),
    }
    assert movements(ev)["churn"] == approx(40.0)
    assert ev.value("execmetrics_arpa", **GBP) is None
    assert ev.value("execmetrics_paying_suppliers") == 0


@pytest.mark.parametrize("interval", [1, 3, 12])
def test_interval_in_movements(db_url: str, interval: int) -> None:
    # 1200 x interval pence per `interval` months = 12.00 a month whatever the interval;
    # upgraded from 1 Jun to 2400 x interval: expansion 12.
    jan, jun = ts("2024-01-01 00:00"), ts("2024-06-01 00:00")
    subs = [
        sub(
            1,
            1,
            amount_minor=1200 * interval,
            interval_months=interval,
            started_at=jan,
            ended_at=jun,
        ),
        sub(2, 1, amount_minor=2400 * interval, interval_months=interval, started_at=jun),
    ]
    ev = run(db_url, T, suppliers=[supplier(1)], subscriptions=subs)
    assert ev.value(MRR, **GBP) == approx(24.0)
    assert movements(ev)["expansion"] == approx(12.0)
    assert ev.value("execmetrics_mrr_growth_ratio") == approx(1.0)
    assert ev.value("execmetrics_net_revenue_retention_ratio") == approx(2.0)


def test_revenue_does_not_look_at_the_suppliers_table(db_url: str) -> None:
    # Reading R2 (tests/oracle.py): MRR(t) = Σ contrib(s, t) over every valid subscription
    # row, whatever the suppliers table says: a deleted supplier's live row still counts,
    # and so does a row whose supplier has no row at all.
    jan = ts("2024-01-01 00:00")
    subs = [
        sub(1, 1, amount_minor=1000, started_at=jan),
        sub(2, 2, amount_minor=2000, started_at=jan),
    ]
    suppliers = [supplier(1, deleted_at=ts("2024-06-01 00:00"))]
    ev = run(db_url, T, suppliers=suppliers, subscriptions=subs)
    assert ev.value(MRR, **GBP) == approx(30.0)
    assert ev.value("execmetrics_paying_suppliers") == 2
