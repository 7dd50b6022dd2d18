"""The history a forecast is fitted on: each forecast metric at the local midnights one
calendar month apart that end at the start of T's day, evaluated by the engine (the SQL
groups' own queries, every instant in one pass), never read back from Prometheus. At a
month end the grid is the month ends."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime

from exporter import catalog
from exporter.config import Config
from exporter.engine import Engine, chunks
from exporter.errors import DatabaseError
from exporter.forecast.horizons import months_from
from exporter.groups import Group
from exporter.groups.revenue import REVENUE
from exporter.groups.users import USERS
from exporter.groups.viral import VIRAL
from exporter.instant import local_midnight
from exporter.snapshot import SeriesKey, labels_of
from exporter.vocabulary import FORECAST_JOBS, ActiveWindow, ForecastMetric, UserType


def _only(group: Group, sql_file: str) -> Group:
    """The group with just the query of ``sql_file``: the one a forecast metric needs."""
    queries = tuple(q for q in group.queries if q.sql_file == sql_file)
    assert queries, sql_file
    return Group(group.name, group.tables, queries)


# The queries the forecast metrics come from (each group's other queries are not read).
SOURCES: tuple[Group, ...] = (
    _only(REVENUE, "revenue/summary.sql"),
    _only(USERS, "users/active.sql"),
    _only(VIRAL, "viral/summary.sql"),
)


def series_key(metric: ForecastMetric, config: Config) -> SeriesKey:
    """The (name, labels) an evaluation holds ``metric`` under."""
    active = catalog.PREFIX + "active_users"
    d30 = str(ActiveWindow.D30)
    return {
        ForecastMetric.MRR: (
            catalog.PREFIX + "mrr",
            labels_of(currency=config.reporting.currency),
        ),
        ForecastMetric.PAYING_SUPPLIERS: (catalog.PREFIX + "paying_suppliers", labels_of()),
        ForecastMetric.ACTIVE_SUPPLIERS: (
            active,
            labels_of(user_type=str(UserType.SUPPLIER), window=d30),
        ),
        ForecastMetric.ACTIVE_COUPLES: (
            active,
            labels_of(user_type=str(UserType.COUPLE), window=d30),
        ),
        ForecastMetric.VIRAL_COEFFICIENT: (
            catalog.PREFIX + "viral_coefficient",
            labels_of(window=str(config.viral.window)),
        ),
    }[metric]


def month_ends(last: date, count: int) -> list[date]:
    """``count`` first days of months, oldest first, ending with ``last`` (a first day):
    the local midnights that start them are the month ends of the fit."""
    return [months_from(last, -k) for k in range(count - 1, -1, -1)]


@dataclass(frozen=True)
class Monthly:
    """A metric at the month ends ``month_ends(last, len(values))``, oldest first; None
    where it is absent (K when no supplier was active)."""

    last: date
    values: tuple[float | None, ...]

    def until(self, k: int) -> Monthly:
        """The series without its last ``k`` points: what was known ``k`` months earlier."""
        return Monthly(months_from(self.last, -k), self.values[: len(self.values) - k])

    def fit_values(self) -> list[float]:
        """The trailing run of present values a model is fitted on; the leading points
        before the data starts (all zero) are left out."""
        run: list[float] = []
        for v in reversed(self.values):
            if v is None:
                break
            run.append(v)
        run.reverse()
        while len(run) > 1 and run[0] == 0 and any(run):
            run.pop(0)
        return run


Point = dict[ForecastMetric, float | None]


def evaluate_days(
    engine: Engine, days: Sequence[date], wall: datetime | None = None, *, jobs: int = FORECAST_JOBS
) -> dict[date, Point]:
    """Every forecast metric at the local midnight that starts each of ``days``: the
    days cut into ``jobs`` runs of consecutive ones, and one many-instant pass per
    (source query, run), ``jobs`` of them at a time (a cold refit's 25 month ends read
    every session once; serve's pool holds a connection for each pass, CONCURRENT_JOBS).
    Raises DatabaseError on a failure."""
    if not days:
        return {}
    zone = engine.config.reporting.zone
    runs = chunks(days, jobs)
    ordered = [d for run in runs for d in run]
    by_instant: list[dict[SeriesKey, float]] = [{} for _ in ordered]
    starts = [sum(len(r) for r in runs[:k]) for k in range(len(runs))]
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="forecast") as pool:
        passes = [
            (group, first, pool.submit(engine.run_group_at, group, instants))
            for group in SOURCES
            for first, instants in zip(
                starts,
                [[engine.instant(local_midnight(d, zone), wall) for d in run] for run in runs],
                strict=True,
            )
        ]
        for group, first, future in passes:
            for k, snapshot in enumerate(future.result(), start=first):
                if snapshot.error is not None:
                    for *_, other in passes:
                        other.cancel()
                    raise DatabaseError(f"forecast history: group {group.name}: {snapshot.error}")
                for s in snapshot.samples:
                    by_instant[k][s.key] = s.value
    keys = {m: series_key(m, engine.config) for m in ForecastMetric}
    return {
        d: {m: values.get(key) for m, key in keys.items()}
        for d, values in zip(ordered, by_instant, strict=True)
    }


def series(points: dict[date, Point], days: Sequence[date]) -> dict[ForecastMetric, Monthly]:
    """The month-end series of each metric from evaluated points."""
    return {m: Monthly(days[-1], tuple(points[d][m] for d in days)) for m in ForecastMetric}


class MonthEndCache:
    """The month-end points of the fit, kept between refits: a past month end's value is
    evaluated once per calendar month (all of them again when a new month starts, which
    also takes in late corrections to the source rows), so a daily refit evaluates only
    the new points and T's own day."""

    def __init__(self, jobs: int = FORECAST_JOBS) -> None:
        self.jobs = jobs
        self._lock = threading.Lock()
        self._month: date | None = None
        self._points: dict[date, Point] = {}

    def points(
        self, engine: Engine, days: Sequence[date], today: date, wall: datetime | None
    ) -> tuple[dict[date, Point], Point]:
        """The points of ``days`` (month ends) and of ``today`` (always evaluated afresh)."""
        with self._lock:
            if self._month != days[-1]:
                self._month, self._points = days[-1], {}
            missing = [d for d in days if d not in self._points]
            extra = [] if today in days else [today]
            found = evaluate_days(engine, [*missing, *extra], wall, jobs=self.jobs)
            for d in missing:
                self._points[d] = found[d]
            return {d: self._points[d] for d in days}, found.get(today) or self._points[today]
