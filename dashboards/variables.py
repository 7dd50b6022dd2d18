"""The boards' query variables: label values of one metric's label."""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as models

from dashboards.datasources import PROM
from dashboards.queries import sel

# Variables shared by the boards. Multi-value variables with "All" use ".*" so that the
# PromQL stays a plain regex matcher.
CURRENCY = "$currency"
VIRAL_WINDOW = "$viral_window"
ALL_VALUE = ".*"


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


CURRENCY_VARIABLE = LabelVariable(
    "currency",
    "Currency",
    "Reporting currency of the money metrics (the exporter exports one).",
    sel("execmetrics_mrr"),
    "currency",
)
VIRAL_WINDOW_VARIABLE = LabelVariable(
    "viral_window",
    "Viral window",
    "Window of the viral-loop metrics (config viral.window).",
    sel("execmetrics_viral_coefficient"),
    "window",
)
