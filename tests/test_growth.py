"""Growth accounting and the marketplace (SPEC §6) on tiny datasets, computed by hand.

Each test states its expected numbers, checks the engine against them, and checks that
the oracle (tests/oracle.py) reads the same data the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pytest import approx

from exporter.config import parse_config
from exporter.instant import cohorts_before
from tests import oracle
from tests.instants import DAY, SECOND, T, d, ts
from tests.support import couple, emptied, invite, run, session, sub, supplier

SHARED_DATABASE = True  # see conftest's db_url

M1 = ts("2024-05-15 12:00")  # UTC: one calendar month back
GBP = {"currency": "GBP"}
P = "execmetrics_"


def cfg(tz: str = "UTC", quiet: str | None = None, **targets: Any) -> Any:
    data: dict[str, Any] = {"reporting": {"timezone": tz}}
    if quiet is not None:
        targets["at_risk_quiet_period"] = quiet
    if targets:
        data["targets"] = targets
    return parse_config(data)


def both(url: str, t: datetime, config: Any = None, **tables: Any) -> tuple[Any, dict]:
    """The engine's evaluation and the oracle's §6 series for the same rows."""
    config = config if config is not None else cfg()
    ev = run(emptied(url), t, config, **tables)
    expected = oracle.compute_growth(oracle.settings_of(config), t, **tables)
    return ev, expected


def agree(ev: Any, expected: dict, name: str, **labels: str) -> float | None:
    """The engine's value, after checking that the oracle says the same."""
    got = ev.value(P + name, **labels)
    want = expected.get(oracle.key(name, **labels))
    assert (got is None) == (want is None), (name, labels, got, want)
    if got is not None:
        assert got == approx(want, rel=1e-9, abs=1e-9), (name, labels)
    return got


# --------------------------------------------------------------------------- LTV, trials


def test_ltv_is_arpa_over_customer_churn(db_url: str) -> None:
    old = ts("2024-01-01 00:00")
    subs = [
        sub(1, 1, amount_minor=3000, started_at=old),  # paying at M1 and T: 30
        sub(2, 2, amount_minor=5000, started_at=old, ended_at=T - DAY),  # churned
        sub(3, 3, amount_minor=1000, started_at=old),  # 10
        sub(4, 4, amount_minor=2000, started_at=old),  # 20
    ]
    ev, ex = both(db_url, T, subscriptions=subs)
    # ARPA = (30 + 10 + 20) / 3 = 20; customer churn = 1 / 4; LTV = 80.
    assert agree(ev, ex, "ltv", **GBP) == approx(80.0)
    assert ev.value(P + "arpa", **GBP) / ev.value(P + "customer_churn_ratio") == approx(80.0)


def test_ltv_absent_without_churn_or_payers(db_url: str) -> None:
    old = ts("2024-01-01 00:00")
    ev, ex = both(db_url, T, subscriptions=[sub(1, 1, started_at=old)])
    assert agree(ev, ex, "ltv", **GBP) is None  # churn 0
    ev, ex = both(db_url, T, subscriptions=[sub(1, 1, started_at=old, ended_at=T - DAY)])
    assert agree(ev, ex, "ltv", **GBP) is None  # churn 1 but no payer at T: ARPA absent


