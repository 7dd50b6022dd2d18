"""The queries the boards run, read from the built JSON, for the tests where a real
Prometheus and a real PostgreSQL answer them: :func:`promql_queries`,
:func:`variable_queries` and :func:`sql_queries`, with :func:`substitute` to replace
Grafana's variables by concrete values, :func:`expand_sql_macros` for the PostgreSQL
datasource's macros, and :func:`login_as_reader` to act as grafana_reader does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from dashboards.build import build_all
from dashboards.datasources import POSTGRES_TYPE, PROMETHEUS_TYPE
from dashboards.options import BuildOptions
from dashboards.variables import ALL_VALUE

READER = "grafana_reader"


def boards_json(opts: BuildOptions | None = None) -> list[dict[str, Any]]:
    return [json.loads(text) for text in build_all(opts).values()]


def panels_of(dashboard: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            out.extend(panel.get("panels", []))
        else:
            out.append(panel)
    return out


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


def _targets(
    opts: BuildOptions | None, datasource_type: str
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(board uid, panel title, target) of every panel on a data source of this type."""
    for d in boards_json(opts):
        for panel in panels_of(d):
            if panel.get("datasource", {}).get("type") == datasource_type:
                for t in panel.get("targets", []):
                    yield d["uid"], panel["title"], t


def promql_queries(opts: BuildOptions | None = None) -> list[PanelQuery]:
    """Every (board uid, panel title, PromQL) of every board, in layout order."""
    return [
        PanelQuery(uid, title, t["refId"], t["expr"], bool(t.get("instant")))
        for uid, title, t in _targets(opts, PROMETHEUS_TYPE)
    ]


_LABEL_VALUES = re.compile(r"^label_values\((?P<match>.+),\s*(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\)$")


def variable_queries(opts: BuildOptions | None = None) -> list[VariableQuery]:
    """Every Prometheus query variable of every board."""
    found = []
    for d in boards_json(opts):
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
    return [
        SqlPanelQuery(uid, title, t["rawSql"], t["format"])
        for uid, title, t in _targets(opts, POSTGRES_TYPE)
    ]


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
    $__timeFilter(col) becomes ``col BETWEEN <from> AND <to>``; then the board variables
    (such as ``$viral_window``) take their :func:`sample_values`."""

    def iso(t: datetime) -> str:
        return "'" + t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "'"

    out = _TIME_FILTER.sub(lambda m: f"{m[1]} BETWEEN {iso(start)} AND {iso(end)}", text)
    out = out.replace("$__timeFrom()", iso(start)).replace("$__timeTo()", iso(end))
    if "$__" in out:
        raise ValueError(f"unexpanded Grafana macro in: {out}")
    return substitute(out)


# --- acting as grafana_reader ---------------------------------------------------------------

_ROLE_SETTINGS = """
SELECT unnest(s.setconfig)
FROM pg_db_role_setting AS s
JOIN pg_roles AS r ON r.oid = s.setrole
WHERE r.rolname = %(role)s
  AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
ORDER BY s.setdatabase
"""


def login_as_reader(conn: psycopg.Connection[Any]) -> None:
    """Make ``conn`` act as a fresh login of grafana_reader, which Grafana's datasource is:
    ``SET ROLE`` does not apply the role's own settings (ALTER ROLE ... SET, such as its
    search_path), a login does, so they are applied here as the server would."""
    settings = [row[0] for row in conn.execute(_ROLE_SETTINGS, {"role": READER}).fetchall()]
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(READER)))
    for setting in settings:
        name, _, value = setting.partition("=")
        conn.execute("SELECT set_config(%s, %s, false)", (name, value))
