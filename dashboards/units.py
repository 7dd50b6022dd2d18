"""Grafana units of the catalog's metrics and of the recording rules."""

from __future__ import annotations

from grafana_foundation_sdk.models import units as grafana_units

from dashboards.queries import RULES
from exporter import catalog
from exporter.vocabulary import Unit

# Ratios whose natural reading is "times", not "per cent": K = 1.2 means each active
# supplier brings 1.2 couples. Shown as plain numbers with two decimals.
MULTIPLIERS = frozenset(
    {
        "execmetrics_viral_coefficient",
        "execmetrics_invites_per_supplier",
        "execmetrics:mrr_quick_ratio:ratio",
        "execmetrics:user_quick_ratio:ratio",
        "execmetrics_viral_coefficient_unique",
    }
)

# A group's data age counted in its own computation intervals.
INTERVALS = "suffix: intervals"


def currency_unit(code: str) -> str:
    """Grafana's unit id for a currency: a built-in one when Grafana has it."""
    builtin = {
        value
        for value in vars(grafana_units).values()
        if isinstance(value, str) and value.startswith("currency")
    }
    unit = f"currency{code}"
    return unit if unit in builtin else f"prefix:{code} "


def unit_for(name: str, currency: str) -> str:
    """The Grafana unit of a catalog metric or recording rule."""
    if name in MULTIPLIERS:
        return "none"
    if name in RULES:
        return "percentunit"
    return {
        Unit.CURRENCY: currency_unit(currency),
        Unit.RATIO: "percentunit",
        Unit.COUNT: "short",
        Unit.SECONDS: "s",
        Unit.TIMESTAMP: "dateTimeAsIso",
    }[Unit(catalog.BY_NAME[name].unit)]
