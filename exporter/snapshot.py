"""Immutable results of one computation of one metric group."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

Labels = tuple[tuple[str, str], ...]
SeriesKey = tuple[str, Labels]


def labels_of(**labels: str) -> Labels:
    """Labels in a canonical (sorted) order: the form series keys are looked up by."""
    return tuple(sorted(labels.items()))


@dataclass(frozen=True)
class Sample:
    """One series value. ``labels`` are in the metric's declared order (the order the
    exposition writes them); ``key`` is order-independent."""

    name: str
    labels: Labels
    value: float

    @property
    def key(self) -> SeriesKey:
        return (self.name, tuple(sorted(self.labels)))

    def label_values(self, names: tuple[str, ...]) -> list[str]:
        """The values of ``names``, in that order."""
        if tuple(n for n, _ in self.labels) == names:
            return [v for _, v in self.labels]
        by_name = dict(self.labels)
        return [by_name[n] for n in names]


@dataclass(frozen=True)
class Snapshot:
    """What one run of a group produced: samples for instant ``at``, or an error."""

    group: str
    at: datetime
    started_at: datetime
    duration_seconds: float
    samples: tuple[Sample, ...] = ()
    error: str | None = None

    @property
    def finished_at(self) -> datetime:
        return self.started_at + timedelta(seconds=self.duration_seconds)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Evaluation(Mapping[SeriesKey, float]):
    """Every sample of several snapshots, looked up by metric name and labels."""

    snapshots: Mapping[str, Snapshot]
    _index: Mapping[SeriesKey, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[SeriesKey, float] = {}
        for snap in self.snapshots.values():
            for s in snap.samples:
                index[s.key] = s.value
        object.__setattr__(self, "_index", index)

    def __getitem__(self, key: SeriesKey) -> float:
        return self._index[key]

    def __iter__(self) -> Iterator[SeriesKey]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def value(self, name: str, **labels: str) -> float | None:
        """The sample's value, or None when the series is absent."""
        return self._index.get((name, labels_of(**labels)))

    def series(self, name: str) -> dict[Labels, float]:
        return {k[1]: v for k, v in self._index.items() if k[0] == name}

    @property
    def errors(self) -> dict[str, str]:
        return {g: s.error for g, s in self.snapshots.items() if s.error is not None}


def merge(snapshots: Iterable[Snapshot]) -> Evaluation:
    return Evaluation({s.group: s for s in snapshots})
