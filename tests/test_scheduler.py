"""MetricScheduler on a real, migrated database: every group computes, runs never
overlap, and a failing group keeps serving its previous snapshot."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import psycopg.errors
import pytest

from exporter.config import GROUP_NAMES, parse_config
from exporter.db import Database
from exporter.engine import Engine
from exporter.errors import DatabaseError
from exporter.groups import Group
from exporter.migrate import migrate
from exporter.serve.exposition import render
from exporter.serve.scheduler import MetricScheduler
from exporter.snapshot import Snapshot
from exporter.store import State, Store
from exporter.vocabulary import GroupName
from tests.cli_support import load_small_dataset

FAST = parse_config(
    {
        "groups": {g: {"interval_seconds": 1} for g in GROUP_NAMES},
        "refresh": {"interval_seconds": 1},
        "database": {"connect_timeout_seconds": 5},
    }
)


def wait_until(store: Store, condition: Callable[[State], bool], timeout: float = 20) -> State:
    deadline = time.monotonic() + timeout
    state = store.current
    while not condition(state):
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"condition not met in {timeout}s; groups: {dict(state.groups)}")
        state = store.wait_for(state.generation, timeout=min(left, 1.0))
    return state


@pytest.fixture
def running(db_url: str) -> Iterator[tuple[MetricScheduler, Store, str]]:
    migrate(db_url, FAST, create_source_tables=True)
    load_small_dataset(db_url, datetime.now(UTC).replace(microsecond=0))
    db = Database(db_url, FAST, max_size=len(GROUP_NAMES) + 1)
    db.open()
    store = Store(GROUP_NAMES)
    scheduler = MetricScheduler(Engine(db, FAST), db, store, FAST)
    try:
        yield scheduler, store, db_url
    finally:
        scheduler.stop()
        db.close()


def test_every_group_gets_a_good_snapshot(running: tuple[MetricScheduler, Store, str]) -> None:
    scheduler, store, _ = running
    scheduler.start()
    first_ready = wait_until(store, lambda s: s.ready)
    state = wait_until(
        store,
        lambda s: (
            s.ready
            and s.refresh.last_success is not None
            and s.groups[GroupName.FORECAST].last_run is not None
        ),
    )
    assert state.ready
    # The forecast's first refit starts once every SQL group has succeeded, not beside
    # their first runs.
    ready_at = max(
        g.good.started_at + timedelta(seconds=g.good.duration_seconds)
        for name, g in first_ready.groups.items()
        if name != GroupName.FORECAST and g.good is not None
    )
    forecast = state.groups[GroupName.FORECAST].good
    assert forecast is not None
    assert forecast.started_at >= ready_at - timedelta(milliseconds=10)
    for group in GROUP_NAMES:
        g = state.groups[group]
        assert g.good is not None and g.good.ok and g.failures == 0, g
        assert g.last_run is not None and g.last_run.error is None
    revenue = state.groups["revenue"].good
    assert revenue is not None
    mrr = [s.value for s in revenue.samples if s.name == "execmetrics_mrr"]
    assert mrr == [pytest.approx(39.99)]
    assert state.refresh.failures == 0

    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    assert set(jobs) == {"refresh", *(f"group:{g}" for g in GROUP_NAMES)}
    for job in jobs.values():
        assert job.max_instances == 1, job.id
        assert job.coalesce is True, job.id
        assert job.trigger.interval.total_seconds() == 1

    scheduler.stop()
    assert not scheduler.scheduler.running
    scheduler.stop()  # idempotent


def test_a_failing_group_keeps_its_previous_snapshot(
    running: tuple[MetricScheduler, Store, str],
) -> None:
    scheduler, store, url = running
    scheduler.start()
    state = wait_until(store, lambda s: s.ready)
    good = state.groups["viral"].good
    assert good is not None
    good_k = [s for s in good.samples if s.name == "execmetrics_viral_coefficient"]
    assert good_k and good_k[0].value == pytest.approx(1.0)

    # The viral group's SQL reads the invitations table; take it away.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE invitations RENAME TO invitations_gone")

    state = wait_until(store, lambda s: s.groups["viral"].failures >= 1)
    viral = state.groups["viral"]
    assert viral.last_run is not None and viral.last_run.error is not None
    assert "invitations" in viral.last_run.error
    assert viral.last_run.error.startswith("database error: ")
    assert viral.good is not None
    assert viral.good.samples == good.samples  # the previous values stay served
    assert state.ready
    assert state.groups["revenue"].failures == 0  # other groups are unaffected

    body = render(state, FAST).decode()
    assert 'execmetrics_group_last_run_success{group="viral"} 0.0' in body
    assert 'execmetrics_group_last_run_success{group="revenue"} 1.0' in body
    assert f'execmetrics_group_failures_total{{group="viral"}} {float(viral.failures)}' in body
    assert 'execmetrics_viral_coefficient{window="30d"} 1.0' in body

    # Fix the database: the next run succeeds again and the counter stays.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE invitations_gone RENAME TO invitations")
    failures = store.current.groups["viral"].failures
    state = wait_until(
        store,
        lambda s: (
            s.groups["viral"].last_run is not None
            and s.groups["viral"].last_run.error is None
            and s.groups["viral"].good is not None
            and s.groups["viral"].good.started_at > viral.last_run.finished_at
        ),
    )
    assert state.groups["viral"].failures >= failures


class SlowEngine:
    """Stands in for Engine: one group ("users") whose runs outlast its 1 s interval."""

    def __init__(self, seconds: float) -> None:
        self.groups = (Group("users", frozenset(), ()),)
        self.seconds = seconds
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.runs = 0

    def run_group(self, group: Group, at: datetime | None = None) -> Snapshot:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        started = datetime.now(UTC)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
            self.runs += 1
        return Snapshot(group.name, started, started, self.seconds)


class NoDatabase:
    """The refresh job's database: unreachable, which the job reports and survives."""

    def connection(self) -> object:
        raise psycopg.OperationalError("no database in this test")

    def stop_reading(self) -> None:
        pass


