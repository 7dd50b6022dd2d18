"""Data quality: one count per check of SPEC §3 (never a crash)."""

from exporter.contract import SourceTable
from exporter.groups.base import Col, Group, Query, bind
from exporter.vocabulary import GroupName

QUALITY = Group(
    name=GroupName.QUALITY,
    tables=frozenset(SourceTable),
    queries=(
        Query(
            "quality/checks.sql", (bind("issues", "data_quality_issues", check=Col("check_name")),)
        ),
    ),
)
