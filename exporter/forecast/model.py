"""The forecast model and its baselines: each gives, for steps 1..H calendar months past
the last point of a monthly series, a normal forecast distribution (mean, standard
deviation); between two whole steps the mean and the variance are interpolated linearly
(step 0 is the last value, exactly).

The model is Holt's linear trend with additive errors, ETS(A,A,N), fitted by maximum
likelihood with statsmodels (``ETSModel``); its variance is the model's analytic forecast
variance. The baselines are those of the backtest (bench/forecast.py, docs/forecast.md):
the last value, and the last value plus the mean monthly change of the fit window, each
with the root mean square of the window's monthly changes (about that mean) times sqrt(h).
Every method's band is then calibrated on its own past errors on the same series
(``calibrated``): at least as wide as the relative errors it made from earlier origins,
at today's level.

This module imports statsmodels, pandas and numpy at its top: it is imported only by a
fit (exporter.forecast.group, the backtest), never by the scrape path.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist, fmean

import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from exporter.vocabulary import ForecastMetric

# Fewer monthly points than this and no forecast is made: the metric's forecast is absent.
MIN_POINTS = 6


class Method(StrEnum):
    ETS = "ets"  # Holt's linear trend, ETS(A,A,N)
    LAST = "last_value"
    DRIFT = "last_value_plus_mean_growth"


# The method each metric's exported forecast uses: the one with the lower mean MAPE over
# the backtest's two data sets and two horizons (docs/forecast.md). K: the last value.
EXPORTED: dict[ForecastMetric, Method] = {
    ForecastMetric.MRR: Method.ETS,
    ForecastMetric.PAYING_SUPPLIERS: Method.ETS,
    ForecastMetric.ACTIVE_SUPPLIERS: Method.ETS,
    ForecastMetric.ACTIVE_COUPLES: Method.ETS,
    ForecastMetric.VIRAL_COEFFICIENT: Method.LAST,
}


@dataclass(frozen=True)
class Forecast:
    """The forecast distribution at whole steps 1..len(mean) past the last point ``last``."""

    last: float
    mean: tuple[float, ...]
    sd: tuple[float, ...]
    method: Method
    # The step of ``last`` (0: the last month end; after ``given``: T's day).
    known: float = 0.0

    @property
    def horizon(self) -> int:
        return len(self.mean)

    def moments(self, step: float) -> tuple[float, float]:
        """Mean and variance at a step in [known, horizon], linear between whole steps
        (and between ``known`` and the first whole step after it)."""
        if not self.known <= step <= self.horizon:
            raise ValueError(f"step {step} outside {self.known}..{self.horizon}")
        points = [(self.known, self.last, 0.0)] + [
            (float(h), m, s * s)
            for h, m, s in zip(range(1, self.horizon + 1), self.mean, self.sd, strict=True)
            if h > self.known
        ]
        for (x0, m0, v0), (x1, m1, v1) in itertools.pairwise(points):
            if step <= x1:
                w = (step - x0) / (x1 - x0)
                return m0 + w * (m1 - m0), v0 + w * (v1 - v0)
        return points[-1][1], points[-1][2]

    def median(self, step: float) -> float:
        """The median at ``step``, floored at 0 (no metric forecast is negative)."""
        return max(0.0, self.moments(step)[0])

    def at(self, step: float) -> NormalDist | None:
        """The distribution at ``step``; None for a point forecast (no spread), whose
        value is the mean."""
        mean, variance = self.moments(step)
        return NormalDist(mean, math.sqrt(variance)) if variance > 0 else None

    def given(self, step: float, value: float) -> Forecast:
        """The forecast once the value at ``step`` (in (0, 1]: T's day, inside the first
        month step) is known: the path moves by the surprise and the variance up to that
        step is spent (exact for a random walk with drift; a first-order update for the
        model). The whole steps stay those of the last month end."""
        mean, variance = self.moments(step)
        shift = value - mean
        return Forecast(
            value,
            tuple(m + shift for m in self.mean),
            tuple(math.sqrt(max(0.0, s * s - variance)) for s in self.sd),
            self.method,
            known=step,
        )

    def quantile(self, step: float, q: float) -> float:
        """The ``q`` quantile at ``step``, floored at 0 (no metric forecast is negative)."""
        dist = self.at(step)
        value = self.moments(step)[0] if dist is None else dist.inv_cdf(q)
        return max(0.0, value)


def fit(values: list[float], horizon: int, method: Method = Method.ETS) -> Forecast | None:
    """The forecast of ``values`` (one per month, oldest first) for 1..``horizon`` months on,
    its band calibrated on the method's own past errors; None when the series is shorter
    than MIN_POINTS."""
    if len(values) < MIN_POINTS or horizon < 1:
        return None
    return calibrated(values, uncalibrated(tuple(values), method, _fit_horizon(horizon)), horizon)


# How far a fit is made (and cached): at least three years, so that one fit of a prefix
# serves every horizon and every later origin that reuses it.
FIT_HORIZON = 36
# The past origins a band is calibrated on, and the fewest errors a step needs.
CALIBRATION_ORIGINS = 12
MIN_ERRORS = 3


def _fit_horizon(horizon: int) -> int:
    return max(FIT_HORIZON, horizon)


@functools.lru_cache(maxsize=1024)
def uncalibrated(values: tuple[float, ...], method: Method, horizon: int) -> Forecast:
    """The method's own forecast (uncalibrated) of ``values``: a pure function of its
    arguments, cached, because the calibration of every later fit refits the same
    prefixes (a month's daily refits, the backtest's origins)."""
    if method is Method.ETS:
        return _ets(list(values), horizon)
    return _baseline(list(values), horizon, drift=method is Method.DRIFT)


def calibrated(values: list[float], raw: Forecast, horizon: int) -> Forecast:
    """``raw`` cut to ``horizon`` steps, its standard deviation at each step h raised to
    the same method's relative h-step errors on this series, at today's level: the root
    mean square of (actual - forecast mean) / |value at the origin| over the last
    CALIBRATION_ORIGINS earlier origins (each fitted on the values up to it only, with at
    least MIN_POINTS of them; an origin whose value is 0 is left out), times |last value|.
    Relative, because a growing business's errors grow with it: the errors of a year ago,
    at a fifth of today's MRR, would make too narrow a band in absolute terms. A step
    with fewer than MIN_ERRORS errors takes the last step that has them, times
    sqrt(h / that step); the deviation never falls with the step. The median is the
    method's own: only the band widens, where the method's own variance proved too
    narrow on this series (a growth rate that changes)."""
    n = len(values)
    errors: list[list[float]] = [[] for _ in range(horizon)]
    for i in range(max(MIN_POINTS, n - CALIBRATION_ORIGINS), n):
        origin = abs(values[i - 1])
        if origin == 0:
            continue
        past = uncalibrated(tuple(values[:i]), raw.method, _fit_horizon(horizon))
        for h in range(1, min(horizon, n - i) + 1):
            errors[h - 1].append((values[i - 1 + h] - past.mean[h - 1]) / origin)
    level = abs(values[-1])
    sd: list[float] = []
    base: tuple[int, float] | None = None
    for h in range(1, horizon + 1):
        if len(errors[h - 1]) >= MIN_ERRORS:
            rms = math.sqrt(fmean([e * e for e in errors[h - 1]])) * level
            base = (h, rms)
        elif base is not None:
            rms = base[1] * math.sqrt(h / base[0])
        else:
            rms = 0.0
        sd.append(max(raw.sd[h - 1], rms, sd[-1] if sd else 0.0))
    return Forecast(raw.last, raw.mean[:horizon], tuple(sd), raw.method, raw.known)


def _linear(values: list[float]) -> float | None:
    """The constant daily change of an exactly linear series (a constant one: 0), else None."""
    diffs = np.diff(np.asarray(values, dtype=float))
    scale = max(1.0, float(np.max(np.abs(values))))
    if float(np.ptp(diffs)) <= 1e-9 * scale:
        return float(diffs.mean())
    return None


def _ets(values: list[float], horizon: int) -> Forecast:
    step = _linear(values)
    if step is not None:
        # No noise at all: the model's limit is the line itself, with no spread (a
        # likelihood fit of a noiseless series does not converge).
        last = values[-1]
        return Forecast(
            last,
            tuple(last + step * h for h in range(1, horizon + 1)),
            (0.0,) * horizon,
            Method.ETS,
        )
    y = pd.Series(np.asarray(values, dtype=float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser
        result = ETSModel(y, error="add", trend="add", damped_trend=False).fit(
            disp=False, maxiter=200
        )
        prediction = result.get_prediction(start=len(y), end=len(y) + horizon - 1)
        mean = np.asarray(prediction.predicted_mean, dtype=float)
        variance = np.asarray(prediction.forecast_variance, dtype=float)
    sd = np.sqrt(np.clip(variance, 0.0, None))
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sd))):
        raise ArithmeticError("the model's forecast is not finite")
    return Forecast(values[-1], tuple(mean.tolist()), tuple(sd.tolist()), Method.ETS)


def _baseline(values: list[float], horizon: int, *, drift: bool) -> Forecast:
    last = values[-1]
    changes = [b - a for a, b in itertools.pairwise(values)]
    growth = fmean(changes) if drift else 0.0
    spread = math.sqrt(fmean([(c - growth) ** 2 for c in changes]))
    return Forecast(
        last,
        tuple(last + growth * h for h in range(1, horizon + 1)),
        tuple(spread * math.sqrt(h) for h in range(1, horizon + 1)),
        Method.DRIFT if drift else Method.LAST,
    )
