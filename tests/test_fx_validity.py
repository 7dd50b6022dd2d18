"""An fx rate that is not a positive finite number does not exist (SPEC §3).

Each such value is tried on its own: never chosen (the period falls back to the latest
valid rate on or before its local start date, or has none and counts as missing), and
counted as ``fx_rate_invalid``. PostgreSQL sorts numeric NaN above every number, so
``NaN > 0`` is true there: NaN is the case a plain ``rate > 0`` lets through.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from exporter.vocabulary import Check
from tests import oracle
from tests.instants import T, ts
from tests.support import config, rate, run, sub

SHARED_DATABASE = True  # see conftest's db_url

START = ts("2024-03-10 09:00")
INVALID = ["0", "-0.8", "NaN", "Infinity", "-Infinity"]


def _quality(ev: object, check: Check) -> float | None:
    return ev.value("execmetrics_data_quality_issues", check=check.value)  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", INVALID)
def test_an_invalid_rate_falls_back_to_the_latest_valid_one(db_url: str, bad: str) -> None:
    # EUR 100.00 a month; valid 0.5 in January, the invalid value on 1 March (the latest
    # before the start date), then a valid 2 after the start (never chosen either way).
    subs = [sub(1, 1, amount_minor=10000, currency="EUR", started_at=START)]
    rates = [
        rate("EUR", "2024-01-01", "0.5"),
        rate("EUR", "2024-03-01", bad),
        rate("EUR", "2024-04-01", "2"),
    ]
    ev = run(db_url, T, config(), subscriptions=subs, fx_rates=rates)
    assert ev.value("execmetrics_mrr", currency="GBP") == pytest.approx(50.0)
    assert ev.value("execmetrics_arr", currency="GBP") == pytest.approx(600.0)
    assert _quality(ev, Check.FX_RATE_INVALID) == 1
    assert _quality(ev, Check.SUBSCRIPTION_MISSING_FX_RATE) == 0


@pytest.mark.parametrize("bad", INVALID)
def test_only_invalid_rates_means_no_rate(db_url: str, bad: str) -> None:
    subs = [
        sub(1, 1, amount_minor=10000, currency="EUR", started_at=START),
        sub(2, 2, amount_minor=3000, started_at=START),  # GBP: 30.00
    ]
    rates = [rate("EUR", "2024-01-01", bad), rate("EUR", "2024-02-01", bad)]
    ev = run(db_url, T, config(), subscriptions=subs, fx_rates=rates)
    assert ev.value("execmetrics_mrr", currency="GBP") == pytest.approx(30.0)
    assert ev.value("execmetrics_paying_suppliers") == 1
    assert ev.value("execmetrics_arpa", currency="GBP") == pytest.approx(30.0)
    assert _quality(ev, Check.FX_RATE_INVALID) == 2
    assert _quality(ev, Check.SUBSCRIPTION_MISSING_FX_RATE) == 1
    for (name, _labels), value in ev.items():
        assert math.isfinite(value), (name, value)


def test_invalid_rates_of_the_reporting_currency_are_counted_but_harmless(db_url: str) -> None:
    subs = [sub(1, 1, amount_minor=3000, started_at=START)]
    rates = [rate("GBP", "2024-01-01", "NaN"), rate("GBP", "2024-02-01", "0")]
    ev = run(db_url, T, config(), subscriptions=subs, fx_rates=rates)
    assert ev.value("execmetrics_mrr", currency="GBP") == pytest.approx(30.0)
    assert _quality(ev, Check.FX_RATE_INVALID) == 2


def test_growth_and_retention_stay_finite_with_a_nan_rate(db_url: str) -> None:
    # Supplier 1 pays EUR from January (rate 0.5 before a NaN row), supplier 2 GBP.
    subs = [
        sub(1, 1, amount_minor=10000, currency="EUR", started_at=ts("2024-01-10 00:00")),
        sub(2, 2, amount_minor=2000, started_at=ts("2024-01-10 00:00")),
        sub(3, 2, amount_minor=2000, started_at=ts("2024-06-01 00:00")),
    ]
    rates = [rate("EUR", "2024-01-01", "0.5"), rate("EUR", "2024-01-05", "NaN")]
    ev = run(db_url, T, config(), subscriptions=subs, fx_rates=rates)
    # MRR(M1) = 50 + 20 = 70, MRR(T) = 90: growth 20/70, NRR 90/70
    assert ev.value("execmetrics_mrr", currency="GBP") == pytest.approx(90.0)
    assert ev.value("execmetrics_mrr_growth_ratio") == pytest.approx(20 / 70)
    assert ev.value("execmetrics_net_revenue_retention_ratio") == pytest.approx(90 / 70)


def test_the_oracle_reads_invalid_rates_the_same_way() -> None:
    s = oracle.Settings()
    subs = [sub(1, 1, amount_minor=10000, currency="EUR", started_at=START)]
    for bad in INVALID:
        rates = [rate("EUR", "2024-01-01", "0.5"), rate("EUR", "2024-03-01", bad)]
        out = oracle.compute(s, T, wall=T, subscriptions=subs, fx_rates=rates)
        assert out[oracle.key("mrr", currency="GBP")] == 50.0
        assert out[oracle.key("data_quality_issues", check="fx_rate_invalid")] == 1
        assert oracle.rate_is_valid(Decimal(bad)) is False
    assert oracle.rate_is_valid(Decimal("0.0001")) is True