def test_trial_conversion_edges(db_url: str) -> None:
    start = ts("2024-04-01 00:00")
    subs = [
        # trial ends exactly at M1: outside (M1, T]
        sub(1, 1, started_at=start, trial_ends_at=M1),
        # trial ends exactly at T: inside, row goes on: converted
        sub(2, 2, started_at=start, trial_ends_at=T),
        # trial ends when its row ends: not converted
        sub(3, 3, started_at=start, trial_ends_at=M1 + DAY, ended_at=M1 + DAY),
        # row ends after the trial (even after T): converted
        sub(4, 4, started_at=start, trial_ends_at=M1 + DAY, ended_at=T + DAY),
        # row ends before its trial ends: not converted
        sub(5, 5, started_at=start, trial_ends_at=M1 + 2 * DAY, ended_at=M1 + DAY),
        # trial "ends" when the row starts: no trial at all, left out
        sub(6, 6, started_at=M1 + DAY, trial_ends_at=M1 + DAY),
        # a free row (mrr 0) is not a revenue row: left out
        sub(7, 7, amount_minor=0, started_at=start, trial_ends_at=M1 + DAY),
        # trial ends one second after T: not yet
        sub(8, 8, started_at=start, trial_ends_at=T + SECOND),
    ]
    ev, ex = both(db_url, T, subscriptions=subs)
    # rows 2, 3, 4, 5 qualify; 2 and 4 converted: 2 / 4.
    assert agree(ev, ex, "trial_conversion_ratio") == approx(0.5)


def test_trial_conversion_absent_without_trials(db_url: str) -> None:
    ev, ex = both(db_url, T, subscriptions=[sub(1, 1, started_at=ts("2024-01-01 00:00"))])
    assert agree(ev, ex, "trial_conversion_ratio") is None


# --------------------------------------------------------------------------- the loop


@pytest.mark.parametrize(
    ("lags", "p50", "p90"),
    [
        ([100], 100.0, 100.0),
        ([100, 300], 200.0, 280.0),  # 100 + 0.9 x 200
        # 10 values 10..100: p50 at rank 4.5 -> 55; p90 at rank 8.1 -> 91
        ([10 * k for k in range(10, 0, -1)], 55.0, 91.0),
    ],
)
def test_cycle_time_interpolates_between_closest_ranks(
    db_url: str, lags: list[int], p50: float, p90: float
) -> None:
    invitations = [
        invite(i, 1, T - DAY - timedelta(seconds=lag), accepted_at=T - DAY)
        for i, lag in enumerate(lags, start=1)
    ]
    ev, ex = both(db_url, T, invitations=invitations)
    assert agree(ev, ex, "viral_cycle_time_seconds", window="30d", quantile="0.5") == approx(p50)
    assert agree(ev, ex, "viral_cycle_time_seconds", window="30d", quantile="0.9") == approx(p90)


def test_cycle_time_window_is_on_accepted_at(db_url: str) -> None:
    invitations = [
        invite(1, 1, T - 40 * DAY, accepted_at=T - 29 * DAY),  # sent before W: counts, 11 days
        invite(2, 1, T - 31 * DAY, accepted_at=T - 30 * DAY),  # accepted at the edge: out
        invite(3, 1, T - DAY, accepted_at=T - DAY - SECOND),  # accepted before sent: out
        invite(4, 1, T - DAY, accepted_at=T + SECOND),  # after T: out
        invite(5, 1, T - DAY),  # never accepted
    ]
    ev, ex = both(db_url, T, invitations=invitations)
    lag = 11 * 86400.0
    assert agree(ev, ex, "viral_cycle_time_seconds", window="30d", quantile="0.5") == lag
    assert agree(ev, ex, "viral_cycle_time_seconds", window="30d", quantile="0.9") == lag
    ev, ex = both(db_url, T, invitations=invitations[1:])
    assert agree(ev, ex, "viral_cycle_time_seconds", window="30d", quantile="0.5") is None


