"""The serving process's link to the database: connect, retrying while it is down.

``serve`` listens before the database answers: ``/-/healthy`` is 200 at once and
``/-/ready`` is 503 naming the wait. The backend retries with a capped exponential
backoff (1 s, 2 s, 4 s … 30 s), logging one line per attempt, and starts the jobs
the first time the schema check and the connection pool succeed. A problem that a
retry cannot fix (the schema is missing or behind) stops the server with its code.
With the jobs start the change feed (exporter/serve/changes.py), which recomputes the groups
a change in the source tables touches; on a hot standby it listens on the primary
(``refresh.database_url``) and waits for the standby's replay, or polls without it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from exporter.config import Config
from exporter.db import CONCURRENT_JOBS, Database, backoff, describe
from exporter.engine import Engine
from exporter.errors import DatabaseError, ExecMetricsError
from exporter.migrate import in_recovery
from exporter.serve.changes import ChangeFeed
from exporter.serve.scheduler import MetricScheduler
from exporter.store import Store

log = logging.getLogger("execmetrics")


class Backend:
    def __init__(
        self,
        url: str,
        config: Config,
        store: Store,
        prepare: Callable[[], object],
    ) -> None:
        self._url = url
        self._config = config
        self._store = store
        self._prepare = prepare  # the schema check: raises ExecMetricsError
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.db: Database | None = None
        self.refresh_db: Database | None = None  # refresh.database_url's pool, when set
        self.scheduler: MetricScheduler | None = None
        self.changes: ChangeFeed | None = None
        self._refresh_url_is_standby = False  # refresh.database_url is in recovery too
        self.fatal: ExecMetricsError | None = None
        self.on_fatal: Callable[[ExecMetricsError], None] | None = None
        # Called once the metric jobs run, with their scheduler (e.g. to add report jobs).
        self.on_started: Callable[[MetricScheduler], None] | None = None

    def connect(self) -> None:
        """One attempt: schema check, pool, scheduler (not yet started)."""
        self._prepare()
        db = Database(
            self._url,
            self._config,
            max_size=max(self._config.database.pool_max_size, CONCURRENT_JOBS),
        )
        db.open()
        try:
            standby = self._in_recovery(db)
            refresh_db = self._refresh_database(db)
        except BaseException:
            db.close()  # the next attempt opens both again
            raise
        self.db = db
        self.scheduler = MetricScheduler(
            Engine(db, self._config),
            db,
            self._store,
            self._config,
            refresh_db=refresh_db,
        )
        self.changes = ChangeFeed(
            self._url,
            self._config,
            db,
            self.scheduler.request,
            standby=standby,
            # Not a refresh.database_url found to be a standby too: no NOTIFY there either.
            primary_url=(
                self._config.refresh_database_url()
                if standby and not self._refresh_url_is_standby
                else None
            ),
        )

    @staticmethod
    def _in_recovery(db: Database) -> bool:
        """Whether the database this process reads is a hot standby (for the change
        feed, which then listens on the primary or polls)."""
        try:
            with db.connection() as conn:
                return in_recovery(conn)
        except psycopg.Error as exc:
            raise DatabaseError(describe(exc)) from None

    def _refresh_database(self, db: Database) -> Database | None:
        """Where this process refreshes the rollups: ``refresh.database_url`` (the
        primary) when set, else the database it reads; None when the refresh is off, by
        ``refresh.enabled`` or because that database is a hot standby, where every
        refresh would fail (said once, here, not at every tick)."""
        if not self._config.refresh.enabled:
            log.info("the rollup refresh is off (refresh.enabled: false)")
            return None
        primary_url = self._config.refresh_database_url()
        target = db
        if primary_url is not None:
            target = Database(primary_url, self._config, max_size=2)
            target.open()  # a primary that is down: the same retry as the database's
        try:
            with target.connection() as conn:
                standby = in_recovery(conn)
        except psycopg.Error as exc:
            if target is not db:
                target.close()
            raise DatabaseError(describe(exc)) from None
        if target is not db:
            self.refresh_db = target
        self._refresh_url_is_standby = standby and primary_url is not None
        if standby:
            where = "refresh.database_url" if primary_url is not None else "the database"
            log.warning(
                "%s is a hot standby: this replica does not refresh the rollups (point "
                "refresh.database_url at the primary, or set refresh.enabled: false)",
                where,
            )
            if target is not db:
                target.close()
                self.refresh_db = None
            return None
        return target

    def start(self) -> None:
        """Start the jobs now when connected, else keep retrying in the background."""
        if self.scheduler is not None:
            self._start_jobs()
            return
        self._thread = threading.Thread(target=self._retry, name="execmetrics-connect", daemon=True)
        self._thread.start()

    def _start_jobs(self) -> None:
        with self._lock:
            if self._stopping.is_set() or self.scheduler is None:
                return
            self._store.publish_waiting(None)
            self.scheduler.start()
            if self.changes is not None:
                self.changes.start()
            if self.on_started is not None:
                self.on_started(self.scheduler)

    def _retry(self) -> None:
        attempt = 1
        while not self._stopping.wait(backoff(attempt)):
            attempt += 1
            try:
                self.connect()
            except DatabaseError as exc:
                self._store.publish_waiting(str(exc))
                log.warning(
                    "database attempt %d failed: %s; next in %gs", attempt, exc, backoff(attempt)
                )
                continue
            except ExecMetricsError as exc:
                self.fatal = exc
                log.error("%s", exc)
                if self.on_fatal is not None:
                    self.on_fatal(exc)
                return
            log.info("database reachable after %d attempts: starting the jobs", attempt)
            self._start_jobs()
            return

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            if self.changes is not None:
                self.changes.stop()
            if self.scheduler is not None:
                self.scheduler.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.db is not None:
            self.db.close()
            self.db = None
        if self.refresh_db is not None:
            self.refresh_db.close()
            self.refresh_db = None
