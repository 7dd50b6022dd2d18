"""``execmetrics snapshot``: a Grafana snapshot of a provisioned board for finance.

The board comes from Grafana (by uid); every template variable is resolved to concrete
values (a snapshot keeps no queries, so a variable left as "All" or unresolved makes
empty panels), each Prometheus panel's data is filled from Prometheus range queries over
the range, and the result is posted to ``/api/snapshots``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import niquests

from exporter.config import Config
from exporter.errors import ConfigError, ServiceError
from exporter.grafana.api import client, grafana_url, translated

_VAR = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)|\[\[(\w+)\]\]")
_LABEL_VALUES = re.compile(r"^\s*label_values\((?:(?P<match>.+),\s*)?(?P<label>\w+)\)\s*$")
_REGEX_META = re.compile(r"([\\^$.|?*+()\[\]{}])")


def _regex_escape(value: str) -> str:
    return _REGEX_META.sub(r"\\\1", value)


@dataclass(frozen=True)
class Range:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def step(self) -> int:
        """About 250 points over the range, at least a minute apart."""
        return max(60, int(self.seconds // 250))


def parse_range(
    start: datetime | None,
    end: datetime | None,
    now: datetime | None = None,
    length: timedelta = timedelta(days=30),
) -> Range:
    """From ``start`` (default: ``length`` before the end) to ``end`` (default: now)."""
    end = end or (now or datetime.now(UTC))
    start = start or end - length
    if start >= end:
        raise ConfigError(f"--from {start.isoformat()} is not before --to {end.isoformat()}")
    return Range(start, end)


class Prometheus:
    """The two read endpoints a snapshot needs."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = niquests.Session()

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = self.http.get(self.url + path, params=params, timeout=self.timeout)
        except niquests.exceptions.RequestException as exc:
            raise ServiceError(
                f"snapshot: Prometheus at {self.url} is unreachable ({type(exc).__name__})"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or body.get("status") != "success":
            raise ServiceError(
                f"snapshot: Prometheus at {self.url} answered HTTP {response.status_code}: "
                f"{body.get('error', '')}"[:300]
            )
        return body["data"]

    def label_values(self, label: str, match: str | None, r: Range) -> list[str]:
        params: dict[str, Any] = {"start": r.start.timestamp(), "end": r.end.timestamp()}
        if match:
            params["match[]"] = match
        return sorted(str(v) for v in self._get(f"/api/v1/label/{label}/values", params))

    def range_query(self, expr: str, r: Range) -> list[dict[str, Any]]:
        data = self._get(
            "/api/v1/query_range",
            {"query": expr, "start": r.start.timestamp(), "end": r.end.timestamp(), "step": r.step},
        )
        return list(data.get("result", []))

    def close(self) -> None:
        self.http.close()


def _builtins(r: Range) -> dict[str, str]:
    step = r.step
    return {
        "__interval": f"{step}s",
        "__interval_ms": str(step * 1000),
        "__rate_interval": f"{max(step + 30, 120)}s",
        "__range": f"{int(r.seconds)}s",
        "__range_s": str(int(r.seconds)),
    }


def substitute(text: str, values: dict[str, list[str]]) -> str:
    """Replace ``$var``, ``${var}``, ``${var:fmt}`` and ``[[var]]`` by concrete values
    (several values as a regex alternation, as Grafana writes them for Prometheus)."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3) or m.group(4)
        if name not in values:
            return m.group(0)
        vals = values[name]
        if len(vals) == 1:
            return vals[0] if m.group(2) != "regex" else _regex_escape(vals[0])
        return "(" + "|".join(_regex_escape(v) for v in vals) + ")"

    return _VAR.sub(one, text)


def resolve_variables(board: dict[str, Any], prom: Prometheus, r: Range) -> dict[str, list[str]]:
    """Every template variable's concrete values, in declaration order (a later
    variable's query may use an earlier one)."""
    values: dict[str, list[str]] = {k: [v] for k, v in _builtins(r).items()}
    for var in board.get("templating", {}).get("list", []):
        name = var.get("name")
        kind = var.get("type")
        current = var.get("current") or {}
        chosen = current.get("value")
        chosen_list = chosen if isinstance(chosen, list) else ([chosen] if chosen else [])
        if kind == "query":
            query = var.get("query")
            text = query.get("query") if isinstance(query, dict) else query
            m = _LABEL_VALUES.match(substitute(str(text or ""), values))
            options = prom.label_values(m["label"], m["match"], r) if m else []
            if chosen_list and "$__all" not in chosen_list:
                picked = [v for v in chosen_list if v in options] or options[:1]
            elif var.get("includeAll") or var.get("multi"):
                picked = options
            else:
                picked = options[:1]
            values[name] = picked
        elif chosen_list:
            values[name] = [str(v) for v in chosen_list]
        elif kind == "custom":
            options = [o.strip() for o in str(var.get("query", "")).split(",") if o.strip()]
            values[name] = options[:1]
        elif kind == "constant" or kind == "textbox":
            values[name] = [str(var.get("query", ""))]
    return values


def _frames(result: list[dict[str, Any]], ref_id: str) -> list[dict[str, Any]]:
    frames = []
    for series in result:
        labels = dict(series.get("metric", {}))
        name = labels.pop("__name__", "")
        points = series.get("values", [])
        frames.append(
            {
                "refId": ref_id,
                "name": name,
                "fields": [
                    {
                        "name": "Time",
                        "type": "time",
                        "config": {},
                        "values": [int(float(t) * 1000) for t, _ in points],
                    },
                    {
                        "name": "Value",
                        "type": "number",
                        "labels": labels,
                        "config": {},
                        "values": [float(v) for _, v in points],
                    },
                ],
            }
        )
    return frames


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in board.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))  # panels inside a collapsed row
    return out


