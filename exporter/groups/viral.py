"""The viral loop over the configured window: invitations, conversion, K."""

from exporter.groups.base import Col, Ctx, Group, Query, bind
from exporter.vocabulary import GroupName

W = {"window": Ctx("viral_window")}


VIRAL = Group(
    name=GroupName.VIRAL,
    queries=(
        Query(
            "viral/summary.sql",
            (
                bind("sent", "invitations_sent", **W),
                bind("accepted", "invitations_accepted", **W),
                bind("invites_per_supplier", "invites_per_supplier", **W),
                bind("conversion", "invitation_conversion_ratio", **W),
                bind("viral_coefficient", "viral_coefficient", **W),
            ),
        ),
        Query(
            "viral/by_channel.sql",
            (
                bind("sent", "invitations_sent_by_channel", channel=Col("channel"), **W),
                bind("accepted", "invitations_accepted_by_channel", channel=Col("channel"), **W),
            ),
        ),
    ),
)
