"""The backtest: replay the last 12 month ends of a history, fit on what was known at
each, forecast 1 and 3 months ahead, and score the model beside the baselines.

MAPE is the mean of |forecast median - actual| / |actual| (an actual of 0 is left out);
the coverage is the share of actuals inside the forecast's 80% band (0.1 to 0.9).
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.forecast.history import Monthly
from exporter.vocabulary import ForecastMetric

HORIZONS = (1, 3)
ORIGINS = 12


@dataclass(frozen=True)
class Score:
    mape: float | None  # percent; None when no actual was nonzero
    coverage: float | None  # share of the 80% band; None when nothing was scored
    count: int


def score(series: Monthly, method: str, horizon: int, origins: int = ORIGINS) -> Score:
    """Fit at each of the last ``origins`` points that have an actual ``horizon`` months
    on, forecast with ``method`` (a model.Method value) and score against the actual."""
    from exporter.forecast.model import Method, fit

    values = series.values
    n = len(values)
    errors: list[float] = []
    inside = 0
    scored = 0
    for i in range(max(0, n - horizon - origins), n - horizon):
        known = Monthly(series.last, values[: i + 1]).fit_values()
        actual = values[i + horizon]
        forecast = fit(known, horizon, Method(method))
        if forecast is None or actual is None:
            continue
        scored += 1
        median = forecast.median(horizon)
        if actual != 0:
            errors.append(abs(median - actual) / abs(actual) * 100.0)
        if forecast.quantile(horizon, 0.1) <= actual <= forecast.quantile(horizon, 0.9):
            inside += 1
    return Score(
        sum(errors) / len(errors) if errors else None,
        inside / scored if scored else None,
        scored,
    )


def table(name: str, history: dict[ForecastMetric, Monthly]) -> list[str]:
    """Markdown rows: per metric and method, MAPE and coverage at 1 and 3 months."""
    from exporter.forecast.model import Method

    rows = []
    for metric in ForecastMetric:
        for method in Method:
            cells = []
            for h in HORIZONS:
                s = score(history[metric], method.value, h)
                cells.append("–" if s.mape is None else f"{s.mape:.2f}%")
            for h in HORIZONS:
                s = score(history[metric], method.value, h)
                cells.append("–" if s.coverage is None else f"{s.coverage:.0%} ({s.count})")
            rows.append(f"| {name} | {metric} | {method.value} | " + " | ".join(cells) + " |")
    return rows
