"""The shape of a metric group: SQL files and how their columns become samples.

A query's result columns are either label values (``Col``) or metric values
(``MetricBinding.column``). A NULL value means "undefined" (a ratio over zero) and
the series is left out, as SPEC §2 asks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from exporter import catalog
from exporter.config import Config
from exporter.contract import SourceTable
from exporter.instant import Instant
from exporter.snapshot import Sample
from exporter.vocabulary import (
    COHORT_MONTHS,
    CYCLE_TIME_QUANTILES,
    LIFECYCLE_WINDOW,
    ActiveWindow,
    GroupName,
    TargetName,
)


@dataclass(frozen=True)
class Col:
    """A label whose value is read from a result column."""

    column: str


@dataclass(frozen=True)
class Ctx:
    """A label whose value comes from the evaluation context (e.g. the currency)."""

    key: str


LabelSource = str | Col | Ctx

# The context labels of the money metrics and of the viral-window metrics.
IN_CURRENCY: Mapping[str, LabelSource] = {"currency": Ctx("currency")}
IN_VIRAL_WINDOW: Mapping[str, LabelSource] = {"window": Ctx("viral_window")}


@dataclass(frozen=True)
class MetricBinding:
    column: str
    metric: str
    labels: Mapping[str, LabelSource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        definition = catalog.BY_NAME.get(self.metric)
        if definition is None:
            raise ValueError(f"{self.metric} is not declared in exporter.catalog")
        if set(self.labels) != set(definition.labels):
            raise ValueError(
                f"{self.metric}: labels {sorted(self.labels)} differ from the catalog's "
                f"{sorted(definition.labels)}"
            )

    @property
    def order(self) -> tuple[str, ...]:
        """The metric's labels in the catalog's order (the exposition's order)."""
        return catalog.BY_NAME[self.metric].labels


def bind(column: str, metric: str, /, *columns: str, **labels: LabelSource) -> MetricBinding:
    """A binding of ``column`` to the catalog metric ``execmetrics_<metric>``; each label
    named in ``columns`` is read from the result column of the same name."""
    return MetricBinding(column, catalog.PREFIX + metric, {c: Col(c) for c in columns} | labels)


@dataclass(frozen=True)
class Query:
    sql_file: str  # relative to sql/groups/
    bindings: tuple[MetricBinding, ...]
    # A many-instant query reads every instant of a pass at once (the arrays of
    # many_parameters) and returns each row with the column ``n``, the index of its
    # instant; the live path is the one-instant case of the same SQL. Any other query
    # reads one instant's parameters and runs once per instant.
    many: bool = False


@dataclass(frozen=True)
class Group:
    name: GroupName
    # The source tables its SQL reads, directly or through the view layer: a change in
    # one of them recomputes the group (exporter/serve/changes.py). tests/test_changes.py
    # checks the list against the SQL text.
    tables: frozenset[SourceTable]
    queries: tuple[Query, ...]


def parameters(instant: Instant, config: Config) -> dict[str, Any]:
    """Named parameters shared by every group's SQL."""
    return {
        "t": instant.t,
        "m1": instant.m1,
        "day_start": instant.day_start,
        **{f"start_{w}": instant.window_start(w.delta) for w in ActiveWindow},
        "viral_start": instant.window_start(config.viral.window.delta),
        "engagement_start": instant.window_start(config.engagement.window.delta),
        "session_cap": config.engagement.session_cap,
        "top_n": config.breakdowns.top_n,
        "future_limit": instant.future_limit,
        **growth_parameters(instant, config),
    }


# The column of a many-instant query's rows that names the instant (its index in the pass).
INSTANT_COLUMN = "n"


def many_parameters(instants: Sequence[Instant], config: Config) -> dict[str, Any]:
    """The parameters of a many-instant query: each per-instant scalar of ``parameters``
    as an array over the instants (in their order, index ``n``), the config's values as
    they are, the first and last T (``first_t``, ``last_t``: how far back a pass reads),
    and the cohort months of all the instants at once: their edges in order
    (``cohort_bounds``), the label of the month starting at each edge (``None`` where a
    gap between the months of instants far apart starts), and each instant's first and
    last month (``cohort_first``, ``cohort_last``)."""
    if not instants:
        raise ValueError("a pass needs at least one instant")
    each = [parameters(instant, config) for instant in instants]
    out: dict[str, Any] = {}
    for name, value in each[0].items():
        if name in CONFIG_PARAMETERS:
            out[name] = value
        elif not isinstance(value, list):
            out[name] = [p[name] for p in each]
    months: dict[str, tuple[datetime, datetime]] = {}
    firsts, lasts = [], []
    for instant in instants:
        cohorts = instant.cohorts(COHORT_MONTHS)
        firsts.append(cohorts[0].label)
        lasts.append(cohorts[-1].label)
        for c in cohorts:
            months[c.label] = (c.start, c.end)
    labels = sorted(months)
    edges = sorted({edge for start, end in months.values() for edge in (start, end)})
    bucket_labels = {months[label][0]: label for label in labels}
    # The sweeps' times, numbered 1..K in order: each instant's T and the other instants
    # it reads a sweep at (T - 30 days for P of the lifecycle, the engagement and viral
    # window starts, and the last microsecond before its local day). An event at `at`
    # counts at the times >= at, those numbered from width_bucket(at, sweep_edges) + 1 on.
    points = {
        "k": [i.t for i in instants],
        "k_lifecycle_c": [i.window_start(LIFECYCLE_WINDOW) for i in instants],
        "k_engagement": [i.window_start(config.engagement.window.delta) for i in instants],
        "k_viral": [i.window_start(config.viral.window.delta) for i in instants],
        "k_day": [i.day_start - SWEEP_STEP for i in instants],
    }
    times = sorted({t for ts in points.values() for t in ts})
    place = {t: k for k, t in enumerate(times, start=1)}
    # What a sweep reads: for a window length L, the union of the (T - L, T] of the
    # instants, as disjoint spans (read_<L>_from[i], read_<L>_to[i]]; a row outside all of
    # them counts at no instant, and sparse instants (month ends) read only their windows.
    for name, length in (
        ("30d", LIFECYCLE_WINDOW),
        ("60d", 2 * LIFECYCLE_WINDOW),
        ("viral", config.viral.window.delta),
        ("quiet", config.targets.at_risk_quiet_period.delta),
        ("engagement", config.engagement.window.delta),
    ):
        spans = read_spans([i.t for i in instants], length)
        out[f"read_{name}_from"] = [lo for lo, _ in spans]
        out[f"read_{name}_to"] = [hi for _, hi in spans]
    out |= {
        INSTANT_COLUMN: list(range(len(instants))),
        **{name: [place[t] for t in ts] for name, ts in points.items()},
        "sweep_edges": [t + SWEEP_STEP for t in times],
        # the local date of each of those times, in the same order
        "sweep_dates": [t.astimezone(config.reporting.zone).date() for t in times],
        "viral_seconds": config.viral.window.delta.total_seconds(),
        "at_risk_seconds": config.targets.at_risk_quiet_period.delta.total_seconds(),
        "first_t": min(i.t for i in instants),
        "last_t": max(i.t for i in instants),
        "cohort_first": firsts,
        "cohort_last": lasts,
        "cohort_bounds": edges,
        "cohort_bucket_labels": [bucket_labels.get(edge) for edge in edges[:-1]],
        "cohort_first_start": edges[0],
        "cohort_last_end": edges[-1],
    }
    return out


def read_spans(times: Sequence[datetime], length: timedelta) -> list[tuple[datetime, datetime]]:
    """The union of the windows (t - length, t] over ``times``, as disjoint (from, to]
    spans in time order."""
    spans: list[tuple[datetime, datetime]] = []
    for t in sorted(set(times)):
        lo = t - length
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], t)
        else:
            spans.append((lo, t))
    return spans


