"""Refresh the exporter's rollups and materialized views; readers never block.

``daily_metrics`` is a table brought up to date incrementally (only the local days that
received or may have lost sessions since the last refresh; sql/views/30_daily_metrics.sql);
any materialized view is refreshed CONCURRENTLY.

Replicas share one refresh schedule through a lease row in the exporter's schema
(``refresh_lease``, created by ``migrate``): at every tick a replica claims the lease
when nobody claimed it within 90 % of the refresh interval, and only the claimant
refreshes. The others report the tick as skipped, which is neither a success nor a
failure. A leader that stops for any reason (crash, SIGSTOP, lost network) holds
nothing: its claim ages, and the next replica to tick after one interval takes over.

Both steps call SECURITY DEFINER functions of the exporter's schema, so a read-only
computing role (``execmetrics_compute``) refreshes views it does not own; each runs in
its own autocommit statement (a frozen process leaves no transaction open).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import UTC, datetime

import psycopg

from exporter.config import Config
from exporter.db import Database, describe
from exporter.sqlfiles import read_sql
from exporter.store import RunRecord

# A claim older than this share of the interval may be taken over: the slack absorbs
# the jitter between one replica's ticks, so its own next tick still finds it free.
LEASE_SHARE = 0.9

# Who holds the lease: readable in the table, unique per process.
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _write(conn: psycopg.Connection, query: str, params: dict[str, object]) -> bool:
    """One autocommit statement allowed to write (the role's default may be read-only).

    A single statement, never an open transaction: a process frozen between two
    round trips (SIGSTOP) leaves no transaction open and no lease row locked, so the
    other replicas can still claim the lease.
    """
    conn.execute("SET default_transaction_read_only = off")
    try:
        row = conn.execute(query, params).fetchone()
    finally:
        conn.execute("RESET default_transaction_read_only")
    return bool(row and row[0])


def claim(conn: psycopg.Connection, interval_seconds: float, holder: str = HOLDER) -> bool:
    """Take the refresh lease if it is free; True when this process got it."""
    return _write(
        conn,
        read_sql("refresh/claim.sql"),
        {"holder": holder, "min_gap_seconds": interval_seconds * LEASE_SHARE},
    )


def refresh_views(db: Database, config: Config, holder: str = HOLDER) -> RunRecord:
    """Bring the rollups and materialized views up to date, when this replica leads."""
    clock = time.perf_counter()
    error: str | None = None
    skipped = False
    try:
        with db.connection() as conn:
            if claim(conn, config.refresh.interval_seconds, holder):
                # False: another replica took the lease over in between.
                skipped = not _write(conn, read_sql("refresh/views.sql"), {"holder": holder})
            else:
                skipped = True
    except psycopg.Error as exc:
        error = describe(exc)
    except Exception as exc:  # reported, never fatal to the scheduler
        error = describe(exc)
    return RunRecord(
        finished_at=datetime.now(UTC),
        duration_seconds=time.perf_counter() - clock,
        error=error,
        skipped=skipped,
    )