def test_k_unique_counts_each_couple_once_and_liquidity(db_url: str) -> None:
    old = ts("2024-01-01 00:00")
    subs = [sub(1, 1, started_at=old), sub(2, 2, started_at=old), sub(3, 3, started_at=old)]
    sessions = [
        session(1, T - DAY, supplier_id=1),
        session(2, T - DAY, supplier_id=2),
        session(3, T - DAY, couple_id=10),
        session(4, T - DAY, couple_id=11),
        session(5, T - DAY, couple_id=12),
        session(6, T - 31 * DAY, couple_id=13),  # not active in W
    ]
    invitations = [
        # couple 10 accepted twice (from suppliers 1 and 2): one couple for K-unique
        invite(1, 1, T - 2 * DAY, accepted_at=T - DAY, couple_id=10),
        invite(2, 2, T - 2 * DAY, accepted_at=T - DAY, couple_id=10),
        # couple 11 accepted long ago from supplier 4, who does not pay at T
        invite(3, 4, T - 90 * DAY, accepted_at=T - 80 * DAY, couple_id=11),
        # couple 12 accepted long ago from supplier 3 (paying): liquid; outside K's window
        invite(4, 3, T - 90 * DAY, accepted_at=T - 80 * DAY, couple_id=12),
    ]
    ev, ex = both(db_url, T, subscriptions=subs, user_sessions=sessions, invitations=invitations)
    assert ev.value(P + "viral_coefficient", window="30d") == approx(1.0)  # 2 accepted / 2
    assert agree(ev, ex, "viral_coefficient_unique", window="30d") == approx(0.5)  # 1 / 2
    # couples active in W: 10, 11, 12; linked to a paying supplier: 10, 12
    assert agree(ev, ex, "marketplace_liquidity_ratio", side="couple") == approx(2 / 3)
    # paying suppliers 1, 2, 3; with an acceptance in W: 1, 2
    assert agree(ev, ex, "marketplace_liquidity_ratio", side="supplier") == approx(2 / 3)


def test_k_unique_zero_when_none_accepted_and_absent_without_actives(db_url: str) -> None:
    ev, ex = both(db_url, T, user_sessions=[session(1, T - DAY, supplier_id=1)])
    assert agree(ev, ex, "viral_coefficient_unique", window="30d") == 0
    assert agree(ev, ex, "marketplace_liquidity_ratio", side="couple") is None
    assert agree(ev, ex, "marketplace_liquidity_ratio", side="supplier") is None
    ev, ex = both(db_url, T, invitations=[invite(1, 1, T - DAY, accepted_at=T)])
    assert agree(ev, ex, "viral_coefficient_unique", window="30d") is None


# --------------------------------------------------------------------------- money at stake


def test_mrr_at_risk_fourteen_day_edge(db_url: str) -> None:
    old = ts("2024-01-01 00:00")
    edge = T - 14 * DAY
    subs = [sub(i, i, amount_minor=1000 * i, started_at=old) for i in range(1, 7)]
    sessions = [
        session(1, edge, supplier_id=1),  # exactly 14 days ago: outside, at risk (10)
        session(2, edge + SECOND, supplier_id=2),  # inside: safe
        session(3, T, supplier_id=3),  # at T: safe
        session(4, T - DAY, supplier_id=4, couple_id=4),  # not a valid session: at risk (40)
    ]
    invitations = [
        invite(1, 5, edge + SECOND),  # sent inside: safe
        invite(2, 6, edge),  # sent exactly 14 days ago: at risk (60)
    ]
    ev, ex = both(db_url, T, subscriptions=subs, user_sessions=sessions, invitations=invitations)
    assert agree(ev, ex, "mrr_at_risk", **GBP) == approx(10 + 40 + 60)
    # A shorter quiet period from config: 7 days. Only supplier 3 (a session at T) has
    # been heard from in (T - 7d, T].
    ev, ex = both(
        db_url, T, cfg(quiet="7d"), subscriptions=subs, user_sessions=sessions,
        invitations=invitations,
    )  # fmt: skip
    assert agree(ev, ex, "mrr_at_risk", **GBP) == approx(10 + 20 + 40 + 50 + 60)
    assert ev.value(P + "target", metric="at_risk_quiet_period_seconds") == 7 * 86400


def test_mrr_at_risk_is_zero_when_nobody_pays(db_url: str) -> None:
    ev, ex = both(db_url, T)
    assert agree(ev, ex, "mrr_at_risk", **GBP) == 0


# --------------------------------------------------------------------------- couples


