"""Data quality: one count per check of SPEC §3 (never a crash)."""

from exporter.contract import SourceTable
from exporter.groups.base import Col, Group, Query, bind
from exporter.vocabulary import GroupName

QUALITY = Group(
    name=GroupName.QUALITY,
    tables=frozenset(SourceTable),
    queries=(
        Query(
            "quality/checks.sql",
            (bind("issues", "data_quality_issues", check=Col("check_name")),),
            many=True,
        ),
        # Whether the numbers can be trusted to be current: on a hot standby, how far it
        # is behind its primary (absent on a primary).
        Query(
            "quality/replay_lag.sql",
            (bind("replay_lag_seconds", "database_replay_lag_seconds"),),
            many=True,
        ),
    ),
)
