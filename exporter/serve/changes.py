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

On a hot standby (``database.url`` in recovery) NOTIFY is not replayed: a LISTEN there
hears nothing. With the primary's URL (``refresh.database_url``) the listener LISTENs on
the primary instead and, for each batch of notifications, reads the primary's WAL
position (sql/replica/primary_lsn.sql); before the recompute the feed waits until the
standby has replayed up to the largest such position (sql/replica/replayed_lsn.sql,
polled every ``REPLAY_POLL_SECONDS``, for at most the shortest interval of the groups to
recompute), so that the recompute never reads a standby that has not replayed the
notifying commit. Without the primary's URL the standby polls its own high-water marks
(``changes.poll_seconds``, else every ``STANDBY_POLL_SECONDS``).

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
# How often the feed reads the standby's replayed WAL position while it waits for it.
REPLAY_POLL_SECONDS = 0.05
# The high-water poll of a standby whose primary is not known (no refresh.database_url).
STANDBY_POLL_SECONDS = 1.0


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
        *,
        heard_at: Callable[[int], None] | None = None,
    ) -> None:
        self._url = check_url(url)
        self._config = config
        self._changed = changed
        self._missed = missed  # the connection was lost: changes may have gone unheard
        # On the primary of a standby: told the primary's WAL position (bytes) after each
        # batch of notifications, before the tables are passed on.
        self._heard_at = heard_at
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
        try:
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            # On a standby's primary, its position now: past every change that went
            # unheard before this connection (the recompute after a reconnect waits for
            # it). A server where it fails (itself in recovery) is retried with backoff.
            self._position(conn)
        except BaseException:
            conn.close()
            raise
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
            try:
                with conn:
                    if lost:
                        log.info("change listener reconnected: recomputing every group")
                        self._missed()
                    attempt, lost = 0, True
                    self.connected.set()
                    while not self._stopping.is_set():
                        # The notifications as they arrive (stop_after=1 ends the wait
                        # with the first packet, whose every notification comes); the
                        # wait ends every tick to look at the stop flag.
                        tables = {
                            n.payload
                            for n in conn.notifies(timeout=_TICK_SECONDS, stop_after=1)
                            if n.payload in _TABLES
                        }
                        if tables:
                            self._position(conn)
                            self._changed(tables)
            except psycopg.Error as exc:
                if not self._stopping.is_set():
                    log.warning("change listener lost its connection: %s", describe(exc))
            finally:
                self.connected.clear()

    def _position(self, conn: psycopg.Connection) -> None:
        """Tell ``heard_at`` the primary's WAL position now, which is past the commit of
        every notification received so far."""
        if self._heard_at is None:
            return
        row = conn.execute(read_sql("replica/primary_lsn.sql")).fetchone()
        if row is not None and row[0] is not None:
            self._heard_at(int(row[0]))


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
    """The configured change sources, debounced into ``request(groups)`` calls.

    ``standby``: ``db`` is a hot standby. Then the listener LISTENs on ``primary_url``
    and each recompute waits for the standby to replay what the primary had written
    when the notifications arrived; without ``primary_url`` the standby polls its
    high-water marks instead of listening (no NOTIFY reaches it).
    """

    def __init__(
        self,
        url: str,
        config: Config,
        db: Database,
        request: Callable[[list[Group]], None],
        groups: Iterable[Group] = GROUPS,
        *,
        standby: bool = False,
        primary_url: str | None = None,
    ) -> None:
        self._config = config
        self._db = db
        self._request = request
        chosen = config.changes.groups  # None: every group follows the changes
        self._groups = tuple(g for g in groups if chosen is None or g.name in chosen)
        settings = config.changes
        self.debouncer = Debouncer(self._fire, settings.quiet_seconds, settings.max_delay_seconds)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        # The largest primary WAL position heard with a notification (bytes), which the
        # standby must have replayed before the next recompute; None: nothing to wait for.
        self._target: int | None = None
        self.waits = 0  # recomputes that waited for the standby's replay (for tests)
        self.listener: Listener | None = None
        poll_seconds = settings.poll_seconds
        if settings.listen and standby and primary_url is None:
            # No NOTIFY reaches a standby, and the primary is not known: poll instead.
            poll_seconds = poll_seconds or STANDBY_POLL_SECONDS
            self.mode = "poll on the standby"
        elif settings.listen and standby and primary_url is not None:
            self.listener = Listener(
                primary_url, config, self.debouncer.touch, self._all, heard_at=self._heard_at
            )
            self.mode = "listen on the primary, wait for the standby's replay"
        elif settings.listen:
            self.listener = Listener(url, config, self.debouncer.touch, self._all)
            self.mode = "listen"
        else:
            self.mode = "poll" if poll_seconds is not None else "off"
        self.poller = (
            HighWaterPoll(db, poll_seconds, self.debouncer.touch)
            if poll_seconds is not None
            else None
        )

    def _heard_at(self, lsn: int) -> None:
        """The primary had written up to ``lsn`` when notifications arrived (called by the
        listener before it passes their tables on, so a recompute of those tables waits
        for at least this position)."""
        with self._lock:
            if self._target is None or lsn > self._target:
                self._target = lsn

    def _fire(self, tables: set[str]) -> None:
        groups = groups_reading(tables, self._groups)
        log.info(
            "change in %s: recomputing %s",
            ", ".join(sorted(tables)),
            ", ".join(g.name for g in groups) or "nothing",
        )
        if groups:
            self._wait_replayed(groups)
        if not self._stopping.is_set():
            self._request(groups)

    def _wait_replayed(self, groups: list[Group]) -> None:
        """Until the standby has replayed the primary's position at the notifications,
        for at most the shortest interval of ``groups`` (then the recompute reads what
        the standby has, as a scheduled run would)."""
        with self._lock:
            target = self._target
        if target is None:
            return
        self.waits += 1
        bound = min(self._config.groups.schedule(g.name).interval_seconds for g in groups)
        started = time.monotonic()
        try:
            with self._db.connection() as conn:
                while True:
                    row = conn.execute(read_sql("replica/replayed_lsn.sql")).fetchone()
                    replayed = None if row is None else row[0]
                    if replayed is None or int(replayed) >= target:
                        break  # replayed, or no longer a standby (promoted)
                    if time.monotonic() - started >= bound:
                        log.warning(
                            "the standby has not replayed the change after %.0fs "
                            "(%d bytes behind): recomputing with what it has",
                            bound,
                            target - int(replayed),
                        )
                        break
                    if self._stopping.wait(REPLAY_POLL_SECONDS):
                        return
        except psycopg.Error as exc:
            log.warning("could not read the standby's replay position: %s", describe(exc))
            return
        log.debug("the standby replayed the change in %.3fs", time.monotonic() - started)

    def _all(self) -> None:
        """Every table may have changed (the listener was away): every group, debounced."""
        self.debouncer.touch(_TABLES)

    def start(self) -> None:
        if self.listener is None and self.poller is None:
            return
        log.info("change feed: %s", self.mode)
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
        self._stopping.set()
        for part in (self.listener, self.poller):
            if part is not None:
                part.stop()
        self.debouncer.stop()
