"""Panel declarations: what a panel shows and how big it is, before any SDK builder.

Boards are tuples of these values (:class:`Stat`, :class:`Trend`, :class:`Bars`,
:class:`CohortTable`, :class:`SqlTable`, :class:`Row`); :mod:`dashboards.panels` turns them into builders and
:mod:`dashboards.layout` places them on the grid in reading order.

JSON-schema constraint kept throughout: Grafana's dashboard schema admits only objects as
field-override matcher options and values, so overrides are limited to colours (matched
with ``byNames``); no panel relies on a per-field unit or display-name override. Series
are named with ``legendFormat`` (or SQL column aliases) and every panel has one unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from grafana_foundation_sdk.models import dashboard as models

from dashboards.links import Link
from dashboards.thresholds import BLUE, NEUTRAL

GRID_WIDTH = 24


@dataclass(frozen=True)
class Size:
    """Width (of the 24-column grid) and height (grid rows) of a panel."""

    width: int
    height: int

    def high(self, height: int) -> Size:
        return Size(self.width, height)


NARROW_CARD = Size(3, 5)  # eight on a line
CARD = Size(6, 5)  # four on a line
THIRD = Size(8, 9)
HALF = Size(12, 9)
TWO_THIRDS = Size(16, 9)
FULL = Size(GRID_WIDTH, 9)


@dataclass(frozen=True)
class Target:
    """One PromQL query of a panel; ``legend`` names its series."""

    expr: str
    legend: str = "__auto"


@dataclass(frozen=True)
class Panel:
    """What every panel has, whatever its datasource: the shared header."""

    title: str
    description: str
    unit: str
    size: Size
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Stat(Panel):
    targets: tuple[Target, ...] = ()
    thresholds: list[models.Threshold] = field(default_factory=lambda: NEUTRAL)
    color_mode: Literal["value", "background", "none"] = "none"
    graph: bool = True
    decimals: int | None = None
    min: float | None = None


@dataclass(frozen=True)
class Trend(Panel):
    targets: tuple[Target, ...] = ()
    stacked: bool = False
    fill: int = 10
    thresholds: list[models.Threshold] | None = None
    thresholds_style: str = "off"  # off, line, dashed, area, line+area, dashed+area
    colors: Mapping[str, str] = field(default_factory=dict)
    decimals: int | None = None
    min: float | None = None
    bars: bool = False  # drawn as bars rather than lines


@dataclass(frozen=True)
class Bars(Panel):
    """Current values of a breakdown, one bar per label value, largest first."""

    targets: tuple[Target, ...] = ()
    thresholds: list[models.Threshold] = field(default_factory=lambda: BLUE)
    decimals: int | None = None


@dataclass(frozen=True)
class CohortTable(Panel):
    """Current values of a breakdown as a table, one row per label value, each value's
    cell coloured by the thresholds: a heat map of, say, retention by cohort.

    ``label`` is the label that names the rows (the table keeps it and the value only).
    """

    targets: tuple[Target, ...] = ()
    label: str = "cohort"
    thresholds: list[models.Threshold] = field(default_factory=lambda: BLUE)
    decimals: int | None = None


@dataclass(frozen=True)
class SqlTable(Panel):
    """Rows from the PostgreSQL datasource (the exporter's read-only grafana_ and records_ functions)."""

    sql: str = ""
    time_series: bool = False
    panel_id: int | None = None  # a fixed id that links point at (else numbered in order)


@dataclass(frozen=True)
class Row:
    """A row of panels; a collapsed row holds the panels after it (up to the next row)
    and Grafana queries them only once it is opened."""

    title: str
    collapsed: bool = False


Item = Stat | Trend | Bars | CohortTable | SqlTable | Row
