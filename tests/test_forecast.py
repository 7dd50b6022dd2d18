"""Forecasts and pacing (docs/spec.md §7): the model on series of known shape, the
pacing on a known distribution, the horizons in local time, a refit by the engine on
rows whose MRR grows by exactly one price a month, and the scrape path without the model
library."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from statistics import NormalDist
from zoneinfo import ZoneInfo

import psycopg
import pytest

from exporter.config import parse_config
from exporter.db import Database
from exporter.engine import Engine
from exporter.forecast.group import Forecaster, Plan
from exporter.forecast.history import evaluate_days, month_ends
from exporter.forecast.horizons import horizon_end, month_steps, months_from
from exporter.forecast.model import FIT_HORIZON, MIN_POINTS, Method, fit, uncalibrated
from exporter.forecast.pacing import pace
from exporter.instant import local_midnight
from exporter.store import Store
from exporter.vocabulary import ForecastMetric, GroupName, Horizon
from tests.support import migrate

LONDON = ZoneInfo("Europe/London")


def line(n: int, start: float, step: float, noise: float, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [start + step * k + rng.gauss(0, noise) for k in range(n)]


def test_an_exact_line_is_continued_exactly() -> None:
    values = [1000.0 + 50.0 * k for k in range(24)]
    forecast = fit(values, 12)
    assert forecast is not None
    for h in (1, 3, 12):
        assert forecast.median(h) == pytest.approx(values[-1] + 50.0 * h)
        assert forecast.quantile(h, 0.1) == forecast.quantile(h, 0.9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_constant_growth_with_noise_gives_the_line_and_ordered_quantiles(seed: int) -> None:
    """A trend of +200 a month with noise of sd 20: the median 1, 3 and 12 months on is
    within a few noise sds of the line; quantiles are ordered and the band widens."""
    values = line(24, 10_000.0, 200.0, 20.0, seed)
    forecast = fit(values, 12)
    assert forecast is not None and forecast.method is Method.ETS
    truth = 10_000.0 + 200.0 * 23
    widths = []
    for h in (1, 3, 12):
        q10, q50, q90 = (forecast.quantile(h, q) for q in (0.1, 0.5, 0.9))
        assert q10 < q50 < q90
        assert q50 == pytest.approx(truth + 200.0 * h, abs=60.0 + 15.0 * h)
        widths.append(q90 - q10)
    assert widths == sorted(widths)


def test_quantiles_are_floored_at_zero() -> None:
    values = [1000.0 - 90.0 * k + (5.0 if k % 2 else -5.0) for k in range(12)]
    forecast = fit(values, 12)
    assert forecast is not None
    assert forecast.quantile(12, 0.1) == 0.0
    assert forecast.median(12) >= 0.0


def test_too_short_a_series_has_no_forecast() -> None:
    assert fit([1.0] * (MIN_POINTS - 1), 3) is None
    assert fit([1.0] * MIN_POINTS, 3) is not None


def test_the_baselines() -> None:
    values = [100.0, 110.0, 130.0, 140.0, 160.0, 170.0]  # changes 10, 20, 10, 20, 10
    last = fit(values, 4, Method.LAST)
    drift = fit(values, 4, Method.DRIFT)
    assert last is not None and drift is not None
    assert last.median(4) == 170.0
    assert drift.median(4) == pytest.approx(170.0 + 4 * 14.0)
    # the spread of the monthly changes about the mean growth (sd 4.899) times sqrt(h)
    assert drift.sd[3] == pytest.approx(math.sqrt(24.0) * 2.0)
    # the last value: the root mean square of the changes themselves
    assert last.sd[0] == pytest.approx(math.sqrt((3 * 100 + 2 * 400) / 5))


def slowing(n: int, seed: int) -> list[float]:
    """Growth that slows every month (the seed's MRR), with noise of sd 30."""
    rng = random.Random(seed)
    return [10_000.0 + 400.0 * k - 9.0 * k * k + rng.gauss(0.0, 30.0) for k in range(n)]


def test_the_band_is_at_least_the_methods_past_errors() -> None:
    """At each step h the band's deviation is at least the root mean square of the
    relative h-step errors of the same method fitted at the earlier origins (here: the
    medians of fits of the prefixes, over the value at the origin), times the last
    value; it never falls with h."""
    values = slowing(25, 1)
    forecast = fit(values, 3)
    assert forecast is not None
    for h in (1, 2, 3):
        errors = []
        for i in range(25 - 12, 25 - h + 1):
            past = fit(values[:i], h)
            assert past is not None
            errors.append((values[i - 1 + h] - past.median(h)) / values[i - 1])
        rms = math.sqrt(sum(e * e for e in errors) / len(errors)) * values[-1]
        assert forecast.sd[h - 1] >= rms - 1e-9
    assert list(forecast.sd) == sorted(forecast.sd)


def test_calibration_widens_a_band_too_narrow_for_slowing_growth() -> None:
    """Replayed over 12 origins of four slowing series: the calibrated 80% band covers
    70-100% of the actuals 1 and 3 months on, never less than the model's own band."""
    for seed in (1, 2, 3, 4):
        values = slowing(37, seed)
        for h in (1, 3):
            calibrated = own = 0
            origins = range(37 - 12 - h + 1, 37 - h + 1)
            for i in origins:
                forecast = fit(values[:i], h)
                assert forecast is not None
                actual = values[i - 1 + h]
                calibrated += forecast.quantile(h, 0.1) <= actual <= forecast.quantile(h, 0.9)
                raw = uncalibrated(tuple(values[:i]), Method.ETS, FIT_HORIZON)
                band = NormalDist(raw.mean[h - 1], max(raw.sd[h - 1], 1e-9))
                own += band.inv_cdf(0.1) <= actual <= band.inv_cdf(0.9)
            assert calibrated >= own
            assert 0.7 <= calibrated / len(origins) <= 1.0, (seed, h, calibrated)


def test_between_whole_steps_and_after_a_known_value() -> None:
    drift = fit([100.0, 110.0, 130.0, 140.0, 160.0, 170.0], 3, Method.DRIFT)
    assert drift is not None
    mean, variance = drift.moments(0.5)
    assert mean == pytest.approx(177.0)
    assert variance == pytest.approx(drift.sd[0] ** 2 / 2)
    # T's day half a month on is 200: the path moves up by 23, the first half is spent
    known = drift.given(0.5, 200.0)
    assert known.median(0.5) == 200.0
    assert known.median(3) == pytest.approx(drift.median(3) + 23.0)
    assert known.moments(1)[1] == pytest.approx(drift.sd[0] ** 2 / 2)
    with pytest.raises(ValueError):
        known.moments(0.25)


def test_pacing_on_a_known_distribution() -> None:
    paced = pace(100.0, NormalDist(100.0, 10.0), 110.0)
    assert paced.ratio == pytest.approx(100.0 / 110.0)
    assert paced.probability == pytest.approx(1 - NormalDist().cdf(1.0))
    assert paced.probability == pytest.approx(0.158655, abs=1e-6)
    assert pace(120.0, NormalDist(120.0, 10.0), 110.0).probability == pytest.approx(0.841345, 1e-5)
    assert pace(50.0, None, 40.0).probability == 1.0
    assert pace(50.0, None, 60.0).probability == 0.0
    with pytest.raises(ValueError):
        pace(1.0, None, 0.0)


def test_horizons_are_local_midnights() -> None:
    t = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)
    assert horizon_end(t, LONDON, Horizon.MONTH_END) == datetime(2026, 12, 1, tzinfo=UTC)
    assert horizon_end(t, LONDON, Horizon.QUARTER_END) == datetime(2027, 1, 1, tzinfo=UTC)
    assert horizon_end(t, LONDON, Horizon.YEAR_END) == datetime(2027, 1, 1, tzinfo=UTC)
    may = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
    # British Summer Time: the local midnight of 1 July is 23:00 UTC the day before
    assert horizon_end(may, LONDON, Horizon.QUARTER_END) == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert horizon_end(may, LONDON, Horizon.MONTH_END) == datetime(2026, 5, 31, 23, tzinfo=UTC)
    # a local midnight belongs to the period it starts
    assert horizon_end(datetime(2026, 3, 31, 23, tzinfo=UTC), LONDON, Horizon.QUARTER_END) == (
        datetime(2026, 6, 30, 23, tzinfo=UTC)
    )


