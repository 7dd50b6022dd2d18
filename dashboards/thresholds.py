"""Threshold steps and colours, from the targets of :mod:`exporter.vocabulary`."""

from __future__ import annotations

import math

from grafana_foundation_sdk.models import dashboard as models

from exporter.vocabulary import TARGETS, Bands


def steps(base: str, *rest: tuple[float, str]) -> list[models.Threshold]:
    """Absolute threshold steps: ``base`` below the first value, then each (value, colour)."""
    return [models.Threshold(value=None, color=base)] + [
        models.Threshold(value=v, color=c) for v, c in rest
    ]


def bands(b: Bands) -> list[models.Threshold]:
    """A traffic-light band: red, orange, yellow, green from the lowest up."""
    return steps("red", (b.orange, "orange"), (b.yellow, "yellow"), (b.green, "green"))


def percent(value: float) -> str:
    return f"{100 * value:g} %"


def band_text(b: Bands) -> str:
    return f"{100 * b.orange:g} / {100 * b.yellow:g} / {100 * b.green:g} %"


NEUTRAL = steps("text")
UP_GREEN = steps("red", (0.0, "green"))  # a change: red below zero, green at or above
AT_LEAST_ONE = steps("red", (1.0, "green"))  # a retention ratio against 100 %
AT_ONE = ((1.0, "green"),)  # a dashed reference line at 1 (100 %), for Metric(lines=...)
K_TARGET = steps("red", (TARGETS.viral_coefficient, "green"))
SUPPLIER_STICKINESS_BANDS = bands(TARGETS.supplier_stickiness)
COUPLE_STICKINESS_BANDS = bands(TARGETS.couple_stickiness)
INDUSTRY_AVERAGE = steps("red", (TARGETS.stickiness_benchmark, "green"))
# Data age in intervals of its group: stale (orange) as the ExecMetricsStale alert sees it,
# red at four times that.
STALE = TARGETS.stale_after_intervals
STALENESS = steps("green", (STALE, "orange"), (4 * STALE, "red"))
ISSUES = steps("green", (1.0, "orange"))
# The books balance: green within the tolerance, red above it, where the
# ExecMetricsBooksUnbalanced alert fires (``> tolerance``). Grafana colours a step from its
# value up, so the red step starts at the next float above the tolerance.
BOOKS_BALANCE = steps("green", (math.nextafter(TARGETS.books_tolerance, math.inf), "red"))
BLUE = steps("blue")
GREEN = steps("green")


def by_names(*names: str) -> models.MatcherConfig:
    """A field matcher by display name. ``byNames`` rather than ``byName``: the dashboard
    schema admits only objects as matcher options."""
    return models.MatcherConfig(id_val="byNames", options={"mode": "include", "names": list(names)})


def fixed_color(color: str) -> models.DynamicConfigValue:
    return models.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": color})
