"""Faults a running exporter meets: the database down at start, SIGTERM, and two
replicas sharing one refresh schedule when the leader freezes (SIGSTOP) or dies."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from exporter.config import Config, parse_config
from exporter.db import MAX_DELAY_SECONDS, Database, backoff
from exporter.engine import Engine
from exporter.migrate import migrate
from exporter.serve.scheduler import MetricScheduler
from exporter.store import Store
from exporter.vocabulary import GroupName
from tests.cli_support import free_port, load_small_dataset
from tests.pgserver import local_postgres
from tests.processes import Serve, eventually, serve_process, write_config


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="execmetrics-faults-") as tmp:
        yield Path(tmp)


def test_backoff_doubles_and_is_capped() -> None:
    waits = [backoff(n) for n in range(1, 10)]
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert max(waits) == MAX_DELAY_SECONDS == waits[-1]


def test_serve_waits_for_a_database_that_is_down_at_start(folder: Path) -> None:
    with local_postgres(free_port()) as pg:
        migrate(pg.url, Config(), create_source_tables=True)
        load_small_dataset(pg.url, datetime.now(UTC).replace(microsecond=0))
        pg.stop()
        with serve_process(pg.url, folder) as server:
            eventually(lambda: server.get("/-/healthy").status_code == 200, 20, "healthy")
            ready = server.get("/-/ready")
            assert ready.status_code == 503
            assert "waiting for the database" in ready.text
            assert server.metric("execmetrics_group_last_run_success", group="revenue") is None
            time.sleep(3.5)  # a few attempts at 1 s, 2 s …
            pg.start()
            eventually(lambda: server.get("/-/ready").status_code == 200, 40, "ready")
            assert server.metric("execmetrics_mrr", currency="GBP") == pytest.approx(39.99)
            status = server.stop()
        log = server.stderr()
    assert status == 0, log
    assert "Traceback" not in log
    attempts = [ln for ln in log.splitlines() if "database attempt" in ln]
    assert 1 <= len(attempts) <= 5, log
    assert all("database unreachable" in ln for ln in attempts), attempts
    assert "database reachable after" in log


def test_sigterm_is_a_clean_exit_0(db_url: str, folder: Path) -> None:
    migrate(db_url, Config(), create_source_tables=True)
    load_small_dataset(db_url, datetime.now(UTC).replace(microsecond=0))
    with serve_process(db_url, folder) as server:
        eventually(lambda: server.get("/-/ready").status_code == 200, 30, "ready")
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0
    assert "Traceback" not in server.stderr()


# --------------------------------------------------------------------------- one refresher

INTERVAL = 2.0


def _lease(url: str, schema: str = "execmetrics") -> tuple[str, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT holder, refreshes FROM {schema}.refresh_lease").fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


def _pid(holder: str) -> int:
    return int(holder.split(":")[1])


def _leader_first(holder: str, a: Serve, b: Serve) -> tuple[Serve, Serve]:
    """(leader, follower): the replica holding the lease first; neither holding it fails."""
    assert _pid(holder) in (a.pid, b.pid), (holder, a.pid, b.pid)
    return (a, b) if _pid(holder) == a.pid else (b, a)


@contextmanager
def _two_replicas(db_url: str, folder: Path) -> Iterator[tuple[Serve, Serve]]:
    """Two ``serve`` replicas on one migrated small data set, both ready, refreshing
    every ``INTERVAL`` seconds."""
    settings = {"refresh": {"interval_seconds": INTERVAL}}
    migrate(db_url, parse_config(settings), create_source_tables=True)
    load_small_dataset(db_url, datetime.now(UTC).replace(microsecond=0))
    path = write_config(folder, settings)
    with (
        serve_process(db_url, folder, config=path, name="a") as a,
        serve_process(db_url, folder, config=path, name="b") as b,
    ):
        for s in (a, b):
            eventually(lambda s=s: s.get("/-/ready").status_code == 200, 40, "ready")
        yield a, b


def _refreshes_per_interval(db_url: str, intervals: int) -> float:
    """Refreshes recorded in the lease per ``INTERVAL``, watched for ``intervals`` of them."""
    _, before = _lease(db_url)
    started = time.monotonic()
    time.sleep(intervals * INTERVAL)
    _, after = _lease(db_url)
    return (after - before) / ((time.monotonic() - started) / INTERVAL)


def test_two_replicas_refresh_once_per_interval_and_a_frozen_leader_is_replaced(
    db_url: str, folder: Path
) -> None:
    with _two_replicas(db_url, folder) as (a, b):
        # One refresh per interval between both replicas, not one each.
        per_interval = _refreshes_per_interval(db_url, 6)
        assert 0.7 <= per_interval <= 1.15, per_interval
        skipped = [s.metric("execmetrics_refresh_skipped_total") or 0 for s in (a, b)]
        assert sum(skipped) >= 3, skipped  # the follower's ticks: skipped, not success

        # Freeze the leader: the other replica takes over within about one interval.
        holder, _ = _lease(db_url)
        leader, follower = _leader_first(holder, a, b)
        os.kill(leader.pid, signal.SIGSTOP)
        try:
            frozen_at = time.monotonic()
            eventually(
                lambda: _pid(_lease(db_url)[0]) == follower.pid,
                3 * INTERVAL,
                f"takeover by {follower.pid} from {leader.pid}",
            )
            took = time.monotonic() - frozen_at
            _, at_takeover = _lease(db_url)
            eventually(lambda: _lease(db_url)[1] >= at_takeover + 2, 4 * INTERVAL, "refreshes")
        finally:
            os.kill(leader.pid, signal.SIGCONT)
        assert took <= 2 * INTERVAL + 1, took
        # The frozen replica wakes up as a follower: still one refresh per interval.
        per_interval = _refreshes_per_interval(db_url, 5)
        assert 0.7 <= per_interval <= 1.15, per_interval
        # Either may lead now (the woken one can win the lease back): the freshest counts.
        successes = [
            s.metric("execmetrics_refresh_last_success_timestamp_seconds") or 0.0 for s in (a, b)
        ]
        assert max(successes) > time.time() - 3 * INTERVAL, successes
    for s in (a, b):
        assert "Traceback" not in s.stderr()


def test_a_killed_leader_is_replaced(db_url: str, folder: Path) -> None:
    with _two_replicas(db_url, folder) as (a, b):
        holder, _ = _lease(db_url)
        leader, follower = _leader_first(holder, a, b)
        os.kill(leader.pid, signal.SIGKILL)
        leader.process.wait(timeout=5)
        eventually(lambda: _pid(_lease(db_url)[0]) == follower.pid, 3 * INTERVAL, "takeover")


def test_a_refresh_missed_in_an_outage_is_retried_before_the_next_tick() -> None:
    """The database is down at a refresh tick and back two seconds later: the refresh
    is retried (1 s, 2 s, 4 s …) and done long before the next tick, not lost."""
    settings = parse_config(
        {
            "refresh": {"interval_seconds": 600},
            "groups": {g.value: {"interval_seconds": 600} for g in GroupName},
            "database": {"connect_timeout_seconds": 1},
        }
    )
    with local_postgres(free_port()) as pg:
        migrate(pg.url, settings, create_source_tables=True)
        before = _refresh_count(pg.url)
        pg.stop()
        db = Database(pg.url, settings, max_size=len(GroupName) + 1).open(wait=False)
        store = Store(tuple(g.value for g in GroupName))
        scheduler = MetricScheduler(Engine(db, settings), db, store, settings)
        try:
            scheduler.start()
            eventually(lambda: store.current.refresh.failures >= 1, 20, "a failed refresh")
            pg.start()
            eventually(lambda: store.current.refresh.last_success is not None, 40, "a refresh")
        finally:
            scheduler.stop()
            db.close()
        after = _refresh_count(pg.url)
    assert after - before == 1  # one refresh: retried, never doubled
    assert store.current.refresh.failures >= 1


def _refresh_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT coalesce(sum(refreshes), 0) FROM execmetrics.refresh_lease")
        return int(row.fetchone()[0])  # type: ignore[index]
