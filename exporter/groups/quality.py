"""Data quality: one count per check of SPEC §3 (never a crash)."""

from exporter.groups.base import Col, Group, Query, bind
from exporter.vocabulary import GroupName

QUALITY = Group(
    name=GroupName.QUALITY,
    queries=(
        Query(
            "quality/checks.sql", (bind("issues", "data_quality_issues", check=Col("check_name")),)
        ),
    ),
)