def test_month_steps_and_the_grid() -> None:
    origin = date(2026, 11, 1)
    assert month_steps(origin, local_midnight(date(2026, 12, 1), LONDON), LONDON) == 1.0
    assert month_steps(origin, local_midnight(date(2026, 11, 16), LONDON), LONDON) == 0.5
    assert month_steps(origin, local_midnight(date(2027, 11, 1), LONDON), LONDON) == 12.0
    assert months_from(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert month_ends(date(2026, 11, 1), 3) == [date(2026, 9, 1), date(2026, 10, 1), origin]
    plan = Plan.at(datetime(2026, 11, 16, 9, tzinfo=UTC), parse_config({}))
    assert plan.month_end == origin and plan.known(parse_config({})) == 0.5


def test_target_day_defaults_to_the_end_of_the_local_year() -> None:
    cfg = parse_config({"reporting": {"timezone": "Europe/London"}})
    plan = Plan.at(datetime(2026, 11, 12, tzinfo=UTC), cfg)
    assert plan.target_at == datetime(2027, 1, 1, tzinfo=UTC)
    cfg = parse_config({"targets": {"date": "2030-06-30"}})
    assert Plan.at(datetime(2026, 11, 12, tzinfo=UTC), cfg).target_at == datetime(
        2030, 7, 1, tzinfo=UTC
    )


def test_the_scrape_path_does_not_load_the_model_library() -> None:
    """Serve's modules, the scheduler and the forecast group itself import without
    statsmodels, pandas or scipy: they are mapped only when a refit runs."""
    code = (
        "import sys, exporter.cli, exporter.serve.service, exporter.serve.http,"
        " exporter.serve.scheduler, exporter.serve.backend, exporter.forecast.group;"
        "bad = [m for m in ('statsmodels', 'pandas', 'scipy') if m in sys.modules];"
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _months_of_growth(url: str, t: datetime, months: int) -> None:
    """One supplier a month starts paying £100 at each of the ``months`` month starts
    before ``t``: MRR at the k-th month end is exactly 100 k."""
    starts = [local_midnight(months_from(date(t.year, t.month, 1), -k), UTC) for k in range(months)]
    with psycopg.connect(url) as conn:
        for i, start in enumerate(reversed(starts), start=1):
            conn.execute(
                "INSERT INTO suppliers (id, created_at, category) VALUES (%s, %s, 'venues')",
                (i, start - timedelta(days=1)),
            )
            conn.execute(
                "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor,"
                " currency, interval_months, started_at) VALUES"
                " (%s, %s, 'pro', 'active', 10000, 'GBP', 1, %s)",
                (i, i, start - timedelta(hours=1)),
            )


def test_a_refit_by_the_engine_continues_the_books(db_url: str) -> None:
    cfg = parse_config({"targets": {"mrr": 3000, "paying_suppliers": 10}})
    migrate(db_url, cfg)
    t = datetime(2026, 11, 1, 12, tzinfo=UTC)
    _months_of_growth(db_url, t, 18)
    with Database(db_url, cfg, max_size=4) as db:
        snapshot = Forecaster(Engine(db, cfg)).run(at=t, wall=t)
    assert snapshot.error is None, snapshot.error
    assert snapshot.group == GroupName.FORECAST
    values = {(s.name, s.labels): s.value for s in snapshot.samples}

    def forecast(metric: str, horizon: str, q: str) -> float:
        key = ("metric", metric), ("horizon", horizon), ("quantile", q)
        return values[("execmetrics_forecast", key)]

    # 18 suppliers paying at T's month start; one more a month: 1900 at the month end,
    # 2000 at the quarter's and year's end (both 1 January).
    assert forecast("mrr", "month_end", "0.5") == pytest.approx(1900.0)
    assert forecast("mrr", "year_end", "0.5") == pytest.approx(2000.0)
    assert forecast("paying_suppliers", "quarter_end", "0.5") == pytest.approx(20.0)
    # the target at the end of 2026: 2000 of 3000 for sure (a line has no spread)
    ratio = values[("execmetrics_target_pacing_ratio", (("metric", "mrr"),))]
    assert ratio == pytest.approx(2000.0 / 3000.0)
    assert values[("execmetrics_target_reach_probability", (("metric", "mrr"),))] == 0.0
    assert (
        values[("execmetrics_target_reach_probability", (("metric", "paying_suppliers"),))] == 1.0
    )
    # the group's health is published like any other's; readiness does not wait for it
    store = Store(("revenue", GroupName.FORECAST))
    store.publish_group(snapshot)
    assert store.current.groups[GroupName.FORECAST].good is snapshot
    assert not store.current.ready


def test_passes_at_once_give_the_points_of_one_pass(db_url: str) -> None:
    """The month ends cut into runs evaluated concurrently (a cold refit's passes) give
    every point exactly as one pass over all of them does."""
    cfg = parse_config({})
    migrate(db_url, cfg)
    t = datetime(2026, 11, 1, 12, tzinfo=UTC)
    _months_of_growth(db_url, t, 18)
    days = month_ends(date(2026, 11, 1), 13)
    with Database(db_url, cfg, max_size=4) as db:
        engine = Engine(db, cfg)
        one = evaluate_days(engine, days, wall=t, jobs=1)
        three = evaluate_days(engine, days, wall=t, jobs=3)
    assert one == three
    assert sorted(one) == days and one[days[-1]][ForecastMetric.PAYING_SUPPLIERS] == 18.0
