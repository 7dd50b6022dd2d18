"""Shared pieces of every board: datasources, variables, units, queries and panel factories.

Every PromQL selector is made by :func:`sel` from the declarations in
:mod:`exporter.catalog` (or :func:`rule` for the Prometheus recording rules), so a renamed
metric or label fails the build instead of leaving a blank panel. Panels are declared as
:class:`Stat`, :class:`Trend`, :class:`Bars` and :class:`SqlTable` values and turned into
``grafana_foundation_sdk`` builders by :func:`build_panel`.

JSON-schema constraint kept throughout: Grafana's dashboard schema admits only objects as
field-override matcher options and values, so overrides are limited to colours (matched
with ``byNames``); no panel relies on a per-field unit or display-name override. Series
are named with ``legendFormat`` (or SQL column aliases) and every panel has one unit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from grafana_foundation_sdk.builders import bargauge, common, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as models
from grafana_foundation_sdk.models import units as grafana_units

from exporter import catalog
from exporter.sqlfiles import read_sql


def panel_sql(name: str, schema: str) -> str:
    """A SQL panel's query from ``sql/grafana/<name>.sql``: its leading comment dropped,
    ``{schema}`` replaced by the exporter's schema (a plain identifier, see config)."""
    lines = read_sql(f"grafana/{name}.sql").splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip().replace("{schema}", schema)


# --- datasources, folder, tags ---------------------------------------------------------

PROMETHEUS_TYPE = "prometheus"
PROMETHEUS_UID = "execmetrics-prometheus"
PROMETHEUS_NAME = "Prometheus"
POSTGRES_TYPE = "grafana-postgresql-datasource"
POSTGRES_UID = "execmetrics-postgres"
POSTGRES_NAME = "PostgreSQL (execmetrics)"
FOLDER = "Executive metrics"
TAG = "execmetrics"

PROM_VAR = "datasource"
PG_VAR = "pg_datasource"
PROM = models.DataSourceRef(type_val=PROMETHEUS_TYPE, uid="${" + PROM_VAR + "}")
PG = models.DataSourceRef(type_val=POSTGRES_TYPE, uid="${" + PG_VAR + "}")

# Variables shared by the boards. Multi-value variables with "All" use ".*" so that the
# PromQL stays a plain regex matcher.
CURRENCY = "$currency"
VIRAL_WINDOW = "$viral_window"
ALL_VALUE = ".*"

# The MAU window of SPEC §3 (active suppliers = active{supplier, 30d}).
MAU_WINDOW = "30d"

# Exporter health: a group counts as stale after three default intervals (300 s each),
# the same horizon as the stale-metrics alert.
STALE_AFTER_SECONDS = 900.0


@dataclass(frozen=True)
class BuildOptions:
    """What differs between deployments: the reporting currency and the exporter schema."""

    currency: str = "GBP"
    schema: str = "execmetrics"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(f"not an ISO 4217 code like 'GBP': {self.currency!r}")
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", self.schema):
            raise ValueError(f"not a plain lower-case SQL identifier: {self.schema!r}")


# --- the detail boards, for drill-down links ---------------------------------------------


@dataclass(frozen=True)
class Area:
    key: str
    uid: str
    title: str


AREAS: dict[str, Area] = {
    a.key: a
    for a in (
        Area("revenue", "execmetrics-revenue", "Revenue"),
        Area("users", "execmetrics-users", "Users"),
        Area("viral", "execmetrics-viral", "Viral loop"),
        Area("engagement", "execmetrics-engagement", "Engagement"),
    )
}
OVERVIEW_UID = "execmetrics-overview"


def drill_down_url(area: Area) -> str:
    """URL of a detail board carrying the current time range and every variable."""
    return f"/d/{area.uid}?${{__url_time_range}}&${{__all_variables}}"


def drill_down_link(area: Area) -> dash.DashboardLink:
    return (
        dash.DashboardLink(f"{area.title} details")
        .type(models.DashboardLinkType.LINK)
        .url(drill_down_url(area))
        .tooltip(f"Open the {area.title} board with this time range and these variables")
        .keep_time(True)
        .include_vars(True)
        .target_blank(False)
    )


# --- PromQL from the catalog --------------------------------------------------------------


class Re(str):
    """A regex matcher value (``=~``) for :func:`sel`."""


