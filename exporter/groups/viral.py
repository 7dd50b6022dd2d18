"""The viral loop over the configured window: invitations, conversion, K."""

from exporter.catalog import PREFIX
from exporter.groups.base import Col, Ctx, Group, MetricBinding, Query
from exporter.vocabulary import GroupName

W = {"window": Ctx("viral_window")}


def _m(column: str, metric: str, **labels: object) -> MetricBinding:
    return MetricBinding(column, PREFIX + metric, labels)  # type: ignore[arg-type]


VIRAL = Group(
    name=GroupName.VIRAL,
    queries=(
        Query(
            "viral/summary.sql",
            (
                _m("sent", "invitations_sent", **W),
                _m("accepted", "invitations_accepted", **W),
                _m("invites_per_supplier", "invites_per_supplier", **W),
                _m("conversion", "invitation_conversion_ratio", **W),
                _m("viral_coefficient", "viral_coefficient", **W),
            ),
        ),
        Query(
            "viral/by_channel.sql",
            (
                _m("sent", "invitations_sent_by_channel", channel=Col("channel"), **W),
                _m("accepted", "invitations_accepted_by_channel", channel=Col("channel"), **W),
            ),
        ),
    ),
)
