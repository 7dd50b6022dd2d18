"""Engagement: average capped session duration (stickiness is a recording rule)."""

from exporter.contract import SourceTable
from exporter.groups.base import Group, Query, bind
from exporter.vocabulary import GroupName

ENGAGEMENT = Group(
    name=GroupName.ENGAGEMENT,
    tables=frozenset({SourceTable.USER_SESSIONS}),
    queries=(
        Query(
            "engagement/overall.sql",
            (bind("average_seconds", "session_duration_average_seconds"),),
            many=True,
        ),
        Query(
            "engagement/by_user_type.sql",
            (
                bind(
                    "average_seconds", "session_duration_average_by_user_type_seconds", "user_type"
                ),
            ),
            many=True,
        ),
    ),
)
