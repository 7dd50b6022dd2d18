"""The board pack's forecast page: MRR at the month ends shown, then the model's median
and 80% band at each month end to the end of the local year after the report's instant,
and the MRR target when one is configured (docs/spec.md §11, docs/forecast.md).

Fitted on the report's own month ends (the 13 it evaluates), with the method the live
forecast exports for MRR. The model library is imported here, when a report is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from exporter.forecast.horizons import horizon_end, month_steps
from exporter.history.report.month import Month
from exporter.vocabulary import Horizon


@dataclass(frozen=True)
class Outlook:
    """The MRR forecast at the month ends after the report's, to the year's end."""

    months: tuple[Month, ...]  # the month each forecast point ends
    low: tuple[float, ...]  # quantile 0.1
    median: tuple[float, ...]
    high: tuple[float, ...]  # quantile 0.9
    method: str
    fitted_on: int  # month ends fitted
    target: float | None


def outlook(
    month: Month, at: datetime, mrr: list[float | None], zone: ZoneInfo, target: float | None
) -> Outlook | None:
    """The outlook after ``month`` (ending at ``at``) from its month-end MRR series
    (oldest first); None when the series is too short to fit."""
    from exporter.forecast.history import Monthly
    from exporter.forecast.model import EXPORTED, fit
    from exporter.vocabulary import ForecastMetric

    values = Monthly(at.date(), tuple(mrr)).fit_values()
    end = horizon_end(at, zone, Horizon.YEAR_END)
    steps = round(month_steps(at.astimezone(zone).date(), end, zone))
    forecast = fit(values, steps, EXPORTED[ForecastMetric.MRR])
    if forecast is None:
        return None
    hs = range(1, steps + 1)
    return Outlook(
        months=tuple(month.shift(h) for h in hs),
        low=tuple(forecast.quantile(h, 0.1) for h in hs),
        median=tuple(forecast.median(h) for h in hs),
        high=tuple(forecast.quantile(h, 0.9) for h in hs),
        method=str(forecast.method),
        fitted_on=len(values),
        target=target,
    )