def test_wedding_on_t_local_date_is_planning(db_url: str) -> None:
    # 23:30 UTC on 14 June is 00:30 on 15 June in London: T's local date is 15 June.
    t = ts("2024-06-14 23:30")
    couples = [
        couple(1, wedding_date=d("2024-06-15")),  # on T's local date: planning
        couple(2, wedding_date=d("2024-06-14")),  # the UTC date, before local: married
        couple(3, wedding_date=None),  # unknown
        couple(4, wedding_date=d("2025-01-01")),  # planning
        couple(5, wedding_date=d("2024-06-15"), deleted_at=t),  # deleted at T: not counted
        couple(6, wedding_date=None, created_at=t + SECOND),  # not yet registered
    ]
    ev, ex = both(db_url, t, cfg("Europe/London"), couples=couples)
    got = {s: agree(ev, ex, "couples", stage=s) for s in ("planning", "married", "unknown")}
    assert got == {"planning": 2, "married": 1, "unknown": 1}
    ev, ex = both(db_url, t, cfg("UTC"), couples=couples)
    got = {s: agree(ev, ex, "couples", stage=s) for s in ("planning", "married", "unknown")}
    assert got == {"planning": 3, "married": 0, "unknown": 1}


# --------------------------------------------------------------------------- books balance


def test_reconciliation_residuals_are_zero(db_url: str) -> None:
    old = ts("2024-01-01 00:00")
    subs = [
        sub(1, 1, amount_minor=1001, started_at=old, interval_months=3, plan="pro"),
        sub(2, 1, amount_minor=333, started_at=M1 + DAY, interval_months=12, plan="basic"),
        sub(3, 2, amount_minor=777, started_at=old, ended_at=M1 + DAY, plan="basic"),
        sub(4, 3, amount_minor=999, started_at=M1 + SECOND, plan="x"),
    ]
    ev, ex = both(db_url, T, subscriptions=subs)
    for check in ("movements", "by_plan"):
        assert agree(ev, ex, "reconciliation_residual", check=check, **GBP) == 0.0
    ev, ex = both(db_url, T)
    for check in ("movements", "by_plan"):
        assert agree(ev, ex, "reconciliation_residual", check=check, **GBP) == 0.0


# --------------------------------------------------------------------------- lifecycle


def lifecycle(ev: Any, ex: dict, user_type: str) -> dict[str, float | None]:
    states = ("new", "returning", "resurrected", "dormant")
    return {s: agree(ev, ex, "user_lifecycle", user_type=user_type, state=s) for s in states}


def test_lifecycle_thirty_and_sixty_day_edges(db_url: str) -> None:
    c, p = T - 30 * DAY, T - 60 * DAY
    couples = [
        couple(1, created_at=c + SECOND),  # created inside C
        couple(2, created_at=c),  # created exactly at T - 30d: not after it
        couple(3),
        couple(4),
        couple(5),
        couple(6),
        couple(7),
    ]
    sessions = [
        session(1, T, couple_id=1),  # new
        session(2, T - DAY, couple_id=2),  # created at the edge: resurrected
        session(3, c + SECOND, couple_id=3),  # in C
        session(4, c, couple_id=3),  # exactly T - 30d: in P -> returning
        session(5, c, couple_id=4),  # in P only: dormant
        session(6, p, couple_id=5),  # exactly T - 60d: in neither
        session(7, p + SECOND, couple_id=6),  # in P only: dormant
        session(8, T - DAY, couple_id=99),  # no couple row: resurrected
        session(9, T - DAY, couple_id=7, supplier_id=7),  # not valid: nobody
        session(10, T + SECOND, couple_id=7),  # after T: nobody
    ]
    ev, ex = both(db_url, T, couples=couples, user_sessions=sessions)
    assert lifecycle(ev, ex, "couple") == {"new": 1, "returning": 1, "resurrected": 2, "dormant": 2}
    assert lifecycle(ev, ex, "supplier") == {
        "new": 0,
        "returning": 0,
        "resurrected": 0,
        "dormant": 0,
    }
    # new + returning + resurrected = active in the last 30 days
    assert ev.value(P + "active_users", user_type="couple", window="30d") == 4


