"""History from day one: the metrics at a series of past instants, as OpenMetrics text
for ``promtool tsdb create-blocks-from openmetrics``.

Every instant goes through the engine exactly as ``collect --at`` does; the instants are
evaluated concurrently on one pool (each (instant, group) pair is one task), then the
samples are written grouped by family and ordered by time within each series, each
stamped with its instant, ending with ``# EOF``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.openmetrics.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from exporter import catalog
from exporter.atomic import atomic_writer, check_writable
from exporter.config import Config
from exporter.engine import DEFAULT_JOBS, History, evaluate_many
from exporter.errors import ConfigError
from exporter.instant import local_midnight
from exporter.migrate import ensure_schema

_STEP = re.compile(r"^(?P<n>[0-9]+)(?P<unit>[hdw])$")

# The metrics a backfill writes: what the groups compute at T, without the exporter's
# health and without what only the wall clock of the run knows.
PUBLISHED = tuple(m for m in catalog.ALL if m.group != "health" and m.at_t)


@dataclass(frozen=True)
class Step:
    """``--step``: whole days or weeks move along local midnights; hours are fixed."""

    text: str
    days: int = 0
    hours: int = 0


def parse_step(text: str) -> Step:
    m = _STEP.match(text.strip())
    if m is None:
        raise ConfigError(f"--step: not a step like '1d', '6h' or '1w': {text!r}")
    n = int(m["n"])
    if n == 0:
        raise ConfigError(f"--step: must be more than zero, got {text!r}")
    unit = m["unit"]
    if unit == "h":
        return Step(text, hours=n)
    return Step(text, days=n * (7 if unit == "w" else 1))


def instants(
    start: date, end: date, step: Step, zone: ZoneInfo, now: datetime | None = None
) -> list[datetime]:
    """The local midnight of ``start``, then every step up to that of ``end``, both included."""
    if start > end:
        raise ConfigError(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    last = local_midnight(end, zone)
    now = now or datetime.now(UTC)
    if last > now:
        raise ConfigError(f"--to {end.isoformat()}: its midnight is in the future")
    out: list[datetime] = []
    if step.days:
        day = start
        while day <= end:
            out.append(local_midnight(day, zone))
            day += timedelta(days=step.days)
    else:
        t = local_midnight(start, zone)
        while t <= last:
            out.append(t)
            t += timedelta(hours=step.hours)
    return out


class _HistoryCollector(Collector):
    def __init__(self, history: History, config: Config) -> None:
        self._history = history
        self._config = config

    def collect(self) -> Iterator[Metric]:
        for metric in PUBLISHED:
            # series -> [(timestamp, value)], in time order (the evaluations are).
            series: dict[tuple[tuple[str, str], ...], list[tuple[float, float]]] = {}
            for t, ev in self._history.evaluations:
                stamp = t.timestamp()
                for labels, value in ev.series(metric.name).items():
                    series.setdefault(labels, []).append((stamp, value))
            if not series:
                continue
            family = GaugeMetricFamily(
                metric.name, metric.describe(self._config), labels=list(metric.labels)
            )
            for labels, points in sorted(series.items()):
                by_name = dict(labels)
                values = [by_name[n] for n in metric.labels]
                for stamp, value in points:
                    family.add_metric(values, value, timestamp=stamp)
            yield family


def openmetrics(history: History, config: Config) -> bytes:
    """The OpenMetrics text of a history (ends with ``# EOF``)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_HistoryCollector(history, config))
    return generate_latest(registry)


@dataclass(frozen=True)
class BackfillResult:
    instants: int
    samples: int
    seconds: float
    path: Path

    @property
    def rate(self) -> float:
        return self.instants / self.seconds if self.seconds > 0 else float("inf")


def backfill(
    url: str,
    config: Config,
    start: date,
    end: date,
    step: Step,
    out: Path,
    *,
    jobs: int = DEFAULT_JOBS,
    progress: bool = True,
    now: datetime | None = None,
) -> BackfillResult:
    """Evaluate the instants and write the file (whole, or not at all)."""
    from tqdm import tqdm

    now = now or datetime.now(UTC)  # the run's wall clock, for the range and every instant
    at = instants(start, end, step, config.reporting.zone, now)
    check_writable(out)
    ensure_schema(url, config)
    with tqdm(
        total=len(at), unit="instant", desc="backfill", disable=not progress, leave=False
    ) as bar:
        history = evaluate_many(url, config, at, jobs=jobs, progress=bar.update, wall=now)
    body = openmetrics(history, config)
    with atomic_writer(out) as fh:
        fh.write(body)
    samples = sum(len(ev) for _, ev in history.evaluations)
    return BackfillResult(len(at), samples, history.seconds, out)
