"""Refresh the exporter's materialized views, CONCURRENTLY so readers never block."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from exporter.config import Config
from exporter.db import Database, describe
from exporter.store import RunRecord

_LIST = """
SELECT c.relname
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind = 'm'
ORDER BY c.oid
"""

# Two replicas may run this job; only the holder of this lock refreshes, the other skips.
_REFRESH_LOCK = 0x65786D72  # "exmr"


def refresh_views(db: Database, config: Config) -> RunRecord:
    """REFRESH MATERIALIZED VIEW CONCURRENTLY for each view of the exporter's schema."""
    clock = time.perf_counter()
    error: str | None = None
    try:
        with db.connection() as conn:
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (_REFRESH_LOCK,)).fetchone()
            if got and got[0]:
                try:
                    for (name,) in conn.execute(_LIST, (config.exporter_schema,)).fetchall():
                        conn.execute(
                            sql.SQL("REFRESH MATERIALIZED VIEW CONCURRENTLY {}.{}").format(
                                sql.Identifier(config.exporter_schema), sql.Identifier(name)
                            )
                        )
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (_REFRESH_LOCK,))
    except psycopg.Error as exc:
        error = describe(exc)
    except Exception as exc:  # reported, never fatal to the scheduler
        error = describe(exc)
    return RunRecord(
        finished_at=datetime.now(UTC),
        duration_seconds=time.perf_counter() - clock,
        error=error,
    )
