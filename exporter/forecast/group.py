"""The forecast group: one refit at T, as a Snapshot the store publishes like any group's.

``Forecaster.run`` evaluates the fit history with the engine, then imports the model (and
with it statsmodels) for the first time in the process: nothing on the scrape path imports
``exporter.forecast.model``. Like ``Engine.run_group`` it never raises: a failure is the
snapshot's error, and the previous forecast stays published.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from exporter import catalog
from exporter.config import Config
from exporter.engine import Engine
from exporter.forecast.history import MonthEndCache, Monthly, Point, month_ends, series
from exporter.forecast.horizons import day_end, horizon_end, month_steps
from exporter.forecast.pacing import pace
from exporter.instant import local_midnight
from exporter.snapshot import Sample, Snapshot
from exporter.vocabulary import (
    FORECAST_JOBS,
    FORECAST_MONTHS,
    FORECAST_QUANTILES,
    PACED_TARGETS,
    ForecastMetric,
    GroupName,
    Horizon,
    TargetName,
)


def targets(config: Config) -> dict[TargetName, float]:
    """The configured targets a forecast paces (an unset one is not paced)."""
    values = {
        TargetName.MRR: config.targets.mrr,
        TargetName.PAYING_SUPPLIERS: config.targets.paying_suppliers,
        TargetName.VIRAL_COEFFICIENT: config.targets.viral_coefficient,
    }
    return {name: v for name, v in values.items() if v is not None and name in PACED_TARGETS}


@dataclass(frozen=True)
class Plan:
    """What a refit at T reads: the last month end (the midnight that starts T's local
    month), T's local day, each horizon's instant and the target's, in month steps."""

    month_end: date
    today: date
    horizons: dict[Horizon, datetime]
    target_at: datetime

    @classmethod
    def at(cls, t: datetime, config: Config) -> Plan:
        zone = config.reporting.zone
        today = t.astimezone(zone).date()
        return cls(
            month_end=today.replace(day=1),
            today=today,
            horizons={h: horizon_end(t, zone, h) for h in Horizon},
            target_at=day_end(config.targets.target_day(zone, t), zone),
        )

    def step(self, at: datetime, config: Config) -> float:
        return month_steps(self.month_end, at, config.reporting.zone)

    @property
    def days(self) -> list[date]:
        return month_ends(self.month_end, FORECAST_MONTHS + 1)

    def known(self, config: Config) -> float:
        """The step of T's day (its starting midnight) past the last month end: 0 on
        the first of a month."""
        zone = config.reporting.zone
        return month_steps(self.month_end, local_midnight(self.today, zone), zone)

    def longest(self, config: Config) -> int:
        """The whole steps a fit must reach: past every horizon and the target."""
        return math.ceil(
            max(self.step(at, config) for at in (*self.horizons.values(), self.target_at))
        )


def samples_of(
    monthly: dict[ForecastMetric, Monthly], today: Point, plan: Plan, config: Config
) -> list[Sample]:
    """The forecast, pacing and target-instant samples of one refit."""
    from exporter.forecast.model import EXPORTED, fit  # the model library, mapped here

    name = catalog.PREFIX + "forecast"
    out: list[Sample] = []
    known = plan.known(config)
    longest = plan.longest(config)
    fitted = {}
    for metric in ForecastMetric:
        forecast = fit(monthly[metric].fit_values(), longest, EXPORTED[metric])
        if forecast is None:
            continue
        now = today[metric]
        if known > 0 and now is not None:
            forecast = forecast.given(known, now)
        fitted[metric] = forecast
        for horizon, at in plan.horizons.items():
            for q in FORECAST_QUANTILES:
                labels = (("metric", str(metric)), ("horizon", str(horizon)), ("quantile", str(q)))
                out.append(Sample(name, labels, forecast.quantile(plan.step(at, config), q)))
    target_step = plan.step(plan.target_at, config)
    if target_step > known:
        out.append(
            Sample(
                catalog.PREFIX + "forecast_target_timestamp_seconds",
                (),
                plan.target_at.timestamp(),
            )
        )
        for target, value in targets(config).items():
            forecast = fitted.get(PACED_TARGETS[target])
            if forecast is None or target_step < forecast.known:
                continue
            paced = pace(forecast.median(target_step), forecast.at(target_step), value)
            metric_label = (("metric", str(target)),)
            out.append(Sample(catalog.PREFIX + "target_pacing_ratio", metric_label, paced.ratio))
            out.append(
                Sample(catalog.PREFIX + "target_reach_probability", metric_label, paced.probability)
            )
    return out


class Forecaster:
    """The forecast group's runs: each refit at T, over a cache of month-end points."""

    def __init__(self, engine: Engine, jobs: int = FORECAST_JOBS) -> None:
        self.engine = engine
        self.cache = MonthEndCache(jobs)

    def run(self, at: datetime | None = None, wall: datetime | None = None) -> Snapshot:
        """Refit every forecast metric at ``at`` (default: now) and pace the targets."""
        started = datetime.now(UTC)
        clock = time.perf_counter()
        t = self.engine.instant(at, wall).t
        config = self.engine.config
        plan = Plan.at(t, config)
        samples: list[Sample] = []
        error = None
        try:
            days = plan.days
            points, today = self.cache.points(self.engine, days, plan.today, wall)
            samples = samples_of(series(points, days), today, plan, config)
        except Exception as exc:  # reported, never raised: the scheduler keeps going
            error = str(exc) if str(exc).startswith("forecast") else f"{type(exc).__name__}: {exc}"
        return Snapshot(
            group=GroupName.FORECAST,
            at=t,
            started_at=started,
            duration_seconds=time.perf_counter() - clock,
            samples=tuple(samples) if error is None else (),
            error=error,
        )
