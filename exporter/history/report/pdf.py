"""The board report as a PDF: an HTML/CSS template (Jinja2) printed by WeasyPrint.

WeasyPrint lays out print CSS (page size, running footers, "page X of Y" counters,
page breaks) from the same HTML a browser would show, and embeds the matplotlib SVG
charts as vectors; it is imported only here, when a report is built.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from exporter import catalog
from exporter.history.report import formats
from exporter.history.report.data import ReportData
from exporter.history.report.disclosures import view as disclosures_view
from exporter.history.report.segments import view as segments_view
from exporter.vocabulary import Movement

_env = Environment(
    loader=PackageLoader("exporter.history.report", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _local(t: datetime, data: ReportData) -> str:
    from zoneinfo import ZoneInfo

    local = t.astimezone(ZoneInfo(data.timezone))
    return local.strftime("%d %b %Y %H:%M ") + (local.tzname() or data.timezone)


def _movement_of(key: str) -> Movement | None:
    prefix = "mrr_movement_"
    return Movement(key.removeprefix(prefix)) if key.startswith(prefix) else None


def _definitions(data: ReportData) -> list[dict[str, str]]:
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for line in data.lines:
        f = line.figure
        movement = _movement_of(f.key)
        if movement is not None:
            out.append(
                {
                    "name": f'{catalog.PREFIX}mrr_movement{{movement="{movement}"}}',
                    "figure": f.label,
                    "text": "MRR movement over (M1, T], summed over suppliers with "
                    "S = supplier MRR at M1 and E = at T: "
                    + catalog.MOVEMENT_DEFINITIONS[movement],
                }
            )
        elif f.metrics:
            for name in f.metrics:
                if name in seen:
                    continue
                seen.add(name)
                m = catalog.BY_NAME[name]
                out.append({"name": name, "figure": f.label, "text": m.describe(data.config)})
        else:
            out.append({"name": f.key, "figure": f.label, "text": f.definition})
    return out


def _shown(text: str, verdict: str) -> str:
    """A placeholder is never coloured: a change shown as a dash or as "no data" has no
    verdict."""
    return "none" if text in (formats.DASH, formats.NO_DATA) else verdict


def context(data: ReportData) -> dict[str, Any]:
    cur = data.currency
    rows = []
    for ln in data.lines:
        # One number format per column: every amount in pence (£2,769.00 beside £27.55).
        # A comparison month before the first month with data: "no data", never coloured.
        change, change_year = (
            formats.change(ln.figure, ln.change) if ln.previous_data else formats.NO_DATA,
            formats.change(ln.figure, ln.change_year) if ln.year_ago_data else formats.NO_DATA,
        )
        previous = (
            formats.value(ln.figure, ln.previous, cur, True)
            if ln.previous_data
            else formats.NO_DATA
        )
        year_ago = (
            formats.value(ln.figure, ln.year_ago, cur, True)
            if ln.year_ago_data
            else formats.NO_DATA
        )
        rows.append(
            {
                "label": ln.figure.label,
                "indent": ln.figure.indent,
                "value": formats.value(ln.figure, ln.value, cur, True),
                "previous": previous,
                "year_ago": year_ago,
                "change": change,
                "change_year": change_year,
                "verdict": _shown(change, ln.verdict),
                "verdict_year": _shown(change_year, ln.verdict_year),
            }
        )
    movers: dict[str, list[dict[str, Any]]] = {m.value: [] for m in Movement}
    totals: dict[str, int] = {}
    for mv in data.movers:
        totals[mv.movement] = mv.suppliers
        movers[mv.movement].append(
            {
                "rank": mv.rank,
                "id": mv.supplier_id,
                "category": mv.category,
                "amount": formats.money(mv.amount, cur, pence=True),
                "start": formats.money(mv.mrr_start, cur, pence=True),
                "end": formats.money(mv.mrr_end, cur, pence=True),
            }
        )
    bridge = None
    if data.bridge is not None:
        b = data.bridge
        residual = round(b.residual, 2) + 0.0
        bridge = {
            "start": formats.money(b.start, cur, pence=True),
            "steps": [
                {
                    "name": m.value,
                    "sign": "+" if m.sign > 0 else "−",
                    "amount": formats.money(v, cur, pence=True),
                }
                for m, v in b.steps
            ],
            "end": formats.money(b.end, cur, pence=True),
            "residual": f"{residual:,.2f}",
            "balanced": residual == 0,
        }
    descriptions = catalog.quality_checks(data.config)
    quality = [
        {"check": name, "count": f"{v:,.0f}", "text": descriptions.get(name, "")}
        for name, v in data.quality
    ]
    months = [m for m, _ in data.months]
    return {
        "title": f"Board report — {data.month.title}",
        "month": data.month.title,
        "month_short": data.month.short,
        "previous": data.month.shift(-1).short,
        "year_ago": data.month.shift(-12).short,
        "first_month": months[0].title,
        "data_from": data.first_month.title,
        "no_data": formats.NO_DATA,
        "previous_data": data.month.shift(-1) >= data.first_month,
        "year_ago_data": data.month.shift(-12) >= data.first_month,
        "currency": cur,
        "timezone": data.timezone,
        "viral_window": data.viral_window,
        "at_local": _local(data.at, data),
        "at_utc": data.at.isoformat(),
        "previous_local": _local(data.previous_at, data),
        "year_ago_local": _local(data.year_ago_at, data),
        "generated": data.generated_at.strftime("%d %b %Y %H:%M UTC"),
        "rows": rows,
        "movers": movers,
        "mover_totals": totals,
        "bridge": bridge,
        "quality": quality,
        "quality_total": f"{sum(v for _, v in data.quality):,.0f}",
        "definitions": _definitions(data),
        "disclosures": data.disclosures and disclosures_view(data.disclosures),
        "segments": data.segments and segments_view(data.segments),
        "outlook": data.outlook and _outlook_view(data),
    }


def _outlook_view(data: ReportData) -> dict[str, Any]:
    ahead = data.outlook
    assert ahead is not None
    cur = data.currency
    rows = [
        {
            "month": m.title,
            "low": formats.money(lo, cur, pence=False),
            "median": formats.money(mid, cur, pence=False),
            "high": formats.money(hi, cur, pence=False),
        }
        for m, lo, mid, hi in zip(ahead.months, ahead.low, ahead.median, ahead.high, strict=True)
    ]
    pacing = None
    if ahead.target is not None:
        pacing = f"{ahead.median[-1] / ahead.target:.0%}"
    return {
        "rows": rows,
        "method": ahead.method,
        "fitted_on": ahead.fitted_on,
        "target": None if ahead.target is None else formats.money(ahead.target, cur, pence=False),
        "pacing": pacing,
        "year_end": ahead.months[-1].title,
    }


def render_html(data: ReportData) -> str:
    from exporter.history.report.charts import all_charts

    charts = {k: _data_uri(v) for k, v in all_charts(data).items()}
    return _env.get_template("report.html").render(
        charts=charts, stickiness_targets=data.config.targets.stickiness, **context(data)
    )


def render_pdf(data: ReportData) -> bytes:
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = HTML(string=render_html(data)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
