"""The viral loop over the configured window: invitations, conversion, K."""

from exporter.contract import SourceTable
from exporter.groups.base import IN_VIRAL_WINDOW, Group, Query, bind
from exporter.vocabulary import GroupName

VIRAL = Group(
    name=GroupName.VIRAL,
    tables=frozenset({SourceTable.INVITATIONS, SourceTable.USER_SESSIONS}),
    queries=(
        Query(
            "viral/summary.sql",
            (
                bind("sent", "invitations_sent", **IN_VIRAL_WINDOW),
                bind("accepted", "invitations_accepted", **IN_VIRAL_WINDOW),
                bind("invites_per_supplier", "invites_per_supplier", **IN_VIRAL_WINDOW),
                bind("conversion", "invitation_conversion_ratio", **IN_VIRAL_WINDOW),
                bind("viral_coefficient", "viral_coefficient", **IN_VIRAL_WINDOW),
            ),
            many=True,
        ),
        Query(
            "viral/by_channel.sql",
            (
                bind("sent", "invitations_sent_by_channel", "channel", **IN_VIRAL_WINDOW),
                bind("accepted", "invitations_accepted_by_channel", "channel", **IN_VIRAL_WINDOW),
            ),
            many=True,
        ),
    ),
)
