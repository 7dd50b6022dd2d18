"""Grafana dashboards of the executive metrics, built as code.

``python -m exporter.dashboards [--out dashboards/]`` writes one JSON file per board;
the files are committed so that Grafana provisions them, and a test fails when they
differ from what this package builds.

Besides the builder, this package lists every query the boards run, for the end-to-end
test where a real Prometheus answers them: :func:`promql_queries`,
:func:`variable_queries` and :func:`sql_queries`, with :func:`substitute` to replace
Grafana's variables by concrete values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from exporter.dashboards import engagement, overview, revenue, users, viral
from exporter.dashboards.common import (
    ALL_VALUE,
    FOLDER,
    POSTGRES_TYPE,
    PROMETHEUS_TYPE,
    Board,
    BuildOptions,
    build_board,
    metric_names,
)

__all__ = [
    "BOARD_MODULES",
    "FOLDER",
    "BuildOptions",
    "PanelQuery",
    "SqlPanelQuery",
    "VariableQuery",
    "boards",
    "build_all",
    "expand_sql_macros",
    "file_name",
    "panel_reference",
    "promql_queries",
    "render",
    "sample_values",
    "sql_queries",
    "substitute",
    "variable_queries",
    "with_panel_reference",
]

BOARD_MODULES: tuple[Callable[[BuildOptions], Board], ...] = (
    overview.board,
    revenue.board,
    users.board,
    viral.board,
    engagement.board,
)


def boards(opts: BuildOptions | None = None) -> list[Board]:
    """Every board declaration, overview first."""
    o = opts or BuildOptions()
    return [make(o) for make in BOARD_MODULES]


def render(board: Board) -> str:
    """A board's JSON as committed: sorted keys, 2-space indent, trailing newline."""
    model = build_board(board)
    return json.dumps(model, cls=JSONEncoder, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def file_name(board: Board) -> str:
    return f"{board.uid}.json"


def build_all(opts: BuildOptions | None = None) -> dict[str, str]:
    """File name -> JSON text of every board."""
    return {file_name(b): render(b) for b in boards(opts)}


def _as_json(opts: BuildOptions | None) -> list[dict[str, Any]]:
    return [json.loads(text) for text in build_all(opts).values()]


def _panels(dashboard: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            out.extend(panel.get("panels", []))
        else:
            out.append(panel)
    return out


# --- the query inventory -------------------------------------------------------------------


@dataclass(frozen=True)
class PanelQuery:
    """One PromQL target of a panel, as written in the dashboard (with Grafana variables)."""

    board_uid: str
    panel_title: str
    ref_id: str
    expr: str
    instant: bool


@dataclass(frozen=True)
class VariableQuery:
    """A Prometheus query variable: ``label_values(<match>, <label>)``."""

    board_uid: str
    name: str
    query: str
    match: str
    label: str


@dataclass(frozen=True)
class SqlPanelQuery:
    """The raw SQL of a PostgreSQL panel (with Grafana macros such as $__timeFrom())."""

    board_uid: str
    panel_title: str
    sql: str
    format: str


def promql_queries(opts: BuildOptions | None = None) -> list[PanelQuery]:
    """Every (board uid, panel title, PromQL) of every board, in layout order."""
    found = []
    for d in _as_json(opts):
        for panel in _panels(d):
            if panel.get("datasource", {}).get("type") != PROMETHEUS_TYPE:
                continue
            for t in panel.get("targets", []):
                found.append(
                    PanelQuery(
                        d["uid"], panel["title"], t["refId"], t["expr"], bool(t.get("instant"))
                    )
                )
    return found


_LABEL_VALUES = re.compile(r"^label_values\((?P<match>.+),\s*(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\)$")


def variable_queries(opts: BuildOptions | None = None) -> list[VariableQuery]:
    """Every Prometheus query variable of every board."""
    found = []
    for d in _as_json(opts):
        for v in d.get("templating", {}).get("list", []):
            if v.get("type") != "query":
                continue
            m = _LABEL_VALUES.match(v["query"])
            if m is None:
                raise ValueError(f"{d['uid']}: variable {v['name']}: not label_values(...)")
            found.append(VariableQuery(d["uid"], v["name"], v["query"], m["match"], m["label"]))
    return found


def sql_queries(opts: BuildOptions | None = None) -> list[SqlPanelQuery]:
    """Every PostgreSQL panel query of every board."""
    found = []
    for d in _as_json(opts):
        for panel in _panels(d):
            if panel.get("datasource", {}).get("type") != POSTGRES_TYPE:
                continue
            for t in panel.get("targets", []):
                found.append(SqlPanelQuery(d["uid"], panel["title"], t["rawSql"], t["format"]))
    return found


# --- Grafana variables ----------------------------------------------------------------------

# Grafana's built-in interval variables, with values good for a query over a few hours.
BUILTINS: dict[str, str] = {
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__interval": "1m",
    "__interval_ms": "60000",
    "__rate_interval": "4m",
}

_VARIABLE = re.compile(
    r"\$\{(?P<braced>\w+)(?::[^}]*)?\}|\[\[(?P<bracket>\w+)(?::[^\]]*)?\]\]|\$(?P<plain>\w+)"
)


def sample_values(opts: BuildOptions | None = None) -> dict[str, str]:
    """A value for every variable the boards use: the currency and viral window of the
    default configuration, and the "All" regex for multi-value variables."""
    o = opts or BuildOptions()
    return {
        **BUILTINS,
        "currency": o.currency,
        "viral_window": "30d",
        "plan": ALL_VALUE,
        "category": ALL_VALUE,
        "country": ALL_VALUE,
        "channel": ALL_VALUE,
    }


def substitute(text: str, values: Mapping[str, str] | None = None) -> str:
    """Replace ``$var``, ``${var}``, ``${var:fmt}`` and ``[[var]]`` by ``values`` (default:
    :func:`sample_values`); an unknown variable raises KeyError."""
    vals = sample_values() if values is None else {**sample_values(), **values}

    def one(m: re.Match[str]) -> str:
        name = m["braced"] or m["bracket"] or m["plain"]
        return vals[name]

    return _VARIABLE.sub(one, text)


_TIME_FILTER = re.compile(r"\$__timeFilter\(\s*([^()]+?)\s*\)")


def expand_sql_macros(text: str, start: datetime, end: datetime) -> str:
    """Expand the macros of Grafana's PostgreSQL datasource the panels use, as Grafana
    does: $__timeFrom() and $__timeTo() become quoted RFC 3339 UTC instants and
    $__timeFilter(col) becomes ``col BETWEEN <from> AND <to>``."""

    def iso(t: datetime) -> str:
        return "'" + t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "'"

    out = _TIME_FILTER.sub(lambda m: f"{m[1]} BETWEEN {iso(start)} AND {iso(end)}", text)
    out = out.replace("$__timeFrom()", iso(start)).replace("$__timeTo()", iso(end))
    if "$__" in out:
        raise ValueError(f"unexpanded Grafana macro in: {out}")
    return out


# --- the generated part of docs/dashboards.md ----------------------------------------------

DOCS_BEGIN = "<!-- BEGIN GENERATED: python -m exporter.dashboards --docs docs/dashboards.md -->"
DOCS_END = "<!-- END GENERATED -->"

_UNIT_NAMES = {"percentunit": "%", "short": "count", "s": "duration", "none": "number"}
_PANEL_TYPES = {
    "stat": "stat",
    "timeseries": "time series",
    "bargauge": "bar gauge",
    "table": "table",
}


def _reads(panel: Mapping[str, Any]) -> list[str]:
    found: set[str] = set()
    for t in panel.get("targets", []):
        if "expr" in t:
            found |= metric_names(t["expr"])
        if "rawSql" in t:
            found |= set(re.findall(r"\.((?:grafana_[a-z_]+)|daily_metrics)\b", t["rawSql"]))
    return sorted(found)


def panel_reference(opts: BuildOptions | None = None) -> str:
    """Markdown tables of every board's panels: what each reads and where it leads."""
    titles = {b.uid: b.title for b in boards(opts)}
    out: list[str] = []
    for d in _as_json(opts):
        variables = ", ".join(f"`{v['name']}`" for v in d["templating"]["list"])
        out += [
            f"### {d['title']} (`{d['uid']}`)",
            "",
            d["description"],
            "",
            f"Variables: {variables}.",
            "",
            "| Row | Panel | Type | Unit | Reads | Opens |",
            "|---|---|---|---|---|---|",
        ]
        row = ""
        for p in d["panels"]:
            if p["type"] == "row":
                row = p["title"]
                continue
            unit = p["fieldConfig"]["defaults"]["unit"]
            unit = (
                "money" if unit.startswith(("currency", "prefix:")) else _UNIT_NAMES.get(unit, unit)
            )
            links = p["fieldConfig"]["defaults"].get("links", [])
            opens = ", ".join(
                titles[m[1]] for link in links if (m := re.match(r"/d/([a-z-]+)", link["url"]))
            )
            reads = ", ".join(f"`{r}`" for r in _reads(p))
            out.append(
                f"| {row} | {p['title']} | {_PANEL_TYPES.get(p['type'], p['type'])} | {unit} "
                f"| {reads} | {opens or '-'} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def with_panel_reference(doc: str, opts: BuildOptions | None = None) -> str:
    """``doc`` with the text between the generated markers replaced by the reference."""
    start, end = doc.find(DOCS_BEGIN), doc.find(DOCS_END)
    if start < 0 or end < start:
        raise ValueError(f"the document lacks the markers {DOCS_BEGIN} ... {DOCS_END}")
    head = doc[: start + len(DOCS_BEGIN)]
    return f"{head}\n\n{panel_reference(opts)}\n{doc[end:]}"
