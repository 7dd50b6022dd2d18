"""SDK builders of the panel declarations: one shared header, then one default builder
per kind of panel (stat, time series, bar gauge, SQL table or SQL time series).

A time series draws history: its selectors are :func:`dashboards.queries.held`, so the
daily samples of ``execmetrics backfill`` draw as a line, not as dots a day apart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from grafana_foundation_sdk.builders import bargauge, common, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as models
from grafana_foundation_sdk.models import prometheus as prometheus_models

from dashboards.datasources import PG, PROM
from dashboards.links import drill_down_link
from dashboards.queries import held
from dashboards.specs import Bars, CohortTable, Panel, SqlTable, Stat, Target, Trend
from dashboards.sql_target import Format, SqlQueryBuilder
from dashboards.thresholds import GREEN, NEUTRAL, by_names, fixed_color

AnyPanel = TypeVar("AnyPanel", stat.Panel, timeseries.Panel, bargauge.Panel, table.Panel)


def header(panel: AnyPanel, p: Panel, datasource: models.DataSourceRef) -> AnyPanel:
    """What every panel shares: title, description, unit, datasource and size."""
    return (
        panel.title(p.title)
        .description(p.description)
        .unit(p.unit)
        .datasource(datasource)
        .span(p.size.width)
        .height(p.size.height)
    )


def _thresholds(values: list[models.Threshold]) -> dash.ThresholdsConfig:
    return dash.ThresholdsConfig().mode(models.ThresholdsMode.ABSOLUTE).steps(values)


def _ref_id(i: int) -> str:
    return chr(ord("A") + i)


def _queries(
    panel: AnyPanel,
    targets: Sequence[Target],
    *,
    instant: bool = False,
    decimals: int | None = None,
    minimum: float | None = None,
) -> AnyPanel:
    """The panel's PromQL targets, then its optional decimals and minimum."""
    for i, t in enumerate(targets):
        q = (
            prometheus.Dataquery()
            .ref_id(_ref_id(i))
            .datasource(PROM)
            .expr(t.expr)
            .legend_format(t.legend)
        )
        panel = panel.with_target(q.instant() if instant else q.range())
    if decimals is not None:
        panel = panel.decimals(decimals)
    if minimum is not None:
        panel = panel.min(minimum)
    return panel


def default_stat(p: Stat) -> stat.Panel:
    panel = (
        header(stat.Panel(), p, PROM)
        .thresholds(_thresholds(p.thresholds))
        .color_scheme(dash.FieldColor().mode(models.FieldColorModeId.THRESHOLDS))
        .color_mode(common_models.BigValueColorMode(p.color_mode))
        .graph_mode(
            common_models.BigValueGraphMode.AREA
            if p.graph
            else common_models.BigValueGraphMode.NONE
        )
        .text_mode(
            common_models.BigValueTextMode.VALUE_AND_NAME
            if len(p.targets) > 1
            else common_models.BigValueTextMode.VALUE
        )
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .orientation(common_models.VizOrientation.AUTO)
    )
    return _queries(panel, p.targets, decimals=p.decimals, minimum=p.min)


def _lines(panel: timeseries.Panel, fill: int) -> timeseries.Panel:
    return (
        panel.color_scheme(dash.FieldColor().mode(models.FieldColorModeId.PALETTE_CLASSIC))
        .line_width(2)
        .fill_opacity(fill)
        .show_points(common_models.VisibilityMode.NEVER)
    )


def default_timeseries(p: Trend) -> timeseries.Panel:
    panel = (
        _lines(header(timeseries.Panel(), p, PROM), p.fill)
        .draw_style(
            common_models.GraphDrawStyle.BARS if p.bars else common_models.GraphDrawStyle.LINE
        )
        .span_nulls(True)
        .legend(
            common.VizLegendOptions()
            .show_legend(True)
            .display_mode(common_models.LegendDisplayMode.LIST)
            .placement(common_models.LegendPlacement.BOTTOM)
        )
        .tooltip(
            common.VizTooltipOptions()
            .mode(common_models.TooltipDisplayMode.MULTI)
            .sort(common_models.SortOrder.DESCENDING)
        )
        .stacking(
            common.StackingConfig()
            .mode(
                common_models.StackingMode.NORMAL if p.stacked else common_models.StackingMode.NONE
            )
            .group("A")
        )
        .thresholds_style(
            common.GraphThresholdsStyleConfig().mode(
                common_models.GraphThresholdsStyleMode(p.thresholds_style)
            )
        )
        .thresholds(_thresholds(p.thresholds if p.thresholds is not None else GREEN))
    )
    for name, color in sorted(p.colors.items()):
        panel = panel.with_override(by_names(name), [fixed_color(color)])
    # History over the board's range: each backfilled daily sample lasts until the next.
    history = [Target(held(t.expr), t.legend) for t in p.targets]
    return _queries(panel, history, decimals=p.decimals, minimum=p.min)


