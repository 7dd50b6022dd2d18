"""The detail boards, and the drill-down links that open them."""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as models

from exporter.vocabulary import GroupName

FOLDER = "Executive metrics"
TAG = "execmetrics"
OVERVIEW_UID = "execmetrics-overview"


@dataclass(frozen=True)
class Area:
    """A detail board: the metric group it shows, its uid and title."""

    group: GroupName
    title: str

    @property
    def uid(self) -> str:
        return f"{TAG}-{self.group}"


AREAS: dict[GroupName, Area] = {
    a.group: a
    for a in (
        Area(GroupName.REVENUE, "Revenue"),
        Area(GroupName.USERS, "Users"),
        Area(GroupName.VIRAL, "Viral loop"),
        Area(GroupName.ENGAGEMENT, "Engagement"),
        Area(GroupName.GROWTH, "Growth"),
    )
}


def drill_down_url(area: Area) -> str:
    """URL of a detail board carrying the current time range and every variable."""
    return f"/d/{area.uid}?${{__url_time_range}}&${{__all_variables}}"


@dataclass(frozen=True)
class PanelLink:
    """One panel of a detail board (a table of records), opened on its own."""

    area: Area
    panel_id: int
    title: str

    @property
    def url(self) -> str:
        return f"{drill_down_url(self.area)}&viewPanel=panel-{self.panel_id}"


Link = Area | PanelLink


def drill_down_link(target: Link) -> dash.DashboardLink:
    if isinstance(target, PanelLink):
        title, url = target.title, target.url
        tooltip = f"Open {target.title} ({target.area.title} board) at this time range"
    else:
        title, url = f"{target.title} details", drill_down_url(target)
        tooltip = f"Open the {target.title} board with this time range and these variables"
    return (
        dash.DashboardLink(title)
        .type(models.DashboardLinkType.LINK)
        .url(url)
        .tooltip(tooltip)
        .keep_time(True)
        .include_vars(True)
        .target_blank(False)
    )


def other_boards_link() -> dash.DashboardLink:
    """The board header's dropdown of every executive-metrics board."""
    return (
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
