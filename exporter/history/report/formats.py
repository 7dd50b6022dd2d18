"""How the report writes numbers: currency with thousands separators, percentages,
percentage points, counts and durations."""

from __future__ import annotations

from exporter.history.report.figures import Figure
from exporter.vocabulary import Unit

DASH = "–"
NO_DATA = "no data"  # a comparison month before the first month with data
_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def money(value: float | None, currency: str, pence: bool | None = None) -> str:
    if value is None:
        return DASH
    symbol = _SYMBOLS.get(currency, currency + " ")
    sign = "−" if value < 0 and round(value, 2) != 0 else ""
    cents = abs(value) < 1000 if pence is None else pence
    return f"{sign}{symbol}{abs(value):,.2f}" if cents else f"{sign}{symbol}{abs(value):,.0f}"


def percent(value: float | None, places: int = 1, signed: bool = False) -> str:
    if value is None:
        return DASH
    text = f"{value * 100:+,.{places}f}%" if signed else f"{value * 100:,.{places}f}%"
    return text.replace("-", "−")


def points(value: float | None) -> str:
    """A ratio's change in percentage points."""
    if value is None:
        return DASH
    return f"{value * 100:+.1f} pp".replace("-", "−")


def count(value: float | None) -> str:
    return DASH if value is None else f"{value:,.0f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def value(figure: Figure, v: float | None, currency: str, pence: bool | None = None) -> str:
    if figure.unit is Unit.CURRENCY:
        return money(v, currency, pence=pence)
    if figure.unit is Unit.RATIO:
        return DASH if v is None else (f"{v:.2f}" if figure.decimal else percent(v))
    if figure.unit is Unit.SECONDS:
        return duration(v)
    return count(v)


def change(figure: Figure, c: float | None) -> str:
    if c is None:
        return DASH
    if figure.unit is Unit.RATIO:
        return f"{c:+.2f}".replace("-", "−") if figure.decimal else points(c)
    return percent(c, signed=True)
