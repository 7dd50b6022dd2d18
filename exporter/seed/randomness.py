"""Random draws: weighted choices, bounded integers and inhomogeneous Poisson events."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from exporter.seed.clock import HOUR, HourlyFactor

T = TypeVar("T")


class Weighted(Generic[T]):
    """A discrete distribution drawn with one uniform and a bisection."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values: list[T] = [value for value, _ in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def draw(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _between(rng: random.Random, bounds: tuple[int, int]) -> int:
    return rng.randrange(bounds[0], bounds[1] + 1)


@dataclass(frozen=True)
class Stream:
    """An actor that produces events at ``rate`` per second × factor over [start, stop)."""

    start: int
    stop: int
    rate: float
    actor: int
    factor: HourlyFactor


def poisson_events(
    streams: Sequence[Stream],
    bounds: Sequence[int],
    rng: random.Random,
) -> Iterator[tuple[int, int, list[tuple[int, int]]]]:
    """Per chunk [lo, hi) of ``bounds``: the sorted (timestamp, actor) events in it.

    Each stream is an inhomogeneous Poisson process with intensity rate × factor(t),
    drawn by time change: unit-rate gaps on the factor's cumulative integral, mapped back
    to instants by bisection. ``streams`` must be sorted by start.
    """
    expovariate = rng.expovariate
    bisect_right = bisect.bisect_right
    pending = 0
    active: list[Stream] = []
    for lo, hi in itertools.pairwise(bounds):
        while pending < len(streams) and streams[pending].start < hi:
            active.append(streams[pending])
            pending += 1
        events: list[tuple[int, int]] = []
        append = events.append
        for stream in active:
            start = stream.start if stream.start > lo else lo
            stop = stream.stop if stream.stop < hi else hi
            if start >= stop:
                continue
            factor = stream.factor
            cumulative, values, origin = factor.cumulative, factor.values, factor.origin
            rate, actor, first, last = stream.rate, stream.actor, start, stop - 1
            limit = factor.at(stop)
            u = factor.at(start) + expovariate(rate)
            while u < limit:
                index = bisect_right(cumulative, u) - 1
                t = int(origin + index * HOUR + (u - cumulative[index]) / values[index])
                # Rounding can land a hair outside [start, stop); clamp into it.
                append((first if t < first else last if t > last else t, actor))
                u += expovariate(rate)
        active = [stream for stream in active if stream.stop > hi]
        events.sort()
        yield lo, hi, events