# Timestamps are stored to the microsecond: an event at `at` is at or before T exactly
# when it is before T + 1 µs.
SWEEP_STEP = timedelta(microseconds=1)

# The parameters that come from the config alone: the same for every instant.
CONFIG_PARAMETERS = frozenset(
    {
        "session_cap",
        "top_n",
        "cycle_quantiles",
        "cycle_quantile_labels",
        "target_names",
        "target_values",
    }
)


def growth_parameters(instant: Instant, config: Config) -> dict[str, Any]:
    """The parameters of SPEC §6: lifecycle windows, the quiet period, the cohort months."""
    cohorts = instant.cohorts(COHORT_MONTHS)
    stickiness = config.targets.stickiness
    return {
        "t_date": instant.local_date,
        "lifecycle_c_start": instant.window_start(LIFECYCLE_WINDOW),
        "lifecycle_p_start": instant.window_start(2 * LIFECYCLE_WINDOW),
        "at_risk_start": instant.window_start(config.targets.at_risk_quiet_period.delta),
        "cohort_labels": [c.label for c in cohorts],
        "cohort_starts": [c.start for c in cohorts],
        "cohort_ends": [c.end for c in cohorts],
        "cycle_quantiles": list(CYCLE_TIME_QUANTILES),
        "cycle_quantile_labels": [str(q) for q in CYCLE_TIME_QUANTILES],
        "target_names": [str(n) for n in TargetName],
        "target_values": [
            {
                TargetName.VIRAL_COEFFICIENT: config.targets.viral_coefficient,
                TargetName.SUPPLIER_STICKINESS: stickiness.supplier,
                TargetName.COUPLE_STICKINESS: stickiness.couple,
                TargetName.AT_RISK_QUIET_PERIOD: (
                    config.targets.at_risk_quiet_period.delta.total_seconds()
                ),
                # unset: NULL, the series is absent
                TargetName.MRR: config.targets.mrr,
                TargetName.PAYING_SUPPLIERS: config.targets.paying_suppliers,
            }[n]
            for n in TargetName
        ],
    }