def _matchers(labels: Sequence[str], owner: str, matchers: Mapping[str, str]) -> str:
    unknown = sorted(set(matchers) - set(labels))
    if unknown:
        raise KeyError(f"{owner} has no label {', '.join(unknown)} (labels: {labels})")
    parts = []
    for label, value in matchers.items():
        op = "=~" if isinstance(value, Re) else "="
        parts.append(f'{label}{op}"{value}"')
    return "{" + ", ".join(parts) + "}" if parts else ""


def sel(name: str, **matchers: str) -> str:
    """A selector for a catalog metric; a name or label the catalog lacks raises."""
    metric = catalog.BY_NAME[name]
    return metric.name + _matchers(metric.labels, metric.name, matchers)


# Recording rules defined in provisioning/prometheus/rules/ and the labels they keep.
RULES: dict[str, tuple[str, ...]] = {
    "execmetrics:stickiness:ratio": (),
    "execmetrics:stickiness_by_user_type:ratio": ("user_type",),
    "execmetrics:mrr_quick_ratio:ratio": (),
    "execmetrics:net_mrr_churn:ratio": (),
}


def rule(name: str, **matchers: str) -> str:
    """A selector for a recording rule the dashboards may use."""
    return name + _matchers(RULES[name], name, matchers)


def metric_names(expr: str) -> set[str]:
    """Catalog metrics and recording rules that an expression reads."""
    found = set(re.findall(r"\bexecmetrics(?:_[a-z0-9_]+|:[a-z0-9_:]+)", expr))
    return {n for n in found if n in catalog.BY_NAME or n in RULES}


# --- units ----------------------------------------------------------------------------------

# Ratios whose natural reading is "times", not "per cent": K = 1.2 means each active
# supplier brings 1.2 couples. Shown as plain numbers with two decimals.
MULTIPLIERS = frozenset(
    {
        "execmetrics_viral_coefficient",
        "execmetrics_invites_per_supplier",
        "execmetrics:mrr_quick_ratio:ratio",
    }
)


def currency_unit(code: str) -> str:
    """Grafana's unit id for a currency: a built-in one when Grafana has it."""
    builtin = {
        value
        for value in vars(grafana_units).values()
        if isinstance(value, str) and value.startswith("currency")
    }
    unit = f"currency{code}"
    return unit if unit in builtin else f"prefix:{code} "


def unit_for(name: str, opts: BuildOptions) -> str:
    """The Grafana unit of a catalog metric or recording rule."""
    if name in MULTIPLIERS:
        return "none"
    if name in RULES:
        return "percentunit"
    kind = catalog.BY_NAME[name].unit
    return {
        "currency": currency_unit(opts.currency),
        "ratio": "percentunit",
        "count": "short",
        "seconds": "s",
        "timestamp": "dateTimeAsIso",
    }[kind]


# --- thresholds and colours -------------------------------------------------------------


def steps(base: str, *rest: tuple[float, str]) -> list[models.Threshold]:
    """Absolute threshold steps: ``base`` below the first value, then each (value, colour)."""
    return [models.Threshold(value=None, color=base)] + [
        models.Threshold(value=v, color=c) for v, c in rest
    ]


NEUTRAL = steps("text")
UP_GREEN = steps("red", (0.0, "green"))  # a change: red below zero, green at or above
K_TARGET = steps("red", (1.0, "green"))  # viral coefficient against its 1.0 target
# DAU/MAU benchmark bands: B2B SaaS (suppliers) and consumer apps (couples).
SUPPLIER_STICKINESS_BANDS = steps("red", (0.15, "orange"), (0.20, "yellow"), (0.30, "green"))
COUPLE_STICKINESS_BANDS = steps("red", (0.30, "orange"), (0.40, "yellow"), (0.50, "green"))
INDUSTRY_AVERAGE_STICKINESS = 0.40
INDUSTRY_AVERAGE = steps("red", (INDUSTRY_AVERAGE_STICKINESS, "green"))
STALENESS = steps("green", (STALE_AFTER_SECONDS, "orange"), (4 * STALE_AFTER_SECONDS, "red"))
ISSUES = steps("green", (1.0, "orange"))


def by_names(*names: str) -> models.MatcherConfig:
    """A field matcher by display name. ``byNames`` rather than ``byName``: the dashboard
    schema admits only objects as matcher options."""
    return models.MatcherConfig(id_val="byNames", options={"mode": "include", "names": list(names)})


