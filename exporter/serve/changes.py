"""Changes in the source tables, followed within about a second of their commit.

Two sources say which source table changed, and either or both may be on
(``changes.*`` in the config):

* ``Listener``: a dedicated autocommit connection that LISTENs on the channel of the
  change triggers (``execmetrics migrate --notify``, sql/notify/). One notification per
  statement, delivered at commit. The read-only computing role may LISTEN. When the
  database drops, it reconnects with the same capped backoff as the server's start
  (1 s, 2 s … 30 s) and, once back, recomputes every group: what changed meanwhile was
  not heard.
* ``HighWaterPoll``: without triggers, every ``changes.poll_seconds`` one cheap query
  (sql/changes/high_water.sql: each table's largest key, read from its primary-key
  index) notices rows added since the last poll. An UPDATE or DELETE that leaves the
  largest key alone is seen only at the group's next scheduled run.

Both feed a ``Debouncer``: a burst of changes (10,000 single-row INSERTs) becomes one
recompute once the tables have been quiet for ``changes.quiet_seconds``, and never
later than ``changes.max_delay_seconds`` after the first change of the burst. The
recompute goes to ``MetricScheduler.request`` for exactly the groups whose SQL reads a
changed table (``Group.tables``) and follow changes (``changes.groups``, default
all), through the scheduler's own run path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

import psycopg

from exporter.config import Config
from exporter.contract import SourceTable
from exporter.db import Database, backoff, check_url, describe
from exporter.groups import GROUPS, Group
from exporter.migrate import NOTIFY_CHANNEL, notifying_tables
from exporter.sqlfiles import read_sql

log = logging.getLogger("execmetrics.changes")

_TABLES = frozenset(t.value for t in SourceTable)
# How long a blocking wait lasts before it looks at the stop flag again.
_TICK_SECONDS = 1.0


def groups_reading(tables: Iterable[str], groups: Iterable[Group] = GROUPS) -> list[Group]:
    """The groups whose SQL reads any of these source tables, in their usual order."""
    changed = set(tables)
    return [g for g in groups if any(t.value in changed for t in g.tables)]


class Debouncer:
    """Collects changed tables and hands them on once a burst is over."""

    def __init__(
        self, fire: Callable[[set[str]], None], quiet_seconds: float, max_delay_seconds: float
    ) -> None:
        self._fire = fire
        self._quiet = quiet_seconds
        self._max_delay = max_delay_seconds
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._first = 0.0
        self._last = 0.0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="execmetrics-debounce", daemon=True)
        self.fired = 0  # how many recomputes were handed on (for logs and tests)

    def start(self) -> None:
        self._thread.start()

    def touch(self, tables: Iterable[str]) -> None:
        now = time.monotonic()
        with self._cond:
            if not self._pending:
                self._first = now
            self._pending.update(tables)
            self._last = now
            self._cond.notify()

    def _due(self) -> float | None:
        """Seconds until the pending burst is due (<= 0: now); None when nothing waits."""
        if not self._pending:
            return None
        now = time.monotonic()
        return min(self._last + self._quiet, self._first + self._max_delay) - now

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    due = self._due()
                    if due is not None and due <= 0:
                        break
                    self._cond.wait(timeout=_TICK_SECONDS if due is None else due)
                tables, self._pending = self._pending, set()
                self.fired += 1
            try:
                self._fire(tables)
            except Exception:  # a bug must not stop the feed; it is logged
                log.exception("recompute after a change of %s failed", ", ".join(sorted(tables)))

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


class _Worker:
    """A daemon thread running ``_run`` until ``stop``."""

    def __init__(self, name: str) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


class Listener(_Worker):
    """LISTEN on the change channel from a connection of its own, in its own thread."""

    def __init__(
        self,
        url: str,
        config: Config,
        changed: Callable[[set[str]], None],
        missed: Callable[[], None],
    ) -> None:
        self._url = check_url(url)
        self._config = config
        self._changed = changed
        self._missed = missed  # the connection was lost: changes may have gone unheard
        self.connected = threading.Event()
        super().__init__("execmetrics-listen")

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(
            self._url,
            autocommit=True,
            connect_timeout=max(1, int(self._config.database.connect_timeout_seconds)),
            application_name="execmetrics-listen",
            # A dropped network must end the wait, not hang it: TCP keepalives.
            keepalives=1,
            keepalives_idle=15,
            keepalives_interval=5,
            keepalives_count=3,
        )
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    def _run(self) -> None:
        attempt = 0
        lost = False
        while not self._stopping.is_set():
            try:
                conn = self._connect()
            except psycopg.Error as exc:
                attempt += 1
                log.warning(
                    "change listener: %s; next attempt in %gs", describe(exc), backoff(attempt)
                )
                self._stopping.wait(backoff(attempt))
                continue
            if lost:
                log.info("change listener reconnected: recomputing every group")
                self._missed()
            attempt, lost = 0, True
            self.connected.set()
            try:
                with conn:
                    while not self._stopping.is_set():
                        # Each notification as it arrives; the wait ends every tick to
                        # look at the stop flag.
                        for n in conn.notifies(timeout=_TICK_SECONDS):
                            if n.payload in _TABLES:
                                self._changed({n.payload})
            except psycopg.Error as exc:
                if not self._stopping.is_set():
                    log.warning("change listener lost its connection: %s", describe(exc))
            finally:
                self.connected.clear()


class HighWaterPoll(_Worker):
    """Every ``interval`` seconds, each source table's largest key; a larger one is a change."""

    def __init__(self, db: Database, interval: float, changed: Callable[[set[str]], None]) -> None:
        self._db = db
        self._interval = interval
        self._changed = changed
        self._seen: dict[str, object] | None = None
        super().__init__("execmetrics-poll")

    def poll(self) -> set[str]:
        """One poll: the tables whose high-water mark moved since the previous poll."""
        with self._db.connection() as conn:
            cur = conn.execute(read_sql("changes/high_water.sql"))
            row = cur.fetchone()
            names = [d.name for d in cur.description or ()]
        marks = dict(zip(names, row or (), strict=True))
        before, self._seen = self._seen, marks
        if before is None:
            return set()
        return {name for name, mark in marks.items() if before.get(name) != mark}

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                tables = self.poll()
            except psycopg.Error as exc:
                log.warning("change poll failed: %s", describe(exc))
                continue
            if tables:
                self._changed(tables)


