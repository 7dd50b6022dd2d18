"""A custom collector over one immutable State: no registry mutation, no DB access.

Families are built from the catalog's declarations; HELP says how often each value is
computed. Health metrics describe every group and the materialized-view refresh.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exporter import catalog
from exporter.config import Config
from exporter.snapshot import Sample
from exporter.store import State

_PUBLISHED = tuple(m for m in catalog.ALL if m.group != catalog.HEALTH_GROUP)


def _health(name: str) -> catalog.MetricDef:
    return catalog.BY_NAME[catalog.PREFIX + name]


def _family(metric: catalog.MetricDef, help_text: str) -> GaugeMetricFamily | CounterMetricFamily:
    if metric.kind == "counter":
        # CounterMetricFamily takes the full name and exposes it with its _total suffix.
        return CounterMetricFamily(metric.name, help_text, labels=list(metric.labels))
    return GaugeMetricFamily(metric.name, help_text, labels=list(metric.labels))


def families(state: State, config: Config) -> Iterator[Metric]:
    """Every metric family of a state, in catalog order."""
    samples: dict[str, list[Sample]] = {}
    for group in state.groups.values():
        if group.good is None:
            continue
        for s in group.good.samples:
            samples.setdefault(s.name, []).append(s)
    for metric in _PUBLISHED:
        rows = samples.get(metric.name)
        if not rows:
            continue
        family = _family(metric, catalog.help_text(metric, config))
        for s in rows:
            family.add_metric(s.label_values(metric.labels), s.value)
        yield family
    yield from _health_families(state, config)


def _health_family(name: str) -> GaugeMetricFamily | CounterMetricFamily:
    metric = _health(name)
    return _family(metric, metric.definition)


def _health_families(state: State, config: Config) -> Iterator[Metric]:
    interval = _health_family("group_interval_seconds")
    duration = _health_family("group_last_run_duration_seconds")
    success_ts = _health_family("group_last_success_timestamp_seconds")
    ok = _health_family("group_last_run_success")
    failures = _health_family("group_failures_total")
    evaluated = _health_family("group_evaluation_timestamp_seconds")
    for name, group in state.groups.items():
        interval.add_metric([name], config.groups.schedule(name).interval_seconds)
        if group.last_run is not None:
            duration.add_metric([name], group.last_run.duration_seconds)
            ok.add_metric([name], 1.0 if group.last_run.error is None else 0.0)
        if group.good is not None:
            success_ts.add_metric([name], group.good.finished_at.timestamp())
            evaluated.add_metric([name], group.good.at.timestamp())
        failures.add_metric([name], float(group.failures))
    yield from (interval, duration, success_ts, ok, failures, evaluated)

    refresh = state.refresh
    r_duration = _health_family("refresh_last_duration_seconds")
    r_success = _health_family("refresh_last_success_timestamp_seconds")
    r_failures = _health_family("refresh_failures_total")
    if refresh.last_run is not None:
        r_duration.add_metric([], refresh.last_run.duration_seconds)
    if refresh.last_success is not None:
        r_success.add_metric([], refresh.last_success.timestamp())
    r_failures.add_metric([], float(refresh.failures))
    r_skipped = _health_family("refresh_skipped_total")
    r_skipped.add_metric([], float(refresh.skipped))
    r_interval = _health_family("refresh_interval_seconds")
    r_interval.add_metric([], config.refresh.interval_seconds)
    yield from (r_duration, r_success, r_failures, r_skipped, r_interval)
    yield from _report_families(state, config)


REPORT_STAGES = ("build", "email", "webhook", "snapshot")


def _report_families(state: State, config: Config) -> Iterator[Metric]:
    reports = state.reports
    failures = _health_family("report_failures_total")
    for stage in sorted(set(REPORT_STAGES) | set(reports.failures)):
        failures.add_metric([stage], float(reports.failures.get(stage, 0)))
    yield failures


class StateCollector(Collector):
    """Collects whatever State it is given; the exposition cache binds one per render."""

    def __init__(self, state: State, config: Config) -> None:
        self._state = state
        self._config = config

    def collect(self) -> Iterator[Metric]:
        return families(self._state, self._config)
