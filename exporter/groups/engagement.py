"""Engagement: average capped session duration (stickiness is a recording rule)."""

from exporter.catalog import PREFIX
from exporter.groups.base import Col, Group, MetricBinding, Query
from exporter.vocabulary import GroupName

ENGAGEMENT = Group(
    name=GroupName.ENGAGEMENT,
    queries=(
        Query(
            "engagement/overall.sql",
            (MetricBinding("average_seconds", PREFIX + "session_duration_average_seconds"),),
        ),
        Query(
            "engagement/by_user_type.sql",
            (
                MetricBinding(
                    "average_seconds",
                    PREFIX + "session_duration_average_by_user_type_seconds",
                    {"user_type": Col("user_type")},
                ),
            ),
        ),
    ),
)
