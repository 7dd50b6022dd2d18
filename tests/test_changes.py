"""Changes in the source tables recompute the groups that read them, soon after commit.

- every group declares the source tables its SQL reads (through the view layer too),
  and the declaration matches the SQL text;
- `migrate --notify` puts one statement-level trigger on each source table, a view
  rebuild keeps them, `--no-notify` removes them, and migrate's ownership records stay
  right;
- a 10,000-row INSERT is one notification and one recompute of the groups reading the
  table; a burst of commits is one recompute; a lost listener connection reconnects
  and recomputes everything;
- the high-water-mark poll sees new rows without triggers;
- a request while a group runs makes exactly one more run.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import pytest

from exporter.config import GROUP_NAMES, SQL_GROUP_NAMES, Config, parse_config
from exporter.contract import SourceTable
from exporter.db import Database
from exporter.engine import Engine
from exporter.groups import GROUPS, Group
from exporter.migrate import ensure_schema, migrate, notifying_tables
from exporter.serve.changes import ChangeFeed, HighWaterPoll, groups_reading
from exporter.serve.scheduler import MetricScheduler
from exporter.snapshot import Snapshot
from exporter.sqlfiles import read_sql, sql_files
from exporter.store import Store
from tests.cli_support import load_small_dataset

_DEFINES = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?(?:VIEW|FUNCTION)\s+([a-z_][a-z0-9_]*)",
    re.IGNORECASE,
)
# A relation read: after FROM or JOIN (optionally schema-qualified), or a view-layer
# function called by name.
_READS = re.compile(r"\b(?:FROM|JOIN)\s+(?:[a-z_][a-z0-9_]*\.)?([a-z_][a-z0-9_]*)", re.IGNORECASE)
_CALLS = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(", re.IGNORECASE)


def _code(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def _view_layer() -> dict[str, str]:
    """Each view, materialized view and function of sql/views/ with its SQL text."""
    defined: dict[str, str] = {}
    for path in sql_files("views"):
        parts = _DEFINES.split(_code(path.read_text(encoding="utf-8")))
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            defined[name.lower()] = defined.get(name.lower(), "") + body
    return defined


def _tables_read(text: str, layer: dict[str, str], seen: frozenset[str] = frozenset()) -> set[str]:
    code = _code(text)
    names = {n.lower() for n in _READS.findall(code)} | {
        n.lower() for n in _CALLS.findall(code) if n.lower() in layer
    }
    tables = names & {t.value for t in SourceTable}
    for name in (names & set(layer)) - seen:
        tables |= _tables_read(layer[name], layer, seen | {name})
    return tables


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_each_group_declares_the_tables_its_sql_reads(group: Group) -> None:
    layer = _view_layer()
    assert "subscription_periods" in layer and "valid_sessions" in layer  # the parser works
    read = set()
    for query in group.queries:
        read |= _tables_read(read_sql(f"groups/{query.sql_file}"), layer)
    assert {t.value for t in group.tables} == read


def test_a_change_maps_to_the_groups_that_read_the_table() -> None:
    names = [g.name for g in groups_reading({"subscriptions"})]
    assert names == ["revenue", "quality", "growth"]
    assert [g.name for g in groups_reading({"couples"})] == ["users", "quality", "growth"]
    assert [g.name for g in groups_reading({"user_sessions"})] == [
        "users",
        "viral",
        "engagement",
        "quality",
        "growth",
    ]
    assert groups_reading(set()) == []


def _triggers(url: str) -> set[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT t.tgname::text, c.relname::text FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
        ).fetchall()
    return {(a, b) for a, b in rows}


ALL_SIX = {("execmetrics_notify", t.value) for t in SourceTable}


def test_migrate_notify_installs_and_removes_the_triggers(db_url: str) -> None:
    cfg = Config()
    result = migrate(db_url, cfg, create_source_tables=True)
    assert result.notify_tables is None
    assert _triggers(db_url) == set()  # opt-in: nothing on the platform's tables

    result = migrate(db_url, cfg, notify=True)
    assert result.notify_tables == sorted(t.value for t in SourceTable)
    assert _triggers(db_url) == ALL_SIX

    # A later plain migrate and a rebuild of the view layer keep them.
    migrate(db_url, cfg)
    migrate(db_url, parse_config({"reporting": {"timezone": "Europe/London"}}), force_views=True)
    assert _triggers(db_url) == ALL_SIX
    migrate(db_url, cfg, notify=True)  # again: still one trigger per table
    assert _triggers(db_url) == ALL_SIX
    ensure_schema(db_url, cfg)

    with psycopg.connect(db_url) as conn:
        assert notifying_tables(conn, cfg) == sorted(t.value for t in SourceTable)
        owned = conn.execute("SELECT kind, name FROM execmetrics.owned_objects").fetchall()
    assert ("function", "notify_source_change()") in owned

    result = migrate(db_url, cfg, notify=False)
    assert result.notify_tables == []
    assert _triggers(db_url) == set()


def test_one_statement_is_one_notification_whatever_its_rows(db_url: str) -> None:
    migrate(db_url, Config(), create_source_tables=True, notify=True)
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute("LISTEN execmetrics_changes")
        with psycopg.connect(db_url) as conn:
            conn.execute(
                "INSERT INTO user_sessions (id, supplier_id, created_at, session_duration)"
                " SELECT g, 1, now(), 60 FROM generate_series(1, 10000) AS g"
            )
            conn.execute("UPDATE user_sessions SET session_duration = 61 WHERE id <= 10")
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("DELETE FROM user_sessions WHERE id = 1")
            conn.execute("TRUNCATE invitations")
        got = [n.payload for n in listener.notifies(timeout=1.0)]
    # the INSERT and the UPDATE share a transaction: one notification for both
    assert got == ["user_sessions", "user_sessions", "invitations"]


@pytest.fixture
def feed_parts(db_url: str) -> Iterator[tuple[str, Database, MetricScheduler, Store]]:
    migrate(db_url, Config(), create_source_tables=True, notify=True)
    load_small_dataset(db_url, datetime.now(UTC).replace(microsecond=0))
    cfg = parse_config({"changes": {"quiet_seconds": 2, "max_delay_seconds": 60}})
    db = Database(db_url, cfg, max_size=len(GROUP_NAMES) + 2)
    db.open()
    store = Store(GROUP_NAMES)
    scheduler = MetricScheduler(Engine(db, cfg), db, store, cfg)
    try:
        yield db_url, db, scheduler, store
    finally:
        scheduler.stop()
        db.close()


class Requests:
    """Records what the feed asks the scheduler for, and passes it on."""

    def __init__(self, scheduler: MetricScheduler) -> None:
        self.scheduler = scheduler
        self.calls: list[list[str]] = []
        self.lock = threading.Condition()

    def __call__(self, groups: list[Group]) -> None:
        with self.lock:
            self.calls.append([g.name for g in groups])
            self.lock.notify_all()
        self.scheduler.request(groups)

    def wait(self, count: int, timeout: float = 20) -> list[list[str]]:
        with self.lock:
            assert self.lock.wait_for(lambda: len(self.calls) >= count, timeout), self.calls
            return list(self.calls)


@contextmanager
def listening(
    parts: tuple[str, Database, MetricScheduler, Store], **changes: object
) -> Iterator[tuple[ChangeFeed, Requests]]:
    """A started change feed with these ``changes.*`` settings, its listener connected."""
    url, db, scheduler, _ = parts
    requests = Requests(scheduler)
    feed = ChangeFeed(url, parse_config({"changes": changes}), db, requests)
    feed.start()
    try:
        assert feed.listener is not None and feed.listener.connected.wait(10)
        yield feed, requests
    finally:
        feed.stop()


def _mrr(store: Store) -> float | None:
    good = store.current.groups["revenue"].good
    if good is None:
        return None
    return next((s.value for s in good.samples if s.name == "execmetrics_mrr"), None)


def test_a_burst_of_commits_is_one_recompute_of_the_groups_reading_the_table(
    feed_parts: tuple[str, Database, MetricScheduler, Store],
) -> None:
    url, _, scheduler, store = feed_parts
    scheduler.start()
    with listening(feed_parts, quiet_seconds=2, max_delay_seconds=60) as (feed, requests):
        deadline = time.monotonic() + 20
        while _mrr(store) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        before = _mrr(store)
        assert before is not None
        # 200 commits, each its own transaction and notification, then one 10,000-row
        # statement: one recompute once the table is quiet.
        with psycopg.connect(url, autocommit=True) as conn:
            for i in range(200):
                conn.execute(
                    "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor,"
                    " currency, interval_months, started_at)"
                    " VALUES (%s, 1, 'pro', 'active', 100, 'GBP', 1, now() - interval '1 hour')",
                    (100_000 + i,),
                )
            conn.execute(
                "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor,"
                " currency, interval_months, started_at)"
                " SELECT 200000 + g, 1, 'pro', 'active', 100, 'GBP', 1, now() - interval '1 hour'"
                " FROM generate_series(1, 10000) AS g"
            )
        assert requests.wait(1) == [["revenue", "quality", "growth"]]
        deadline = time.monotonic() + 20
        while _mrr(store) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _mrr(store) == pytest.approx(before + 10_200 * 1.0)
        time.sleep(3)  # longer than the quiet window: no second recompute came
        assert len(requests.calls) == 1
        assert feed.debouncer.fired == 1


def test_a_lost_listener_reconnects_and_recomputes_everything(
    feed_parts: tuple[str, Database, MetricScheduler, Store],
) -> None:
    url = feed_parts[0]
    with listening(feed_parts, quiet_seconds=0.1, max_delay_seconds=1) as (feed, requests):
        with psycopg.connect(url, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'execmetrics-listen'"
            ).fetchall()
        assert killed == [(True,)]
        calls = requests.wait(1)
        assert calls == [list(SQL_GROUP_NAMES)]  # every SQL group: changes meanwhile were not heard
        assert feed.listener is not None and feed.listener.connected.wait(10)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM fx_rates WHERE false")  # a statement, no rows
        assert requests.wait(2)[1] == ["revenue", "quality", "growth"]


def test_the_poll_sees_new_rows_without_triggers(db_url: str) -> None:
    migrate(db_url, Config(), create_source_tables=True)
    load_small_dataset(db_url, datetime.now(UTC).replace(microsecond=0))
    with Database(db_url, Config(), max_size=2) as db:
        poll = HighWaterPoll(db, 60, lambda tables: None)
        assert poll.poll() == set()  # the first poll only takes the marks
        assert poll.poll() == set()
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO couples (id, created_at, country) VALUES (99999, now(), 'GB')"
            )
            conn.execute(
                "INSERT INTO fx_rates (currency, valid_from, rate) VALUES ('EUR', '2999-01-01', 1.1)"
            )
        assert poll.poll() == {"couples", "fx_rates"}
        assert poll.poll() == set()


class SlowEngine:
    """Stands in for Engine: one group whose runs take ``seconds``, counted."""

    def __init__(self, seconds: float) -> None:
        self.groups = (Group("revenue", frozenset({SourceTable.SUBSCRIPTIONS}), ()),)
        self.seconds = seconds
        self.started = threading.Event()
        self.runs = 0

    def run_group(self, group: Group, at: datetime | None = None) -> Snapshot:
        self.started.set()
        started = datetime.now(UTC)
        time.sleep(self.seconds)
        self.runs += 1
        return Snapshot(group.name, started, started, self.seconds)


def test_requests_during_a_run_make_exactly_one_more_run() -> None:
    engine = SlowEngine(seconds=0.5)
    store = Store(("revenue",))
    cfg = parse_config({"groups": {"revenue": {"interval_seconds": 3600}}})
    scheduler = MetricScheduler(engine, None, store, cfg)  # type: ignore[arg-type]
    group = engine.groups[0]
    first = threading.Thread(target=scheduler.run_group, args=(group,))
    first.start()
    assert engine.started.wait(5)
    for _ in range(5):  # five changes while it runs
        scheduler.run_group(group, again_if_running=True)
    scheduler.run_group(group)  # a scheduled tick while it runs: skipped
    first.join(timeout=10)
    assert engine.runs == 2
    scheduler.run_group(group)  # idle again: runs at once
    assert engine.runs == 3


def test_only_the_chosen_groups_follow_changes(
    feed_parts: tuple[str, Database, MetricScheduler, Store],
) -> None:
    with listening(feed_parts, quiet_seconds=0.1, groups=["revenue", "users"]) as (_, requests):
        with psycopg.connect(feed_parts[0], autocommit=True) as conn:
            conn.execute("UPDATE subscriptions SET plan = plan WHERE false")
        assert requests.wait(1) == [["revenue"]]  # not quality or growth


class _ReplayingStandby:
    """A stand-in for the standby's pool: its replay position grows by ``step`` bytes
    at every read (None: never moves)."""

    def __init__(self, start: int, step: int | None) -> None:
        self.position = start
        self.step = step
        self.reads = 0

    @contextmanager
    def connection(self) -> Iterator[_ReplayingStandby]:
        yield self

    def execute(self, query: str) -> _ReplayingStandby:
        assert query == read_sql("replica/replayed_lsn.sql")
        self.reads += 1
        if self.reads > 1 and self.step is not None:
            self.position += self.step
        return self

    def fetchone(self) -> tuple[int]:
        return (self.position,)


def _standby_feed(db: object, **config: object) -> tuple[ChangeFeed, list[list[str]]]:
    calls: list[list[str]] = []
    feed = ChangeFeed(
        "postgresql://standby.invalid/db",
        parse_config(config),
        db,  # type: ignore[arg-type]
        lambda groups: calls.append([g.name for g in groups]),
        standby=True,
        primary_url="postgresql://primary.invalid/db",
    )
    return feed, calls


def test_which_feed_runs_on_a_primary_and_on_a_standby() -> None:
    """A primary: LISTEN there. A standby with the primary's URL: LISTEN on the primary.
    A standby without it: poll the standby (every second unless poll_seconds says)."""
    db = _ReplayingStandby(0, None)
    on_primary = ChangeFeed("postgresql://p.invalid/db", Config(), db, print)  # type: ignore[arg-type]
    assert on_primary.listener is not None and on_primary.poller is None
    assert on_primary.listener._url == "postgresql://p.invalid/db"
    assert on_primary.mode == "listen"

    through, _ = _standby_feed(db)
    assert through.listener is not None and through.poller is None
    assert through.listener._url == "postgresql://primary.invalid/db"
    assert through.mode == "listen on the primary, wait for the standby's replay"

    for poll, interval in ((None, 1.0), (5.0, 5.0)):
        changes: dict[str, object] = {} if poll is None else {"poll_seconds": poll}
        alone = ChangeFeed(
            "postgresql://s.invalid/db",
            parse_config({"changes": changes}),
            db,  # type: ignore[arg-type]
            print,
            standby=True,
        )
        assert alone.listener is None and alone.poller is not None
        assert alone.poller._interval == interval and alone.mode == "poll on the standby"


def test_the_recompute_waits_until_the_standby_has_replayed_the_notification() -> None:
    """The primary was at byte 1,000 when the notification came; the standby is at 100
    and replays 300 bytes a read: the recompute is asked for only after the fourth
    read (100, 400, 700, 1,000)."""
    standby = _ReplayingStandby(100, 300)
    feed, calls = _standby_feed(standby)
    feed._heard_at(1_000)
    feed._heard_at(900)  # an older position never lowers the target
    feed._fire({"subscriptions"})
    assert standby.reads == 4 and standby.position == 1_000
    assert calls == [["revenue", "quality", "growth"]] and feed.waits == 1
    feed._fire({"subscriptions"})  # replayed already: one read, no wait
    assert standby.reads == 5 and len(calls) == 2


def test_a_standby_that_does_not_replay_delays_the_recompute_one_group_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    standby = _ReplayingStandby(100, None)
    feed, calls = _standby_feed(standby, groups={"revenue": {"interval_seconds": 1}})
    feed._heard_at(1_000)
    started = time.monotonic()
    feed._fire({"subscriptions"})
    waited = time.monotonic() - started
    assert 1.0 <= waited < 5.0  # the revenue interval, not growth's or quality's 300 s
    assert calls == [["revenue", "quality", "growth"]]
    assert "has not replayed the change after 1s (900 bytes behind)" in caplog.text


def test_nothing_heard_from_the_primary_means_no_wait() -> None:
    """A change seen by the standby's own poll is already replayed: no read at all."""
    standby = _ReplayingStandby(100, None)
    feed, calls = _standby_feed(standby)
    feed._fire({"couples"})
    assert standby.reads == 0 and calls == [["users", "quality", "growth"]]
