"""The short builders the area boards are written with.

:class:`Metric` declares a panel of one catalog metric (or recording rule) as a line of a
table: its description starts with the metric's catalog definition and its unit is the
metric's, so a board names only what is particular about the panel. :func:`area_board`
is the frame every detail board shares: the Summary row, the board's own rows, then the
Data row of its metric group, then the collapsed Records row of the tables of records
behind its numbers (:mod:`dashboards.records`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dashboards import cards as c
from dashboards.cards import d
from dashboards.layout import Board
from dashboards.links import AREAS
from dashboards.options import BuildOptions
from dashboards.records import records_of
from dashboards.specs import Bars, CohortTable, Item, Row, Size, Target, Trend
from dashboards.thresholds import steps
from dashboards.units import unit_for
from dashboards.variables import LabelVariable
from exporter.vocabulary import GroupName

P = TypeVar("P", Trend, Bars, CohortTable)


@dataclass(frozen=True)
class Metric:
    """Panels of catalog metrics in the board's reporting currency.

    Each takes the panel's title, the metric ``name``, its size and its targets; the
    description is the metric's definition followed by ``note=`` (or ``description=``
    instead), the unit the metric's (or that of the metric named by ``unit=``);
    ``lines=`` draws dashed reference lines at (value, colour); other keywords are the
    panel's own options.
    """

    opts: BuildOptions

    def unit(self, name: str) -> str:
        return unit_for(name, self.opts.currency)

    def panel(
        self,
        kind: type[P],
        title: str,
        name: str,
        size: Size,
        *targets: Target,
        note: str = "",
        description: str | None = None,
        unit: str = "",
        lines: tuple[tuple[float, str], ...] = (),
        **options: Any,
    ) -> P:
        about = description if description is not None else d(name) + note
        if lines:  # reference lines, dashed, each in its colour from its value up
            options.update(thresholds=steps("transparent", *lines), thresholds_style="dashed")
        return kind(title, about, self.unit(unit or name), size, targets=targets, **options)

    def trend(self, title: str, name: str, size: Size, *targets: Target, **options: Any) -> Trend:
        """A time series."""
        return self.panel(Trend, title, name, size, *targets, **options)

    def stacked(self, title: str, name: str, size: Size, *targets: Target, **options: Any) -> Trend:
        """A stacked breakdown over time, one band per label value."""
        return self.trend(title, name, size, *targets, stacked=True, fill=60, **options)

    def bars(self, title: str, name: str, size: Size, *targets: Target, **options: Any) -> Bars:
        """Current values of a breakdown, largest first."""
        return self.panel(Bars, title, name, size, *targets, **options)


def area_board(
    opts: BuildOptions,
    group: GroupName,
    description: str,
    items: Sequence[Item],
    variables: tuple[LabelVariable, ...] = (),
) -> Board:
    """A detail board: the Summary row, ``items`` (the summary cards, then the board's own
    rows), and the Data row of ``group``: its data-quality checks (when the area has any),
    its data age and its last computation time; then, collapsed, the Records row: the
    tables of the records behind the board's numbers, which the overview's cards open."""
    quality = (c.area_quality(opts, group),) if c.QUALITY_BY_AREA[group] else ()
    area = AREAS[group]
    return Board(
        uid=area.uid,
        title=area.title,
        description=description,
        items=(
            Row("Summary"),
            *items,
            Row("Data"),
            *quality,
            c.area_freshness(opts, group),
            c.area_last_run(opts, group),
            *records_row(opts, group),
        ),
        variables=variables,
        tags=(group,),
    )


def records_row(opts: BuildOptions, group: GroupName) -> tuple[Item, ...]:
    """The collapsed Records row of an area board and its tables (none: no row)."""
    tables = [r.table(opts) for r in records_of(group)]
    return (Row("Records", collapsed=True), *tables) if tables else ()
