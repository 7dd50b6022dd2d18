"""The board report as CSV: one row per headline figure.

Columns: metric, unit (the currency code, e.g. GBP, for money), month, value, previous_month, year_ago, change_vs_previous_month,
change_vs_year_ago. A change is a difference for ratios and relative (0.05 = +5 %) for
every other unit; an empty cell is a figure that does not exist at that instant (a
ratio over zero). After them, the disclosures' and segments' figures (packrows.py),
month value only. No generation time: the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import io

from exporter.history.report.data import Line, ReportData
from exporter.history.report.packrows import disclosure_rows, segment_rows
from exporter.vocabulary import Unit

HEADER = (
    "metric",
    "unit",
    "month",
    "value",
    "previous_month",
    "year_ago",
    "change_vs_previous_month",
    "change_vs_year_ago",
)

_DECIMALS = {Unit.CURRENCY: 2, Unit.COUNT: 0, Unit.SECONDS: 1, Unit.RATIO: 6}


def _cell(value: float | None, decimals: int) -> str:
    if value is None:
        return ""
    text = f"{value:.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def unit_cell(unit: Unit, currency: str) -> str:
    """The CSV's unit: the currency code (``GBP``) for money, else the unit's name."""
    return currency if unit is Unit.CURRENCY else unit.value


def decimals(unit: Unit) -> int:
    """One number format per unit: money in 2 places, counts as integers."""
    return _DECIMALS.get(unit, 6)


def _row(line: Line, month: str, currency: str) -> list[str]:
    places = decimals(line.figure.unit)
    return [
        line.figure.key,
        unit_cell(line.figure.unit, currency),
        month,
        _cell(line.value, places),
        _cell(line.previous, places),
        _cell(line.year_ago, places),
        _cell(line.change, 6),
        _cell(line.change_year, 6),
    ]


def render_csv(data: ReportData) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for line in data.lines:
        writer.writerow(_row(line, str(data.month), data.currency))
    if data.disclosures is not None:
        writer.writerows(disclosure_rows(data.disclosures, str(data.month), data.currency))
    if data.segments is not None:
        writer.writerows(segment_rows(data.segments, str(data.month), data.currency))
    return out.getvalue().encode("utf-8")