def test_a_job_never_overlaps_itself() -> None:
    engine = SlowEngine(seconds=1.3)
    store = Store(("users",))
    scheduler = MetricScheduler(engine, NoDatabase(), store, FAST)  # type: ignore[arg-type]
    scheduler.start()
    try:
        # Two runs of 1.3 s on a 1 s interval: the tick during the first run is skipped.
        wait_until(store, lambda s: s.groups["users"].good is not None, timeout=10)
        deadline = time.monotonic() + 10
        while engine.runs + engine.running < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()  # waits for a run in progress
    assert engine.most == 1  # never two runs of one job at once
    assert engine.runs >= 2
    assert store.current.refresh.failures >= 1  # the refresh job failed and went on
    assert store.current.refresh.last_run is not None
    assert "no database" in (store.current.refresh.last_run.error or "")


SLEEP = "SELECT pg_sleep(60)"


def test_stop_cancels_a_read_in_flight(db_url: str) -> None:
    """A stopping exporter cancels a long read (the forecast's first refit) instead of
    waiting for it, and refuses new reads; writes still go through."""
    db = Database(db_url, FAST, max_size=2)
    db.open()
    outcome: dict[str, BaseException | None] = {}

    def read() -> None:
        try:
            with db.reading() as conn:
                conn.execute(SLEEP)
            outcome["error"] = None
        except psycopg.Error as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=read)
    thread.start()
    try:
        with psycopg.connect(db_url, autocommit=True) as admin:
            deadline = time.monotonic() + 20
            while not admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query = %s AND state = 'active'",
                (SLEEP,),
            ).fetchone()[0]:  # type: ignore[index]
                assert time.monotonic() < deadline, "the read never started"
                time.sleep(0.05)
        db.stop_reading()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert isinstance(outcome["error"], psycopg.errors.QueryCanceled)
        with pytest.raises(DatabaseError, match="stopping"), db.reading():
            pass
        with db.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        thread.join(timeout=60)
        db.close()


def test_stop_does_not_wait_for_blocked_reads(db_url: str) -> None:
    """serve's SIGTERM path: with every group and the forecast's refit blocked on a lock,
    stop() cancels their reads and returns while the lock is still held."""
    migrate(db_url, FAST, create_source_tables=True)
    load_small_dataset(db_url, datetime.now(UTC).replace(microsecond=0))
    db = Database(db_url, FAST, max_size=len(GROUP_NAMES) + 1)
    db.open()
    store = Store(GROUP_NAMES)
    scheduler = MetricScheduler(Engine(db, FAST), db, store, FAST, refresh_db=None)
    with psycopg.connect(db_url) as locker:
        locker.execute("LOCK TABLE subscriptions IN ACCESS EXCLUSIVE MODE")
        try:
            scheduler.start()
            with psycopg.connect(db_url, autocommit=True) as admin:
                deadline = time.monotonic() + 20
                while not admin.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = 'execmetrics' AND wait_event_type = 'Lock'"
                ).fetchone()[0]:  # type: ignore[index]
                    assert time.monotonic() < deadline, "no read waited for the lock"
                    time.sleep(0.05)
            stopper = threading.Thread(target=scheduler.stop)
            stopper.start()
            stopper.join(timeout=20)  # the reads would wait 60 s (statement_timeout)
            assert not stopper.is_alive(), "stop() waited for the blocked reads"
            assert store.current.groups[GroupName.REVENUE].good is None
        finally:
            locker.rollback()
            scheduler.stop()
            db.close()
