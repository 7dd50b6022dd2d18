"""Data quality: one count per check of SPEC §3 (never a crash)."""

from exporter.catalog import PREFIX
from exporter.groups.base import Col, Group, MetricBinding, Query
from exporter.vocabulary import GroupName

QUALITY = Group(
    name=GroupName.QUALITY,
    queries=(
        Query(
            "quality/checks.sql",
            (
                MetricBinding(
                    "issues", PREFIX + "data_quality_issues", {"check": Col("check_name")}
                ),
            ),
        ),
    ),
)
