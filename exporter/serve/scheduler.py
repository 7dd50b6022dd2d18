"""APScheduler jobs: the materialized-view refresh and one job per metric group.

Each job runs on its own interval, never overlaps itself (max_instances=1) and
coalesces missed runs. Every run publishes to the store; nothing here raises.

A change in the source tables (exporter/serve/changes.py) asks for a run of the groups that
read the changed table through ``request``: the same ``run_group``, on the same
executor. A group still runs once at a time: a request while it runs makes exactly
one more run after it (the run in progress may have read the data from before the
change), and any number of requests meanwhile make that one run. A scheduled tick
while the group runs is skipped, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from exporter.config import Config
from exporter.db import Database, backoff
from exporter.engine import Engine
from exporter.forecast.group import Forecaster
from exporter.groups import Group
from exporter.refresh import refresh_views
from exporter.store import Store
from exporter.vocabulary import GroupName

log = logging.getLogger("execmetrics.scheduler")

# How long the forecast's first refit waits for the SQL groups' first success.
FIRST_REFIT_WAIT_SECONDS = 300.0


@dataclass
class _Runs:
    """One group's runs: whether one is in progress, and whether another is owed."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    running: bool = False
    again: bool = False


class MetricScheduler:
    def __init__(
        self,
        engine: Engine,
        db: Database,
        store: Store,
        config: Config,
        *,
        refresh_db: Database | Literal["same"] | None = "same",
    ) -> None:
        self.engine = engine
        # Where the refresh runs: db itself, or the primary; None: no refresh job (a hot
        # standby without refresh.database_url, or refresh.enabled: false).
        self.refresh_db = db if refresh_db == "same" else refresh_db
        self.db = db
        self.store = store
        self.config = config
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=len(engine.groups) + 2)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._runs = {g.name: _Runs() for g in engine.groups}
        # The forecast group: its own job on its own (slow) interval; it imports the
        # model library at its first run, not before.
        self.forecaster = Forecaster(engine)
        self._refresh_failures = 0
        self._stopping = threading.Event()

    def run_group(self, group: Group, *, again_if_running: bool = False) -> None:
        """Run the group now unless it is running; then, with ``again_if_running``,
        the run in progress is followed by one more."""
        runs = self._runs[group.name]
        with runs.lock:
            if runs.running:
                runs.again = runs.again or again_if_running
                return
            runs.running = True
        while True:
            self._run_once(group)
            with runs.lock:
                if not runs.again:
                    runs.running = False
                    return
                runs.again = False

    def request(self, groups: list[Group]) -> None:
        """Run these groups soon, each once more after a run in progress."""
        if not self.scheduler.running:
            return  # not started or stopping: the scheduled runs will do
        for group in groups:
            self.scheduler.add_job(
                self.run_group,
                args=[group],
                kwargs={"again_if_running": True},
                name=f"compute {group.name} after a change",
            )

    def _run_once(self, group: Group) -> None:
        snapshot = self.engine.run_group(group)
        self.store.publish_group(snapshot)
        if snapshot.error:
            log.warning(
                "group %s failed after %.2fs: %s",
                group.name,
                snapshot.duration_seconds,
                snapshot.error,
            )
        else:
            log.info(
                "group %s computed %d samples in %.3fs",
                group.name,
                len(snapshot.samples),
                snapshot.duration_seconds,
            )

    def run_forecast(self) -> None:
        # The first refit evaluates every month end (tens of seconds on a large source):
        # it waits for the SQL groups' first success, which /-/ready waits for, rather
        # than share the cores with their first runs.
        self._until_ready(FIRST_REFIT_WAIT_SECONDS)
        if self._stopping.is_set():
            return
        snapshot = self.forecaster.run()
        self.store.publish_group(snapshot)
        if snapshot.error:
            log.warning(
                "forecast failed after %.2fs: %s", snapshot.duration_seconds, snapshot.error
            )
        else:
            log.info(
                "forecast refit: %d samples in %.3fs",
                len(snapshot.samples),
                snapshot.duration_seconds,
            )

    def _until_ready(self, limit: float) -> None:
        deadline = time.monotonic() + limit
        state = self.store.current
        while not state.ready and not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            state = self.store.wait_for(state.generation, min(left, 0.5))

    def run_refresh(self) -> None:
        assert self.refresh_db is not None
        record = refresh_views(self.refresh_db, self.config)
        self.store.publish_refresh(record)
        if record.error:
            log.warning("refresh failed after %.2fs: %s", record.duration_seconds, record.error)
            self._retry_refresh()
            return
        self._refresh_failures = 0
        if record.skipped:
            log.info("refresh skipped: another replica holds the refresh lease")
        else:
            log.info("materialized views refreshed in %.3fs", record.duration_seconds)

    def _retry_refresh(self) -> None:
        """After a failed refresh (the database was down at the tick), try again after
        1 s, 2 s, 4 s … while that comes before the next tick, so an outage shorter
        than the interval costs no refresh. The lease still allows one refresh per
        interval among the replicas: a retry never makes two."""
        self._refresh_failures += 1
        delay = backoff(self._refresh_failures)
        if delay >= self.config.refresh.interval_seconds or not self.scheduler.running:
            return
        self.scheduler.add_job(
            self.run_refresh,
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=delay),
            id="refresh-retry",
            name="retry the refresh of the rollups",
            replace_existing=True,
        )

    def start(self) -> None:
        now = datetime.now(UTC)
        if self.refresh_db is not None:
            self.scheduler.add_job(
                self.run_refresh,
                "interval",
                id="refresh",
                name="refresh materialized views",
                seconds=self.config.refresh.interval_seconds,
                next_run_time=now,
            )
        for group in self.engine.groups:
            self.scheduler.add_job(
                self.run_group,
                "interval",
                args=[group],
                id=f"group:{group.name}",
                name=f"compute {group.name}",
                seconds=self.config.groups.schedule(group.name).interval_seconds,
                next_run_time=now,
            )
        self.scheduler.add_job(
            self.run_forecast,
            "interval",
            id=f"group:{GroupName.FORECAST}",
            name="refit the forecasts",
            seconds=self.config.groups.schedule(GroupName.FORECAST).interval_seconds,
            next_run_time=now,
        )
        self.scheduler.start()

    def stop(self) -> None:
        self._stopping.set()
        if self.scheduler.running:
            # A read in flight is cancelled rather than waited for: the forecast's first
            # refit reads 25 month ends and may take tens of seconds on a large source.
            self.db.stop_reading()
            self.scheduler.shutdown(wait=True)
