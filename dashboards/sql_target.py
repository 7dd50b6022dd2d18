"""A raw-SQL target of Grafana's PostgreSQL datasource (the SDK ships no builder for it)."""

from __future__ import annotations

from typing import Literal

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants

from dashboards.datasources import PG

Format = Literal["table", "time_series"]


class SqlQuery(cogvariants.Dataquery):
    """grafana-foundation-sdk 11.6 has no model for this datasource's queries, so this
    class writes the fields the PostgreSQL query editor itself saves in code mode."""

    def __init__(self, ref_id: str, raw_sql: str, fmt: Format) -> None:
        self.ref_id = ref_id
        self.raw_sql = raw_sql
        self.fmt = fmt

    def to_json(self) -> dict[str, object]:
        return {
            "datasource": PG,
            "editorMode": "code",
            "format": self.fmt,
            "rawQuery": True,
            "rawSql": self.raw_sql,
            "refId": self.ref_id,
        }


class SqlQueryBuilder(cogbuilder.Builder[SqlQuery]):
    def __init__(self, ref_id: str, raw_sql: str, fmt: Format) -> None:
        self._internal = SqlQuery(ref_id, raw_sql, fmt)

    def build(self) -> SqlQuery:
        return self._internal