def fixed_color(color: str) -> models.DynamicConfigValue:
    return models.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": color})


# --- panel declarations -----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One PromQL query of a panel; ``legend`` names its series."""

    expr: str
    legend: str = "__auto"


@dataclass(frozen=True)
class _Panel:
    title: str
    description: str
    unit: str
    width: int
    height: int
    links: tuple[Area, ...] = ()


@dataclass(frozen=True)
class Stat(_Panel):
    targets: tuple[Target, ...] = ()
    thresholds: list[models.Threshold] = field(default_factory=lambda: NEUTRAL)
    color_mode: Literal["value", "background", "none"] = "none"
    graph: bool = True
    decimals: int | None = None
    min: float | None = None


@dataclass(frozen=True)
class Trend(_Panel):
    targets: tuple[Target, ...] = ()
    stacked: bool = False
    fill: int = 10
    thresholds: list[models.Threshold] | None = None
    thresholds_style: str = "off"  # off, line, dashed, area, line+area, dashed+area
    colors: Mapping[str, str] = field(default_factory=dict)
    decimals: int | None = None
    min: float | None = None
    bars: bool = False


@dataclass(frozen=True)
class Bars(_Panel):
    """Current values of a breakdown, one bar per label value, largest first."""

    targets: tuple[Target, ...] = ()
    thresholds: list[models.Threshold] = field(default_factory=lambda: steps("blue"))
    decimals: int | None = None


@dataclass(frozen=True)
class SqlTable(_Panel):
    """Rows from the PostgreSQL datasource (read-only grafana_ views of the exporter)."""

    sql: str = ""
    time_series: bool = False


@dataclass(frozen=True)
class Row:
    title: str


Item = Stat | Trend | Bars | SqlTable | Row


# --- PostgreSQL query (the SDK ships no builder for this datasource) ---------------------


class SqlQuery(cogvariants.Dataquery):
    """A raw-SQL target of Grafana's PostgreSQL datasource.

    grafana-foundation-sdk 11.6 has no model for this datasource's queries, so this class
    writes the fields the PostgreSQL query editor itself saves in code mode.
    """

    def __init__(self, ref_id: str, raw_sql: str, fmt: Literal["table", "time_series"]) -> None:
        self.ref_id = ref_id
        self.raw_sql = raw_sql
        self.fmt = fmt

    def to_json(self) -> dict[str, object]:
        return {
            "datasource": PG,
            "editorMode": "code",
            "format": self.fmt,
            "rawQuery": True,
            "rawSql": self.raw_sql,
            "refId": self.ref_id,
        }


class SqlQueryBuilder(cogbuilder.Builder[SqlQuery]):
    def __init__(self, ref_id: str, raw_sql: str, fmt: Literal["table", "time_series"]) -> None:
        self._internal = SqlQuery(ref_id, raw_sql, fmt)

    def build(self) -> SqlQuery:
        return self._internal


# --- builders -----------------------------------------------------------------------------


def _ref_id(i: int) -> str:
    return chr(ord("A") + i)


def _prom_targets(targets: Sequence[Target], instant: bool) -> list[prometheus.Dataquery]:
    built = []
    for i, t in enumerate(targets):
        q = (
            prometheus.Dataquery()
            .ref_id(_ref_id(i))
            .datasource(PROM)
            .expr(t.expr)
            .legend_format(t.legend)
        )
        built.append(q.instant() if instant else q.range())
    return built


def _thresholds(values: list[models.Threshold]) -> dash.ThresholdsConfig:
    return dash.ThresholdsConfig().mode(models.ThresholdsMode.ABSOLUTE).steps(values)


PromPanel = TypeVar("PromPanel", stat.Panel, timeseries.Panel, bargauge.Panel)


def _prometheus_panel(panel: PromPanel, p: _Panel) -> PromPanel:
    """What every Prometheus panel shares: title, description, unit, datasource, size."""
    return (
        panel.title(p.title)
        .description(p.description)
        .unit(p.unit)
        .datasource(PROM)
        .span(p.width)
        .height(p.height)
    )