class ChangeFeed:
    """The configured change sources, debounced into ``request(groups)`` calls."""

    def __init__(
        self,
        url: str,
        config: Config,
        db: Database,
        request: Callable[[list[Group]], None],
        groups: Iterable[Group] = GROUPS,
    ) -> None:
        self._config = config
        self._db = db
        self._request = request
        chosen = config.changes.groups  # None: every group follows the changes
        self._groups = tuple(g for g in groups if chosen is None or g.name in chosen)
        settings = config.changes
        self.debouncer = Debouncer(self._fire, settings.quiet_seconds, settings.max_delay_seconds)
        self.listener = (
            Listener(url, config, self.debouncer.touch, self._all) if settings.listen else None
        )
        self.poller = (
            HighWaterPoll(db, settings.poll_seconds, self.debouncer.touch)
            if settings.poll_seconds is not None
            else None
        )

    def _fire(self, tables: set[str]) -> None:
        groups = groups_reading(tables, self._groups)
        log.info(
            "change in %s: recomputing %s",
            ", ".join(sorted(tables)),
            ", ".join(g.name for g in groups) or "nothing",
        )
        self._request(groups)

    def _all(self) -> None:
        """Every table may have changed (the listener was away): every group, debounced."""
        self.debouncer.touch(_TABLES)

    def start(self) -> None:
        if self.listener is None and self.poller is None:
            return
        if self.listener is not None and self.poller is None:
            self._check_triggers()
        self.debouncer.start()
        if self.listener is not None:
            self.listener.start()
        if self.poller is not None:
            self.poller.start()

    def _check_triggers(self) -> None:
        try:
            with self._db.connection() as conn:
                tables = notifying_tables(conn, self._config)
        except psycopg.Error as exc:
            log.warning("could not read the change triggers: %s", describe(exc))
            return
        missing = sorted(_TABLES - set(tables))
        if missing:
            log.warning(
                "no change trigger on %s: changes there show at the next scheduled run "
                "(`execmetrics migrate --notify`, or set changes.poll_seconds)",
                ", ".join(missing),
            )

    def stop(self) -> None:
        for part in (self.listener, self.poller):
            if part is not None:
                part.stop()
        self.debouncer.stop()
