"""A board declaration, its grid layout and its Grafana dashboard model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as models

from dashboards.datasources import postgres_variable, prometheus_variable
from dashboards.links import OVERVIEW_UID, TAG, other_boards_link
from dashboards.panels import build_panel
from dashboards.specs import GRID_WIDTH, Bars, CohortTable, Item, Row, SqlTable, Stat, Trend
from dashboards.variables import LabelVariable


@dataclass(frozen=True)
class Board:
    """A dashboard declaration: its panels in layout order and its variables."""

    uid: str
    title: str
    description: str
    items: tuple[Item, ...]
    variables: tuple[LabelVariable, ...] = ()
    tags: tuple[str, ...] = ()

    def panels(self) -> list[Stat | Trend | Bars | CohortTable | SqlTable]:
        return [i for i in self.items if not isinstance(i, Row)]

    @property
    def uses_postgres(self) -> bool:
        return any(isinstance(i, SqlTable) for i in self.items)


def build_board(board: Board) -> models.Dashboard:
    """The Grafana dashboard model of a board declaration."""
    builder = (
        dash.Dashboard(board.title)
        .uid(board.uid)
        .description(board.description)
        .tags([TAG, *board.tags])
        .readonly()
        # The overview follows the exporter's change feed (a scrape every 10 s); the
        # detail boards, with their long ranges, refresh every minute.
        .refresh("10s" if board.uid == OVERVIEW_UID else "1m")
        .time("now-90d", "now")
        .timezone("browser")
        .tooltip(models.DashboardCursorSync.CROSSHAIR)
        .timepicker(
            dash.TimePicker().refresh_intervals(["10s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"])
        )
        .link(other_boards_link())
        .with_variable(prometheus_variable())
    )
    if board.uses_postgres:
        builder = builder.with_variable(postgres_variable())
    for v in board.variables:
        builder = builder.with_variable(v.build())
    collapsed: dash.Row | None = None  # the collapsed row the panels go into
    for item, pos in zip(board.items, layout(board.items), strict=True):
        if isinstance(item, Row):
            if collapsed is not None:
                builder = builder.with_row(collapsed)
                collapsed = None
            row = dash.Row(item.title).grid_pos(pos)
            if item.collapsed:
                collapsed = row.collapsed(True)
            else:
                builder = builder.with_row(row)
        elif collapsed is not None:
            collapsed = collapsed.with_panel(build_panel(item).grid_pos(pos))  # type: ignore[attr-defined]
        else:
            builder = builder.with_panel(build_panel(item).grid_pos(pos))  # type: ignore[attr-defined]
    if collapsed is not None:
        builder = builder.with_row(collapsed)
    model = builder.build()
    number_panels(model)
    return model


def number_panels(model: models.Dashboard) -> None:
    """Stable panel ids (the SDK leaves them unset): a panel's fixed id (that links point
    at) is kept, the others are numbered 1.. in layout order, rows' panels included."""
    top = list(model.panels or [])
    every = [p for panel in top for p in (panel, *(getattr(panel, "panels", None) or []))]
    fixed = [p.id_val for p in every if p.id_val]  # a row's id is 0 when unset
    if len(fixed) != len(set(fixed)):
        raise ValueError(f"{model.uid}: two panels have the same fixed id")
    numbers = (i for i in range(1, len(every) + len(fixed) + 1) if i not in set(fixed))
    for panel in every:
        if not panel.id_val:
            panel.id_val = next(numbers)


def layout(items: Sequence[Item]) -> list[models.GridPos]:
    """Grid positions in reading order: a panel that does not fit on the current line
    starts the next one; a row starts a new line of its own."""
    positions = []
    x = y = line_height = 0
    collapsed_at: int | None = None  # the line of the open collapsed row, if any
    for item in items:
        if isinstance(item, Row):
            # A collapsed row's panels take no room: the next row comes just below it.
            y = collapsed_at + 1 if collapsed_at is not None else y + line_height
            positions.append(models.GridPos(h=1, w=GRID_WIDTH, x=0, y=y))
            collapsed_at = y if item.collapsed else None
            x, y, line_height = 0, y + 1, 0
            continue
        width, height = item.size.width, item.size.height
        if not 0 < width <= GRID_WIDTH:
            raise ValueError(f"{item.title}: width {width} is not within 1..{GRID_WIDTH}")
        if x + width > GRID_WIDTH:
            x, y, line_height = 0, y + line_height, 0
        positions.append(models.GridPos(h=height, w=width, x=x, y=y))
        x += width
        line_height = max(line_height, height)
    return positions