def test_lifecycle_per_side(db_url: str) -> None:
    suppliers = [supplier(1, created_at=T - 5 * DAY), supplier(2, deleted_at=T - DAY)]
    sessions = [
        session(1, T - DAY, supplier_id=1),  # new
        session(2, T - 40 * DAY, supplier_id=2),  # dormant (deleted since: still counted)
        session(3, T - DAY, couple_id=1),  # couple 1 has no row: resurrected
    ]
    ev, ex = both(db_url, T, suppliers=suppliers, user_sessions=sessions)
    assert lifecycle(ev, ex, "supplier") == {
        "new": 1,
        "returning": 0,
        "resurrected": 0,
        "dormant": 1,
    }
    assert lifecycle(ev, ex, "couple")["resurrected"] == 1


# --------------------------------------------------------------------------- cohorts


def test_cohort_months_across_dst_and_a_year_boundary() -> None:
    t = ts("2025-01-15 12:00")
    cohorts = cohorts_before(t, cfg("Europe/London").reporting.zone, 12)
    assert [c.label for c in cohorts] == [f"2024-{m:02d}" for m in range(1, 13)]
    by = {c.label: c for c in cohorts}
    assert by["2024-01"].start == ts("2024-01-01 00:00")  # GMT
    assert by["2024-03"].end == ts("2024-03-31 23:00")  # 1 April 00:00 BST
    assert by["2024-04"].start == ts("2024-03-31 23:00")
    assert by["2024-10"].end == ts("2024-11-01 00:00")  # back on GMT since 27 Oct
    assert by["2024-12"].end == ts("2025-01-01 00:00")
    assert oracle.cohort_labels(t, "Europe/London") == list(by)


def test_supplier_cohorts_by_first_paying_local_month(db_url: str) -> None:
    t = ts("2025-01-15 12:00")
    london = cfg("Europe/London")
    subs = [
        # 31 Mar 23:30 UTC = 1 Apr 00:30 BST: cohort 2024-04; still paying 10
        sub(1, 1, amount_minor=1000, started_at=ts("2024-03-31 23:30")),
        # 31 Mar 22:30 UTC = 23:30 BST: cohort 2024-03; churned
        sub(2, 2, amount_minor=2000, started_at=ts("2024-03-31 22:30"), ended_at=ts("2024-06-01")),
        # a trial: first paying instant is the trial's end, 31 Dec 2024 23:59 GMT -> 2024-12;
        # then an upgrade from 10 to 30
        sub(3, 3, amount_minor=1000, started_at=ts("2024-12-01"),
            trial_ends_at=ts("2024-12-31 23:59"), ended_at=ts("2025-01-05")),
        sub(4, 3, amount_minor=3000, started_at=ts("2025-01-05")),
        # 31 Dec 2023 23:59 GMT: cohort 2023-12, outside the 12 months
        sub(5, 5, amount_minor=1000, started_at=ts("2023-12-31 23:59")),
        # a row whose trial ends when it ends never paid; its later row starts in 2024-04
        sub(6, 6, amount_minor=1000, started_at=ts("2024-02-01"),
            trial_ends_at=ts("2024-03-01"), ended_at=ts("2024-03-01")),
        sub(7, 6, amount_minor=500, started_at=ts("2024-04-10")),
        # a free row does not make a payer; paying from 2024-05 at 20, down to 10 by T
        sub(8, 8, amount_minor=0, started_at=ts("2024-04-01")),
        sub(9, 8, amount_minor=2000, started_at=ts("2024-05-02"), ended_at=ts("2024-09-01")),
        sub(10, 8, amount_minor=1000, started_at=ts("2024-09-01")),
        # first pays in T's own month: no cohort
        sub(11, 11, amount_minor=1000, started_at=ts("2025-01-02")),
    ]  # fmt: skip
    ev, ex = both(db_url, t, london, subscriptions=subs)

    def ratios(cohort: str) -> tuple[float | None, float | None]:
        return (
            agree(ev, ex, "cohort_logo_retention_ratio", cohort=cohort),
            agree(ev, ex, "cohort_mrr_retention_ratio", cohort=cohort),
        )

    assert ratios("2024-03") == (0.0, 0.0)
    # suppliers 1 (10 -> 10) and 6 (5 -> 5)
    assert ratios("2024-04") == (1.0, 1.0)
    assert ratios("2024-05") == (1.0, approx(0.5))  # 20 -> 10
    assert ratios("2024-12") == (1.0, approx(3.0))  # 10 -> 30
    cohorts = set(ev.series(P + "cohort_logo_retention_ratio"))
    assert cohorts == {(("cohort", c),) for c in ("2024-03", "2024-04", "2024-05", "2024-12")}
    assert set(ev.series(P + "cohort_mrr_retention_ratio")) == cohorts