def context(config: Config) -> dict[str, str]:
    """Values that ``Ctx`` labels may name."""
    return {
        "currency": config.reporting.currency,
        "viral_window": str(config.viral.window),
    }


def rows_by_instant(
    query: Query, columns: list[str], rows: list[tuple[Any, ...]]
) -> dict[int, list[tuple[Any, ...]]]:
    """A many-instant query's rows by the index of their instant, in the query's order."""
    if INSTANT_COLUMN not in columns:
        raise ValueError(f"{query.sql_file}: no column {INSTANT_COLUMN!r} in the result")
    at = columns.index(INSTANT_COLUMN)
    out: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        out.setdefault(int(row[at]), []).append(row)
    return out


def to_samples(
    query: Query, columns: list[str], rows: list[tuple[Any, ...]], ctx: Mapping[str, str]
) -> list[Sample]:
    index = {name: i for i, name in enumerate(columns)}
    for b in query.bindings:
        needed = [b.column] + [s.column for s in b.labels.values() if isinstance(s, Col)]
        for name in needed:
            if name not in index:
                raise ValueError(f"{query.sql_file}: no column {name!r} in the result")
    out: list[Sample] = []
    for row in rows:
        for b in query.bindings:
            value = row[index[b.column]]
            if value is None:
                continue
            labels: dict[str, str] = {}
            for label, source in b.labels.items():
                if isinstance(source, Col):
                    labels[label] = str(row[index[source.column]])
                elif isinstance(source, Ctx):
                    labels[label] = ctx[source.key]
                else:
                    labels[label] = str(source)
            out.append(Sample(b.metric, tuple((n, labels[n]) for n in b.order), float(value)))
    return out