@dataclass(frozen=True)
class SnapshotResult:
    url: str
    key: str
    panels_filled: int
    panels_skipped: int
    variables: dict[str, list[str]]


def build_snapshot(
    board: dict[str, Any], prom: Prometheus, r: Range
) -> tuple[dict[str, Any], dict[str, list[str]], int, int]:
    board = copy.deepcopy(board)
    values = resolve_variables(board, prom, r)
    for var in board.get("templating", {}).get("list", []):
        vals = values.get(var.get("name"), [])
        text: Any = vals if len(vals) != 1 else vals[0]
        var["current"] = {"selected": True, "text": text, "value": text}
        var["options"] = [{"selected": True, "text": v, "value": v} for v in vals]
        var["query"] = ",".join(vals) if var.get("type") == "query" else var.get("query")
        if var.get("type") == "query":
            var["type"] = "custom"
            var["includeAll"] = False
    filled = skipped = 0
    for panel in _panels(board):
        targets = panel.get("targets")
        if not targets:
            continue
        ds = panel.get("datasource") or {}
        ds_uid = substitute(str(ds.get("uid", "")), values)
        if ds.get("type") != "prometheus":  # SQL panels: Prometheus data only
            skipped += 1
            continue
        data: list[dict[str, Any]] = []
        for target in targets:
            expr = target.get("expr")
            if not expr or target.get("hide"):
                continue
            concrete = substitute(str(expr), values)
            target["expr"] = concrete
            data.extend(_frames(prom.range_query(concrete, r), str(target.get("refId", "A"))))
        panel["snapshotData"] = data
        panel["datasource"] = {"type": "prometheus", "uid": ds_uid}
        filled += 1
    board["time"] = {"from": r.start.isoformat(), "to": r.end.isoformat()}
    board.pop("id", None)
    return board, values, filled, skipped


def snapshot(
    config: Config, uid: str, r: Range, *, api: Any = None, name: str | None = None
) -> SnapshotResult:
    where = grafana_url(config)
    api = api or client(config)
    with translated("snapshot", where):
        found = api.dashboard.get_dashboard(uid)
    board = found.get("dashboard") if isinstance(found, dict) else None
    if not isinstance(board, dict):
        raise ServiceError(f"snapshot: Grafana at {where} has no board {uid!r}")
    prom = Prometheus(config.grafana.prometheus_url, config.grafana.timeout_seconds)
    try:
        model, values, filled, skipped = build_snapshot(board, prom, r)
    finally:
        prom.close()
    title = name or (
        f"{board.get('title', uid)} {r.start.date().isoformat()} to {r.end.date().isoformat()}"
    )
    with translated("snapshot", where):
        answer = api.snapshots.create_new_snapshot(dashboard=model, name=title)
    url = str(answer.get("url", "")) if isinstance(answer, dict) else ""
    key = str(answer.get("key", "")) if isinstance(answer, dict) else ""
    if not url:
        raise ServiceError(f"snapshot: Grafana at {where} did not return a snapshot URL")
    return SnapshotResult(
        url, key, filled, skipped, {k: v for k, v in values.items() if not k.startswith("__")}
    )