def test_activity_cohorts_by_sign_up_local_month(db_url: str) -> None:
    t = ts("2025-01-15 12:00")
    london = cfg("Europe/London")
    suppliers = [
        supplier(1, created_at=ts("2024-03-31 23:00")),  # 1 Apr 00:00 BST: 2024-04, active
        supplier(2, created_at=ts("2024-03-31 22:59")),  # 2024-03, inactive
        supplier(3, created_at=ts("2024-04-15"), deleted_at=t - DAY),  # deleted: not a member
        supplier(4, created_at=ts("2024-04-20")),  # 2024-04, active 31 days ago: inactive
    ]
    couples = [
        couple(1, created_at=ts("2023-12-31 23:59")),  # 2023-12: outside
        couple(2, created_at=ts("2024-12-31 23:59:59")),  # 2024-12, active
        couple(3, created_at=ts("2025-01-01 00:00")),  # T's month: no cohort
    ]
    sessions = [
        session(1, t - DAY, supplier_id=1),
        session(2, t - DAY, supplier_id=3),
        session(3, t - 30 * DAY, supplier_id=4),  # exactly T - 30d: not active
        session(4, t, couple_id=2),
        session(5, t, couple_id=1),
    ]
    ev, ex = both(db_url, t, london, suppliers=suppliers, couples=couples, user_sessions=sessions)
    assert agree(ev, ex, "cohort_active_ratio", user_type="supplier", cohort="2024-04") == 0.5
    assert agree(ev, ex, "cohort_active_ratio", user_type="supplier", cohort="2024-03") == 0.0
    assert agree(ev, ex, "cohort_active_ratio", user_type="couple", cohort="2024-12") == 1.0
    assert set(ev.series(P + "cohort_active_ratio")) == {
        (("cohort", "2024-03"), ("user_type", "supplier")),
        (("cohort", "2024-04"), ("user_type", "supplier")),
        (("cohort", "2024-12"), ("user_type", "couple")),
    }


# --------------------------------------------------------------------------- targets


def test_targets_come_from_config(db_url: str) -> None:
    ev = run(emptied(db_url), T, cfg())
    assert ev.series(P + "target") == {
        (("metric", "viral_coefficient"),): 1.0,
        (("metric", "supplier_stickiness"),): 0.30,
        (("metric", "couple_stickiness"),): 0.50,
        (("metric", "at_risk_quiet_period_seconds"),): 14 * 86400.0,
    }
    ev = run(
        emptied(db_url),
        T,
        cfg(viral_coefficient=1.2, stickiness={"supplier": 0.25, "couple": 0.45}),
    )
    assert ev.value(P + "target", metric="viral_coefficient") == 1.2
    assert ev.value(P + "target", metric="supplier_stickiness") == 0.25
    assert ev.value(P + "target", metric="couple_stickiness") == 0.45
