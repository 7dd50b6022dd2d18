"""Property tests: random small datasets, the engine against the oracle (tests/oracle.py).

Datasets are built around T and M1 so that window edges, period starts and ends, trial
ends and M1 itself are hit exactly. The database test uses ONE database and truncates the
source tables between examples.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter import catalog
from tests import oracle
from tests.instants import T, ts
from tests.support import (
    config,
    couple,
    evaluate,
    invite,
    load,
    migrate,
    rate,
    session,
    sub,
    supplier,
    truncate,
)

SHARED_DATABASE = True  # see conftest's db_url


# T candidates (UTC): month ends, DST changes in London and New York, a year boundary,
# local midnights. None of them puts M1 on an ambiguous or skipped wall time (reading R1
# is pinned by tests/test_instant.py instead).
T_CANDIDATES = [
    ts("2024-03-31 09:00"),  # 31 Mar 10:00 BST -> M1 29 Feb
    ts("2024-03-31 00:30"),  # London DST day
    ts("2024-03-31 23:30"),  # 1 Apr 00:30 BST
    ts("2024-03-01 04:59"),  # 29 Feb 23:59 EST
    ts("2024-03-11 03:30"),  # New York, the night after the DST change
    ts("2024-11-03 12:00"),  # New York fall-back day
    ts("2024-10-27 12:00"),  # London fall-back day
    ts("2024-01-01 00:10"),  # year boundary
    ts("2024-07-01 23:30"),  # 2 Jul 00:30 BST
    ts("2023-03-31 12:00"),  # non-leap clipping
    ts("2024-05-31 16:45"),  # clipped to 30 Apr
]
ZONES = ["UTC", "Europe/London", "America/New_York"]
CURRENCIES = ["GBP", "EUR", "USD", "CHF"]  # CHF never has a rate
SMALL = [
    timedelta(0),
    timedelta(seconds=1),
    timedelta(seconds=-1),
    timedelta(minutes=5),
    timedelta(minutes=5, seconds=1),
    timedelta(hours=1),
    timedelta(hours=-1),
    timedelta(days=1),
    timedelta(days=-1),
]
WALL_OFFSETS = [
    timedelta(0),
    timedelta(0),
    timedelta(days=-1),
    timedelta(hours=1),
    timedelta(days=20),
    timedelta(days=400),
]
DB_EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    t = draw(st.sampled_from(T_CANDIDATES))
    tz = draw(st.sampled_from(ZONES))
    currency = draw(st.sampled_from(["GBP", "GBP", "EUR"]))
    viral_window = draw(st.sampled_from(["30d", "7d", "2w", "12h"]))
    cap = draw(st.sampled_from([14400, 3600]))
    m1 = oracle.m1_of(t, tz)
    day_start = oracle.day_start_of(t, tz)
    # The run's wall clock: T itself (a live run), behind T (an instant ahead of the
    # clock), or after T (a past instant: rows stamped since are no issue).
    wall = t + draw(st.sampled_from(WALL_OFFSETS))
    anchors = [
        t,
        wall,
        m1,
        day_start,
        t - timedelta(days=1),
        t - timedelta(days=7),
        t - timedelta(days=30),
        t - oracle.window_delta(viral_window),
        m1 - timedelta(days=20),
        t - timedelta(days=90),
        m1 - timedelta(days=45),
        m1 - timedelta(days=10),
        t - timedelta(days=14),
        t - timedelta(days=60),
    ]

    def instant() -> datetime:
        base = draw(st.sampled_from(anchors))
        how = draw(st.sampled_from(["exact", "near", "near", "far"]))
        if how == "exact":
            return base
        if how == "near":
            return base + draw(st.sampled_from(SMALL))
        return base + timedelta(seconds=draw(st.integers(-40 * 86400, 40 * 86400)))

    def maybe_instant(percent_none: int) -> datetime | None:
        return None if draw(st.integers(0, 99)) < percent_none else instant()

    # Instants where subscription stories (below) start and end periods.
    second = timedelta(seconds=1)
    changes = [m1 + (t - m1) / 2, t, m1, m1 + second, m1 - second, t - second, t + second]
    befores = [m1 - timedelta(days=45), m1 - timedelta(days=10)]

    n_suppliers = 4
    suppliers = [
        supplier(
            i,
            created_at=instant(),
            deleted_at=maybe_instant(70),
            category=draw(st.sampled_from(["photography", "venue"])),
        )
        for i in range(1, n_suppliers + 1)
    ]
    # Wedding dates on, or a day either side of, T's local date, far off, or unknown.
    today = oracle.local_date(t, tz)
    weddings = [None, today, today + timedelta(days=1), today - timedelta(days=1)]
    weddings += [today + timedelta(days=200), today - timedelta(days=400)]
    couples = [
        couple(
            i,
            created_at=instant(),
            deleted_at=maybe_instant(70),
            wedding_date=draw(st.sampled_from(weddings)),
        )
        for i in range(1, 5)
    ]

    # Subscriptions: each supplier gets a story (steady, a price change, churn, new,
    # reactivation, or random rows) whose change instants sit on or next to M1 and T; the
    # rows then get random amounts (incl. 0 and negative), currencies (incl. CHF without
    # a rate), intervals (incl. 0), plans and trials. A price change ends one row and
    # starts the next at the same instant.
    clean_amounts = [1000, 2500, 500, 999, 12000]
    amounts = [1000, 0, -500, 2500]
    intervals = [1, 3, 12]
    currencies = ["GBP", "EUR", "USD", "CHF"]
    # Blank plans are 'unknown'; with a small top_n the tail is 'other' (SPEC §4).
    plans = ["basic", "pro", "free", "", " ", "Pro", "other"]
    subscriptions: list[dict[str, Any]] = []

    def trial_end() -> datetime | None:
        """Mostly no trial, else one ending on or next to M1 and T, or anywhere."""
        how = draw(st.sampled_from(["none", "none", "none", "change", "any"]))
        if how == "none":
            return None
        return draw(st.sampled_from(changes)) if how == "change" else instant()

    def period(supplier_id: int, started_at: datetime, ended_at: datetime | None) -> None:
        # Three rows in four are clean (a positive amount, a currency with its base rate,
        # a valid interval); the rest draw anything, bad values included.
        clean = draw(st.integers(0, 99)) < 75
        subscriptions.append(
            sub(
                len(subscriptions) + 1,
                supplier_id,
                amount_minor=draw(st.sampled_from(clean_amounts if clean else amounts)),
                started_at=started_at,
                ended_at=ended_at,
                trial_ends_at=trial_end(),
                currency=draw(st.sampled_from(currencies[:2] if clean else currencies)),
                interval_months=draw(st.sampled_from(intervals if clean else [*intervals, 0])),
                plan=draw(st.sampled_from(plans)),
            )
        )

    for supplier_id in range(1, n_suppliers + 1):
        story = draw(
            st.sampled_from(["change", "steady", "churn", "new", "reactivate", "random", "none"])
        )
        before = draw(st.sampled_from(befores))
        x = draw(st.sampled_from(changes))
        if story == "steady":
            period(supplier_id, before, None)
        elif story == "change":
            period(supplier_id, before, x)
            period(supplier_id, x, None)
        elif story == "churn":
            period(supplier_id, before, x)
        elif story == "new":
            period(supplier_id, x, None)
        elif story == "reactivate":
            gap = draw(st.sampled_from([m1, m1 - second, m1 - timedelta(days=5)]))
            period(supplier_id, before, gap)
            period(supplier_id, max(x, gap), None)
        elif story == "random":
            for _ in range(draw(st.integers(1, 3))):
                period(supplier_id, instant(), maybe_instant(50))

    # fx rates: usually an old base rate per non-reporting currency (CHF never has one);
    # for many periods a rate on, or a day either side of, the local date it starts (so
    # reading the start date in UTC instead of the reporting zone shows); a few more near
    # the anchors; sometimes a row for the reporting currency itself (reading R3).
    # One draw in six is a rate that does not exist (SPEC §3): 0, negative, NaN, ±Infinity.
    rate_values = ["0.8", "1.25", "0.5", "1.17", "2"] * 5 + [
        "0",
        "-1.5",
        "NaN",
        "Infinity",
        "-Infinity",
    ]
    rates: dict[tuple[str, date], Decimal] = {}
    for cur in ("GBP", "EUR", "USD"):
        if cur == currency and draw(st.booleans()):
            continue
        if draw(st.integers(0, 99)) < 80:
            base_day = oracle.local_date(t - timedelta(days=200), tz)
            rates[(cur, base_day)] = Decimal(draw(st.sampled_from(rate_values)))
        for _ in range(draw(st.integers(0, 2))):
            day = oracle.local_date(draw(st.sampled_from(anchors)), tz)
            day += timedelta(days=draw(st.sampled_from([0, 1, -1, -40])))
            rates[(cur, day)] = Decimal(draw(st.sampled_from(rate_values)))
    for row in subscriptions:
        if row["currency"] in ("GBP", "EUR", "USD") and draw(st.booleans()):
            day = oracle.local_date(row["started_at"], tz)
            day += timedelta(days=draw(st.sampled_from([0, 1, -1])))
            rates[(row["currency"], day)] = Decimal(draw(st.sampled_from(rate_values)))
    fx_rates = [rate(c, d, r) for (c, d), r in sorted(rates.items())]

    sessions = []
    for i in range(1, draw(st.integers(0, 8)) + 1):
        kind = draw(st.sampled_from(["supplier", "supplier", "couple", "couple", "both", "none"]))
        sid = draw(st.integers(1, n_suppliers)) if kind in ("supplier", "both") else None
        cid = draw(st.integers(1, 4)) if kind in ("couple", "both") else None
        duration = draw(st.sampled_from([60, None, -5, 0, 1, 3599, 3600, 14400, 14401, 50000]))
        sessions.append(session(i, instant(), supplier_id=sid, couple_id=cid, duration=duration))

    invitations = []
    for i in range(1, draw(st.integers(0, 6)) + 1):
        sent = instant()
        accepted_how = draw(st.sampled_from(["none", "none", "same", "any", "after"]))
        accepted = {
            "none": None,
            "same": sent,
            "any": instant(),
            "after": sent + draw(st.sampled_from(SMALL[1:])),
        }[accepted_how]
        # An accepted invitation names one of the couples (so liquidity and K-unique see
        # the same couple twice) or one outside the couples table.
        couple_id = draw(st.sampled_from([None, 1, 2, 3, 4])) if accepted else None
        invitations.append(
            invite(i, draw(st.integers(1, n_suppliers)), sent, accepted, couple_id=couple_id)
        )

    return {
        "t": t,
        "wall": wall,
        "settings": oracle.Settings(
            timezone=tz,
            currency=currency,
            viral_window=viral_window,
            session_cap=cap,
            top_n=draw(st.sampled_from([1, 2, 10])),
        ),
        "tables": oracle.tables(suppliers, couples, subscriptions, fx_rates, sessions, invitations),
    }


def config_of(s: oracle.Settings) -> Any:
    return config(
        tz=s.timezone,
        currency=s.currency,
        viral_window=s.viral_window,
        session_cap=s.session_cap,
        top_n=s.top_n,
    )


CONTRACT_NAMES = {m.name for m in catalog.CONTRACT}
GROWTH_NAMES = {m.name for m in catalog.GROWTH}


def contract_series(ev: Any) -> dict[tuple[str, Any], float]:
    return {k: v for k, v in ev.items() if k[0] in CONTRACT_NAMES}


def growth_series(ev: Any) -> dict[tuple[str, Any], float]:
    return {k: v for k, v in ev.items() if k[0] in GROWTH_NAMES}


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def diff(engine: dict, expected: dict) -> list[str]:
    problems = []
    for k in sorted(set(engine) | set(expected)):
        if k not in engine:
            problems.append(f"missing from engine: {k} (oracle {expected[k]!r})")
        elif k not in expected:
            problems.append(f"extra in engine: {k} = {engine[k]!r} (oracle: absent)")
        elif not close(engine[k], expected[k]):
            problems.append(f"{k}: engine {engine[k]!r} != oracle {expected[k]!r}")
    return problems


def load_case(url: str, case: dict[str, Any]) -> Any:
    cfg = config_of(case["settings"])
    migrate(url, cfg)
    truncate(url, cfg.source_schema)
    load(url, cfg.source_schema, **case["tables"])
    return cfg


# --------------------------------------------------------------------------- engine vs oracle


def identity_problems(ev: Any, at_m1: Any, currency: str) -> list[str]:
    """SPEC §3 identity on the engine's own numbers: Σ movements = MRR(T) - MRR(M1).

    MRR(M1) is the engine's MRR evaluated at the instant M1.
    """
    mv = {
        k: ev.value("execmetrics_mrr_movement", currency=currency, movement=k)
        for k in oracle.MOVEMENTS
    }
    if any(v is None or v < -1e-9 for v in mv.values()):
        return [f"movements missing or negative: {mv}"]
    mrr_t = ev.value("execmetrics_mrr", currency=currency)
    mrr_m1 = at_m1.value("execmetrics_mrr", currency=currency)
    if mrr_t is None or mrr_m1 is None:
        return [f"MRR missing: at T {mrr_t!r}, at M1 {mrr_m1!r}"]
    problems = []
    lhs = mv["new"] + mv["reactivation"] + mv["expansion"] - mv["contraction"] - mv["churn"]
    if not math.isclose(lhs, mrr_t - mrr_m1, rel_tol=1e-6, abs_tol=1e-6):
        problems.append(
            f"identity: new+reactivation+expansion-contraction-churn = {lhs!r} "
            f"!= MRR(T) - MRR(M1) = {mrr_t!r} - {mrr_m1!r}; movements {mv}"
        )
    growth = ev.value("execmetrics_mrr_growth_ratio")
    if mrr_m1 > 0 and (
        growth is None or not math.isclose(growth * mrr_m1, mrr_t - mrr_m1, abs_tol=1e-6)
    ):
        problems.append(f"growth {growth!r} disagrees with MRR(T) {mrr_t!r}, MRR(M1) {mrr_m1!r}")
    return problems


@DB_EXAMPLES
@given(case=cases())
def test_engine_identity_and_agreement_with_oracle(db_url: str, case: dict[str, Any]) -> None:
    """(a) the movement identity on the engine's output; (b) engine == oracle on every
    SPEC §4 series, at T and (a second, free instant) at M1: same series, values within
    1e-6 relative."""
    cfg = load_case(db_url, case)
    s, t, wall = case["settings"], case["t"], case["wall"]
    m1 = oracle.m1_of(t, s.timezone)
    ev = evaluate(db_url, cfg, t, wall)
    at_m1 = evaluate(db_url, cfg, m1, wall)
    problems = identity_problems(ev, at_m1, s.currency)
    problems += [f"not a catalog metric: {n}" for n in {n for n, _ in ev} - set(catalog.BY_NAME)]
    for label, instant, got in (("T", t, ev), ("M1", m1, at_m1)):
        expected = oracle.compute(s, instant, wall=wall, **case["tables"])
        problems += [f"at {label}: {p}" for p in diff(contract_series(got), expected)]
        growth = oracle.compute_growth(s, instant, **case["tables"])
        problems += [f"at {label}: {p}" for p in diff(growth_series(got), growth)]
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the oracle itself


@settings(max_examples=100, deadline=None)
@given(case=cases())
def test_oracle_movement_identity_and_ranges(case: dict[str, Any]) -> None:
    s, t, wall = case["settings"], case["t"], case["wall"]
    out = oracle.compute(s, t, wall=wall, **case["tables"])
    m1 = oracle.m1_of(t, s.timezone)
    at_m1 = oracle.compute(s, m1, wall=wall, **case["tables"])
    cur = s.currency

    def v(res: dict, name: str, **labels: str) -> float | None:
        return res.get(oracle.key(name, **labels))

    mv = {k: v(out, "mrr_movement", currency=cur, movement=k) for k in oracle.MOVEMENTS}
    assert all(x is not None and x >= 0 for x in mv.values())
    mrr_t = v(out, "mrr", currency=cur)
    mrr_m1 = v(at_m1, "mrr", currency=cur)
    lhs = mv["new"] + mv["reactivation"] + mv["expansion"] - mv["contraction"] - mv["churn"]
    assert math.isclose(lhs, mrr_t - mrr_m1, abs_tol=1e-9)
    # MRR is the sum of mrr_by_plan; ARR is 12 MRR; churn ratios in [0, 1].
    by_plan = sum(val for (n, _), val in out.items() if n == "execmetrics_mrr_by_plan")
    assert math.isclose(by_plan, mrr_t, abs_tol=1e-9)
    assert math.isclose(v(out, "arr", currency=cur), 12 * mrr_t)
    for name in ("customer_churn_ratio", "revenue_churn_ratio"):
        r = v(out, name)
        assert r is None or 0 <= r <= 1 + 1e-12
    # active users grow with the window; K = ips x conversion when both exist
    for ut in ("supplier", "couple"):
        a1, a7, a30 = (v(out, "active_users", user_type=ut, window=w) for w in ("1d", "7d", "30d"))
        assert a1 <= a7 <= a30
    w = s.viral_window
    ips = v(out, "invites_per_supplier", window=w)
    conv = v(out, "invitation_conversion_ratio", window=w)
    k = v(out, "viral_coefficient", window=w)
    assert (ips is None) == (k is None)
    if ips is not None and conv is not None:
        assert math.isclose(k, ips * conv, abs_tol=1e-12)
    if conv is None and k is not None:
        assert k == 0
    # every contract metric name the oracle emits is a contract metric
    assert {n for n, _ in out} <= CONTRACT_NAMES


def test_oracle_on_the_hand_computed_movements() -> None:
    # The dataset of tests/test_revenue.py::test_every_movement_kind_and_the_identity.
    t = T
    jan, mar, jun = ts("2024-01-01 00:00"), ts("2024-03-01 00:00"), ts("2024-06-01 00:00")
    subs = [
        sub(1, 1, amount_minor=2000, started_at=jun),
        sub(2, 2, amount_minor=900, started_at=jan, ended_at=mar),
        sub(3, 2, amount_minor=1500, started_at=jun),
        sub(4, 3, amount_minor=1000, started_at=jan, ended_at=jun),
        sub(5, 3, amount_minor=2500, started_at=jun),
        sub(6, 4, amount_minor=3000, started_at=jan, ended_at=jun),
        sub(7, 4, amount_minor=1200, started_at=jun),
        sub(8, 5, amount_minor=4000, started_at=jan, ended_at=jun),
        sub(9, 6, amount_minor=5000, started_at=jan),
    ]
    out = oracle.compute(oracle.Settings(), t, wall=t, subscriptions=subs)
    k = oracle.key
    assert out[k("mrr", currency="GBP")] == 122.0
    assert {m: out[k("mrr_movement", currency="GBP", movement=m)] for m in oracle.MOVEMENTS} == {
        "new": 20.0,
        "reactivation": 15.0,
        "expansion": 15.0,
        "contraction": 18.0,
        "churn": 40.0,
    }
    assert math.isclose(out[k("mrr_growth_ratio")], -8 / 130)
    assert out[k("customer_churn_ratio")] == 0.25
    assert math.isclose(out[k("net_revenue_retention_ratio")], 87 / 130)
    assert out[k("arpa", currency="GBP")] == 24.4


def test_oracle_absent_ratios_and_viral_rules() -> None:
    t = T
    s = oracle.Settings()
    empty = oracle.compute(s, t, wall=t)
    k = oracle.key
    for name in (
        "mrr_growth_ratio",
        "customer_churn_ratio",
        "revenue_churn_ratio",
        "net_revenue_retention_ratio",
        "session_duration_average_seconds",
    ):
        assert k(name) not in empty
    assert k("arpa", currency="GBP") not in empty
    assert k("viral_coefficient", window="30d") not in empty
    assert empty[k("invitations_sent", window="30d")] == 0
    quality = [key for key in empty if key[0] == "execmetrics_data_quality_issues"]
    assert len(quality) == len(oracle.QUALITY_CHECKS)
    active = oracle.compute(
        s, t, wall=t, user_sessions=[session(1, t - timedelta(hours=1), supplier_id=1)]
    )
    assert active[k("viral_coefficient", window="30d")] == 0
    assert active[k("invites_per_supplier", window="30d")] == 0
    assert k("invitation_conversion_ratio", window="30d") not in active


def test_oracle_fx_and_validity() -> None:
    s = oracle.Settings(timezone="Europe/London")
    t = ts("2024-07-10 12:00")
    subs = [
        sub(1, 1, amount_minor=4000, currency="EUR", started_at=ts("2024-06-30 23:30")),
        sub(2, 2, amount_minor=4000, currency="EUR", started_at=ts("2024-06-30 22:30")),
        sub(3, 3, amount_minor=-1, started_at=ts("2024-06-01")),
        sub(4, 4, amount_minor=100, started_at=ts("2024-06-02"), ended_at=ts("2024-06-01")),
    ]
    rates = [rate("EUR", "2024-06-30", "0.5"), rate("EUR", "2024-07-01", "1")]
    out = oracle.compute(s, t, wall=t, subscriptions=subs, fx_rates=rates)
    # 40 x 1 + 40 x 0.5 = 60; rows 3 and 4 left out
    assert out[oracle.key("mrr", currency="GBP")] == 60.0
    rates_late = [rate("EUR", "2024-07-01", "1")]
    out = oracle.compute(s, t, wall=t, subscriptions=subs, fx_rates=rates_late)
    assert out[oracle.key("mrr", currency="GBP")] == 40.0
    assert out[oracle.key("data_quality_issues", check="subscription_missing_fx_rate")] == 1
    assert out[oracle.key("data_quality_issues", check="subscription_negative_amount")] == 1
    assert out[oracle.key("data_quality_issues", check="subscription_ended_before_started")] == 1


def test_oracle_matches_catalog() -> None:
    assert tuple(catalog.QUALITY_CHECKS) == oracle.QUALITY_CHECKS
    assert oracle.MOVEMENTS == catalog.MOVEMENTS
    assert tuple(oracle.ACTIVE_WINDOWS) == catalog.ACTIVE_WINDOWS