def _with_queries(
    panel: PromPanel,
    targets: Sequence[Target],
    *,
    instant: bool,
    decimals: int | None,
    minimum: float | None = None,
) -> PromPanel:
    """The panel's PromQL targets, then its optional decimals and minimum."""
    for q in _prom_targets(targets, instant=instant):
        panel = panel.with_target(q)
    if decimals is not None:
        panel = panel.decimals(decimals)
    if minimum is not None:
        panel = panel.min(minimum)
    return panel


def _stat(p: Stat) -> stat.Panel:
    panel = (
        _prometheus_panel(stat.Panel(), p)
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
    return _with_queries(panel, p.targets, instant=False, decimals=p.decimals, minimum=p.min)


def _trend(p: Trend) -> timeseries.Panel:
    panel = (
        _prometheus_panel(timeseries.Panel(), p)
        .color_scheme(dash.FieldColor().mode(models.FieldColorModeId.PALETTE_CLASSIC))
        .draw_style(
            common_models.GraphDrawStyle.BARS if p.bars else common_models.GraphDrawStyle.LINE
        )
        .line_width(2)
        .fill_opacity(p.fill)
        .show_points(common_models.VisibilityMode.NEVER)
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
        .thresholds(_thresholds(p.thresholds if p.thresholds is not None else steps("green")))
    )
    for name, color in sorted(p.colors.items()):
        panel = panel.with_override(by_names(name), [fixed_color(color)])
    return _with_queries(panel, p.targets, instant=False, decimals=p.decimals, minimum=p.min)


def _bars(p: Bars) -> bargauge.Panel:
    panel = (
        _prometheus_panel(bargauge.Panel(), p)
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
    return _with_queries(panel, ordered, instant=True, decimals=p.decimals)


def _sql(p: SqlTable) -> cogbuilder.Builder[models.Panel]:
    fmt: Literal["table", "time_series"] = "time_series" if p.time_series else "table"
    target = SqlQueryBuilder("A", p.sql, fmt)
    if p.time_series:
        return (
            timeseries.Panel()
            .title(p.title)
            .description(p.description)
            .unit(p.unit)
            .datasource(PG)
            .span(p.width)
            .height(p.height)
            .color_scheme(dash.FieldColor().mode(models.FieldColorModeId.PALETTE_CLASSIC))
            .line_width(2)
            .fill_opacity(10)
            .show_points(common_models.VisibilityMode.NEVER)
            .thresholds(_thresholds(steps("green")))
            .with_target(target)
        )
    return (
        table.Panel()
        .title(p.title)
        .description(p.description)
        .unit(p.unit)
        .datasource(PG)
        .span(p.width)
        .height(p.height)
        .thresholds(_thresholds(steps("text")))
        .color_scheme(dash.FieldColor().mode(models.FieldColorModeId.THRESHOLDS))
        .show_header(True)
        .cell_height(common_models.TableCellHeight.SM)
        .footer(common.TableFooterOptions().show(False).reducer(["sum"]).count_rows(False))
        .with_target(target)
    )


def build_panel(item: Stat | Trend | Bars | SqlTable) -> cogbuilder.Builder[models.Panel]:
    if isinstance(item, Stat):
        panel: cogbuilder.Builder[models.Panel] = _stat(item)
    elif isinstance(item, Trend):
        panel = _trend(item)
    elif isinstance(item, Bars):
        panel = _bars(item)
    else:
        panel = _sql(item)
    if item.links:
        # Data links make every value of the panel a link to its area's detail board.
        links = [drill_down_link(a) for a in item.links]
        panel = panel.data_links(links)  # type: ignore[attr-defined]
    return panel


# --- variables -------------------------------------------------------------------------------


def prometheus_variable() -> dash.DatasourceVariable:
    return (
        dash.DatasourceVariable(PROM_VAR)
        .label("Prometheus")
        .description("Prometheus that scrapes the execmetrics exporter.")
        .type(PROMETHEUS_TYPE)
        .current(models.VariableOption(selected=True, text=PROMETHEUS_NAME, value=PROMETHEUS_UID))
    )


def postgres_variable() -> dash.DatasourceVariable:
    return (
        dash.DatasourceVariable(PG_VAR)
        .label("PostgreSQL")
        .description(
            "PostgreSQL datasource logged in as grafana_reader, which can read only the "
            "exporter's grafana_ views."
        )
        .type(POSTGRES_TYPE)
        .current(models.VariableOption(selected=True, text=POSTGRES_NAME, value=POSTGRES_UID))
    )


@dataclass(frozen=True)
class LabelVariable:
    """A query variable over the values of one label of one metric (``label_values``)."""

    name: str
    label_text: str
    description: str
    metric: str  # a selector made by sel()
    label: str
    multi: bool = False

    @property
    def query(self) -> str:
        return f"label_values({self.metric}, {self.label})"

    def build(self) -> dash.QueryVariable:
        v = (
            dash.QueryVariable(self.name)
            .label(self.label_text)
            .description(self.description)
            .datasource(PROM)
            .query(self.query)
            .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(models.VariableSort.ALPHABETICAL_ASC)
            .multi(self.multi)
            .include_all(self.multi)
            .allow_custom_value(False)
        )
        if self.multi:
            v = v.all_value(ALL_VALUE).current(
                models.VariableOption(selected=True, text=["All"], value=["$__all"])
            )
        return v


def currency_variable() -> LabelVariable:
    return LabelVariable(
        "currency",
        "Currency",
        "Reporting currency of the money metrics (the exporter exports one).",
        sel("execmetrics_mrr"),
        "currency",
    )


def viral_window_variable() -> LabelVariable:
    return LabelVariable(
        "viral_window",
        "Viral window",
        "Window of the viral-loop metrics (config viral.window).",
        sel("execmetrics_viral_coefficient"),
        "window",
    )


# --- board assembly -------------------------------------------------------------------------


@dataclass(frozen=True)
class Board:
    """A dashboard declaration: its panels in layout order and its variables."""

    uid: str
    title: str
    description: str
    items: tuple[Item, ...]
    variables: tuple[LabelVariable, ...] = ()
    uses_postgres: bool = False
    tags: tuple[str, ...] = ()

    def panels(self) -> list[Stat | Trend | Bars | SqlTable]:
        return [i for i in self.items if not isinstance(i, Row)]


def build_board(board: Board) -> models.Dashboard:
    """The Grafana dashboard model of a board declaration."""
    builder = (
        dash.Dashboard(board.title)
        .uid(board.uid)
        .description(board.description)
        .tags([TAG, *board.tags])
        .readonly()
        .refresh("1m")
        .time("now-90d", "now")
        .timezone("browser")
        .tooltip(models.DashboardCursorSync.CROSSHAIR)
        .timepicker(
            dash.TimePicker().refresh_intervals(["1m", "5m", "15m", "30m", "1h", "2h", "1d"])
        )
        .link(
            dash.DashboardLink("Executive metrics")
            .type(models.DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(False)
            .include_vars(True)
            .keep_time(True)
            .target_blank(False)
            .icon("external link")
            .tooltip("The other executive-metrics boards")
        )
        .with_variable(prometheus_variable())
    )
    if board.uses_postgres:
        builder = builder.with_variable(postgres_variable())
    for v in board.variables:
        builder = builder.with_variable(v.build())
    for item, pos in zip(board.items, layout(board.items), strict=True):
        if isinstance(item, Row):
            builder = builder.with_row(dash.Row(item.title).grid_pos(pos))
        else:
            builder = builder.with_panel(build_panel(item).grid_pos(pos))  # type: ignore[attr-defined]
    model = builder.build()
    _number_panels(model)
    return model


GRID_WIDTH = 24


def layout(items: Sequence[Item]) -> list[models.GridPos]:
    """Grid positions in reading order: a panel that does not fit on the current line
    starts the next one; a row starts a new line of its own."""
    positions = []
    x = y = line_height = 0
    for item in items:
        if isinstance(item, Row):
            y += line_height
            positions.append(models.GridPos(h=1, w=GRID_WIDTH, x=0, y=y))
            x, y, line_height = 0, y + 1, 0
            continue
        if not 0 < item.width <= GRID_WIDTH:
            raise ValueError(f"{item.title}: width {item.width} is not within 1..{GRID_WIDTH}")
        if x + item.width > GRID_WIDTH:
            x, y, line_height = 0, y + line_height, 0
        positions.append(models.GridPos(h=item.height, w=item.width, x=x, y=y))
        x += item.width
        line_height = max(line_height, item.height)
    return positions


def _number_panels(model: models.Dashboard) -> None:
    """Stable panel ids, 1.. in layout order (the SDK leaves them unset)."""
    for i, panel in enumerate(model.panels or [], start=1):
        panel.id_val = i