def default_bars(p: Bars) -> bargauge.Panel:
    panel = (
        header(bargauge.Panel(), p, PROM)
        .thresholds(_thresholds(p.thresholds))
        .color_scheme(dash.FieldColor().mode(models.FieldColorModeId.THRESHOLDS))
        .display_mode(common_models.BarGaugeDisplayMode.GRADIENT)
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .show_unfilled(True)
        .min(0)
    )
    # Largest bar first: an instant query keeps the order of sort_desc.
    ordered = [Target(f"sort_desc({t.expr})", t.legend) for t in p.targets]
    return _queries(panel, ordered, instant=True, decimals=p.decimals)


def default_cohort_table(p: CohortTable) -> table.Panel:
    """One row per value of ``p.label`` (an instant query in table format), the value's
    cell coloured by the thresholds; the time column and the other labels are hidden."""
    panel = (
        header(table.Panel(), p, PROM)
        .thresholds(_thresholds(p.thresholds))
        .color_scheme(dash.FieldColor().mode(models.FieldColorModeId.THRESHOLDS))
        .cell_options(
            common_models.TableColoredBackgroundCellOptions(
                mode=common_models.TableCellBackgroundDisplayMode.BASIC
            )
        )
        .show_header(True)
        .cell_height(common_models.TableCellHeight.SM)
        .footer(common.TableFooterOptions().show(False).reducer(["sum"]).count_rows(False))
        .sort_by([common.TableSortByFieldState().display_name(p.label).desc(False)])
    )
    for i, t in enumerate(p.targets):
        panel = panel.with_target(
            prometheus.Dataquery()
            .ref_id(_ref_id(i))
            .datasource(PROM)
            .expr(t.expr)
            .legend_format(t.legend)
            .format(prometheus_models.PromQueryFormat.TABLE)
            .instant()
        )
    # The row names stay plain text: only the values are coloured.
    panel = panel.with_override(
        by_names(p.label),
        [models.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "auto"})],
    )
    panel = panel.with_transformation(
        models.DataTransformerConfig(
            id_val="organize",
            options={
                "includeByName": {p.label: True, "Value": True},
                "indexByName": {p.label: 0, "Value": 1},
                "renameByName": {"Value": p.title},
            },
        )
    )
    if p.decimals is not None:
        panel = panel.decimals(p.decimals)
    return panel


def default_sql(p: SqlTable) -> timeseries.Panel | table.Panel:
    fmt: Format = "time_series" if p.time_series else "table"
    target = SqlQueryBuilder("A", p.sql, fmt)
    if p.time_series:
        return (
            _lines(header(timeseries.Panel(), p, PG), 10)
            .thresholds(_thresholds(GREEN))
            .with_target(target)
        )
    return (
        header(table.Panel(), p, PG)
        .thresholds(_thresholds(NEUTRAL))
        .color_scheme(dash.FieldColor().mode(models.FieldColorModeId.THRESHOLDS))
        .show_header(True)
        .cell_height(common_models.TableCellHeight.SM)
        .footer(common.TableFooterOptions().show(False).reducer(["sum"]).count_rows(False))
        .with_target(target)
    )


def build_panel(
    item: Stat | Trend | Bars | CohortTable | SqlTable,
) -> cogbuilder.Builder[models.Panel]:
    panel: stat.Panel | timeseries.Panel | bargauge.Panel | table.Panel
    if isinstance(item, Stat):
        panel = default_stat(item)
    elif isinstance(item, Trend):
        panel = default_timeseries(item)
    elif isinstance(item, Bars):
        panel = default_bars(item)
    elif isinstance(item, CohortTable):
        panel = default_cohort_table(item)
    else:
        panel = default_sql(item)
    if item.links:
        # Data links make every value of the panel a link to its area's detail board
        # (or to one panel of it).
        panel = panel.data_links([drill_down_link(a) for a in item.links])
    if isinstance(item, SqlTable) and item.panel_id is not None:
        panel = panel.id(item.panel_id)
    return panel
