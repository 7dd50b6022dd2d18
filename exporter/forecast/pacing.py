"""Pacing to a target: the median forecast at the target instant over the target, and the
probability of reaching it under the forecast distribution (SPEC §11)."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class Pacing:
    ratio: float  # median forecast / target
    probability: float  # P(value >= target)


def pace(median: float, spread: NormalDist | None, target: float) -> Pacing:
    """Pacing of a normal forecast (``spread`` None: a point forecast, ``median`` exact)
    to a positive ``target``. The median is floored at 0, as the exported quantile is."""
    if not target > 0:
        raise ValueError(f"a target must be positive: {target!r}")
    ratio = max(0.0, median) / target
    probability = (1.0 if median >= target else 0.0) if spread is None else 1.0 - spread.cdf(target)
    return Pacing(ratio, probability)
