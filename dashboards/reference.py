"""The generated part of docs/dashboards.md: every board's panels, what each reads and
where it leads."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from dashboards.build import boards, build_all
from dashboards.options import BuildOptions
from dashboards.queries import metric_names

COMMAND = "python -m dashboards --docs docs/dashboards.md"
DOCS_BEGIN = f"<!-- BEGIN GENERATED: {COMMAND} -->"
DOCS_END = "<!-- END GENERATED -->"

_UNIT_NAMES = {
    "percentunit": "%",
    "short": "count",
    "s": "duration",
    "none": "number",
    "suffix: intervals": "intervals",
}
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
            found |= set(re.findall(r"\b(grafana_[a-z_]+|daily_metrics)\b", t["rawSql"]))
    return sorted(found)


def panel_reference(opts: BuildOptions | None = None) -> str:
    """Markdown tables of every board's panels: what each reads and where it leads."""
    titles = {b.uid: b.title for b in boards(opts)}
    out: list[str] = []
    for d in (json.loads(text) for text in build_all(opts).values()):
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
