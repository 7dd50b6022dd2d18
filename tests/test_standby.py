"""A real hot standby (pg_basebackup -R, streaming replication, hot_standby_feedback on)
of a primary of the test's own: migrate refuses it in one line, collect reads it like the
primary, and serve on it leaves the refresh to the primary's exporter, saying so once
instead of failing every tick. The change feed listens on the primary and recomputes only
once the standby has replayed the change (or, without the primary's URL, polls the
standby); with the primary stopped the standby's exporter keeps serving; the primary's
updates and vacuum cancel no group query on the standby."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from exporter.config import GROUP_NAMES
from tests.cli_support import (
    assert_one_line_error,
    cli_env,
    exposition_values,
    free_port,
    load_small_dataset,
    run_cli,
)
from tests.instants import T
from tests.pgserver import LocalPostgres, local_postgres, local_standby
from tests.processes import Serve, eventually, serve_process


@pytest.fixture(scope="module")
def replicated() -> Iterator[tuple[LocalPostgres, LocalPostgres]]:
    with local_postgres(free_port()) as primary:
        migrate = run_cli("migrate", "--create-source-tables", env=cli_env(primary.url))
        assert migrate.returncode == 0, migrate.stderr
        notify = run_cli("migrate", "--notify", env=cli_env(primary.url))
        assert notify.returncode == 0, notify.stderr
        load_small_dataset(primary.url)
        feedback = {"hot_standby_feedback": "on"}
        with local_standby(primary, free_port(), settings=feedback) as standby:
            wait_replayed(primary, standby)
            yield primary, standby


def wait_replayed(primary: LocalPostgres, standby: LocalPostgres, timeout: float = 30) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    with psycopg.connect(primary.url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
        assert row is not None
        target = row[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(standby.url, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            ).fetchone()
            assert row is not None and row[0], "the standby is not in recovery"
            if row[1]:
                return
            assert time.monotonic() < deadline, "the standby did not catch up"
            time.sleep(0.1)


def test_migrate_refuses_a_standby(replicated: tuple[LocalPostgres, LocalPostgres]) -> None:
    _, standby = replicated
    for args in (("migrate",), ("migrate", "--notify")):
        proc = run_cli(*args, env=cli_env(standby.url))
        line = assert_one_line_error(proc, 4)
        assert "hot standby" in line and "primary" in line


def test_collect_on_the_standby_equals_the_primary(
    replicated: tuple[LocalPostgres, LocalPostgres],
) -> None:
    primary, standby = replicated
    at = T.isoformat()
    on_primary = run_cli("collect", "--at", at, env=cli_env(primary.url))
    on_standby = run_cli("collect", "--at", at, env=cli_env(standby.url))
    assert on_primary.returncode == on_standby.returncode == 0, on_standby.stderr

    def business(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {
            k: v
            for k, v in exposition_values(text).items()
            if not k[0].startswith("execmetrics_group_")
        }

    lag = ("execmetrics_database_replay_lag_seconds", ())
    standby_values, primary_values = business(on_standby.stdout), business(on_primary.stdout)
    assert lag not in primary_values  # a primary has no replay lag
    assert standby_values.pop(lag) >= 0
    assert standby_values == primary_values
    assert primary_values[("execmetrics_paying_suppliers", ())] > 0


def test_serve_on_a_standby_leaves_the_refresh_to_the_primary(
    replicated: tuple[LocalPostgres, LocalPostgres], tmp_path: Path
) -> None:
    _, standby = replicated
    config = tmp_path / "c.yml"
    config.write_text("refresh:\n  interval_seconds: 1\n")
    with serve_process(standby.url, tmp_path, config=config) as server:
        eventually(lambda: server.get("/-/ready").status_code == 200, 60, "ready")
        time.sleep(3)  # three refresh intervals
        values = exposition_values(server.get("/metrics").text)
        log = server.log.read_text()
    assert values[("execmetrics_refresh_failures_total", ())] == 0
    assert ("execmetrics_refresh_last_success_timestamp_seconds", ()) not in values or values[
        ("execmetrics_refresh_last_success_timestamp_seconds", ())
    ] == 0
    standby_lines = [line for line in log.splitlines() if "hot standby" in line]
    assert len(standby_lines) == 1, log
    assert "refresh failed" not in log


def test_serve_with_the_refresh_switched_off(
    replicated: tuple[LocalPostgres, LocalPostgres], tmp_path: Path
) -> None:
    """refresh.enabled: false on a standby: no refresh, no warning, just the info line."""
    _, standby = replicated
    config = tmp_path / "c.yml"
    config.write_text("refresh:\n  interval_seconds: 1\n  enabled: false\n")
    with serve_process(standby.url, tmp_path, config=config) as server:  # logs at info
        eventually(lambda: server.get("/-/ready").status_code == 200, 60, "ready")
        time.sleep(2)
        values = exposition_values(server.get("/metrics").text)
        log = server.log.read_text()
    assert values[("execmetrics_refresh_failures_total", ())] == 0
    assert "refresh.enabled: false" in log and "hot standby" not in log


def test_serve_reads_the_standby_and_refreshes_on_the_primary(
    replicated: tuple[LocalPostgres, LocalPostgres], tmp_path: Path
) -> None:
    """refresh.database_url names the primary: the refresh runs there once per interval
    with no failure, every group reads the standby, and a subscription committed on the
    primary reaches the standby's /metrics."""
    primary, standby = replicated
    config = tmp_path / "c.yml"
    config.write_text(
        "refresh:\n  interval_seconds: 1\ngroups:\n  revenue:\n    interval_seconds: 1\n"
    )
    env = {"EXECMETRICS_REFRESH_DATABASE_URL": primary.url}
    mrr = ("execmetrics_mrr", (("currency", "GBP"),))
    with serve_process(standby.url, tmp_path, config=config, env=env) as server:
        eventually(lambda: server.get("/-/ready").status_code == 200, 60, "ready")
        before = exposition_values(server.get("/metrics").text)[mrr]
        with psycopg.connect(primary.url) as conn:
            conn.execute(
                "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor,"
                " currency, interval_months, started_at) VALUES"
                " (990001, 1, 'pro', 'active', 12000, 'GBP', 1, now() - interval '1 hour')"
            )
        eventually(
            lambda: (
                exposition_values(server.get("/metrics").text)[mrr] == pytest.approx(before + 120.0)
            ),
            30,
            "the new subscription in the standby's MRR",
        )
        time.sleep(3)
        values = exposition_values(server.get("/metrics").text)
        log = server.log.read_text()
    assert values[("execmetrics_refresh_failures_total", ())] == 0
    assert values[("execmetrics_refresh_last_success_timestamp_seconds", ())] > 0
    assert "hot standby" not in log and "refresh failed" not in log
    with psycopg.connect(primary.url) as conn:
        row = conn.execute("SELECT refreshes FROM execmetrics.refresh_lease").fetchone()
    assert row is not None and row[0] >= 3  # once per 1 s interval, on the primary


MRR = ("execmetrics_mrr", (("currency", "GBP"),))
REVENUE_EVALUATED = ("execmetrics_group_evaluation_timestamp_seconds", (("group", "revenue"),))
HOURLY = "".join(f"  {g}:\n    interval_seconds: 3600\n" for g in GROUP_NAMES)


def _subscribe(
    primary: LocalPostgres, sub_id: int, amount_minor: int, *, asynchronous: bool = False
) -> None:
    with psycopg.connect(primary.url) as conn:
        if asynchronous:  # COMMIT returns before its WAL is written
            conn.execute("SET synchronous_commit = off")
        conn.execute(
            "INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor,"
            " currency, interval_months, started_at) VALUES"
            " (%s, 1, 'pro', 'active', %s, 'GBP', 1, now() - interval '1 hour')",
            (sub_id, amount_minor),
        )


def _revenue(server: Serve) -> tuple[float, float]:
    """The revenue group's (instant evaluated, GBP MRR) in /metrics now."""
    values = exposition_values(server.get("/metrics").text)
    return values[REVENUE_EVALUATED], values[MRR]


def _runs_until(
    server: Serve, seen: tuple[float, float], timeout: float
) -> list[tuple[float, float]]:
    """Every new revenue run that /metrics shows (polled every 20 ms) until one has
    the MRR changed from ``seen``'s, in order."""
    runs: list[tuple[float, float]] = []
    last = seen
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _revenue(server)
        if now != last:
            runs.append(now)
            last = now
            if now[1] != seen[1]:
                return runs
        time.sleep(0.02)
    raise AssertionError(f"no revenue run with a new MRR within {timeout}s: {runs}")


@contextmanager
def _replay_paused(standby: LocalPostgres) -> Iterator[None]:
    """The standby's WAL replay paused (it keeps receiving, and serving reads)."""
    with psycopg.connect(standby.url, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        eventually(
            lambda: (
                conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() == ("paused",)
            ),
            10,
            "replay paused",
        )
        try:
            yield
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")


def test_change_feed_through_the_standby_waits_for_its_replay(
    replicated: tuple[LocalPostgres, LocalPostgres], tmp_path: Path
) -> None:
    """Every group hourly: only the change feed can bring a new subscription to the
    standby's /metrics. It listens on the primary (refresh.database_url) and the first
    revenue run after each commit already reads it, also when the standby's replay is
    paused for 3 s after the commit (meanwhile no revenue run reads the standby), and
    after commits with synchronous_commit = off."""
    primary, standby = replicated
    config = tmp_path / "c.yml"
    config.write_text("refresh:\n  interval_seconds: 3600\ngroups:\n" + HOURLY)
    env = {"EXECMETRICS_REFRESH_DATABASE_URL": primary.url}
    with serve_process(standby.url, tmp_path, config=config, env=env) as server:
        eventually(lambda: server.get("/-/ready").status_code == 200, 60, "ready")
        eventually(lambda: MRR in exposition_values(server.get("/metrics").text), 60, "MRR")
        eventually(lambda: "change feed:" in server.stderr(), 10, "the change feed")
        time.sleep(1)  # the listener connects to the primary
        seen = _revenue(server)

        _subscribe(primary, 990101, 12000)
        runs = _runs_until(server, seen, 30)
        assert len(runs) == 1, runs  # the first run after the commit has it
        assert runs[0][1] == pytest.approx(seen[1] + 120.0)
        seen = runs[0]

        with _replay_paused(standby):
            _subscribe(primary, 990102, 5000)
            time.sleep(3)  # the recompute waits: no run while the commit is not replayed
            assert _revenue(server) == seen
        runs = _runs_until(server, seen, 30)
        assert len(runs) == 1, runs
        assert runs[0][1] == pytest.approx(seen[1] + 50.0)
        seen = runs[0]

        for n in range(5):  # asynchronous commits: still the first run after each
            _subscribe(primary, 990103 + n, 3000, asynchronous=True)
            runs = _runs_until(server, seen, 30)
            assert len(runs) == 1, runs
            assert runs[0][1] == pytest.approx(seen[1] + 30.0)
            seen = runs[0]
        values = exposition_values(server.get("/metrics").text)
        log = server.stderr()
    assert "change feed: listen on the primary, wait for the standby's replay" in log, log
    assert "has not replayed" not in log
    assert values[("execmetrics_refresh_failures_total", ())] == 0


def test_change_feed_without_the_primary_polls_the_standby(
    replicated: tuple[LocalPostgres, LocalPostgres], tmp_path: Path
) -> None:
    """No refresh.database_url: no NOTIFY reaches the standby, so the feed polls its
    high-water marks (every second) and a new subscription still shows within seconds."""
    primary, standby = replicated
    config = tmp_path / "c.yml"
    config.write_text("refresh:\n  enabled: false\ngroups:\n" + HOURLY)
    with serve_process(standby.url, tmp_path, config=config) as server:
        eventually(lambda: server.get("/-/ready").status_code == 200, 60, "ready")
        eventually(lambda: MRR in exposition_values(server.get("/metrics").text), 60, "MRR")
        time.sleep(1.5)  # the first poll (its marks are the baseline)
        seen = _revenue(server)
        _subscribe(primary, 990201, 7000)
        runs = _runs_until(server, seen, 30)
        log = server.stderr()
    assert runs[-1][1] == pytest.approx(seen[1] + 70.0)
    assert "change feed: poll on the standby" in log, log


def test_a_refresh_url_that_is_a_standby_too_leaves_the_feed_polling(
    replicated: tuple[LocalPostgres, LocalPostgres], tmp_path: Path
) -> None:
    """refresh.database_url names a standby as well: no refresh (said once) and, since
    no NOTIFY reaches it either, the feed polls the standby."""
    primary, standby = replicated
    config = tmp_path / "c.yml"
    config.write_text("groups:\n" + HOURLY)
    env = {"EXECMETRICS_REFRESH_DATABASE_URL": standby.url}
    with serve_process(standby.url, tmp_path, config=config, env=env) as server:
        eventually(lambda: server.get("/-/ready").status_code == 200, 60, "ready")
        eventually(lambda: MRR in exposition_values(server.get("/metrics").text), 60, "MRR")
        time.sleep(1.5)  # the first poll (its marks are the baseline)
        seen = _revenue(server)
        _subscribe(primary, 990301, 4000)
        runs = _runs_until(server, seen, 30)
        log = server.stderr()
    assert runs[-1][1] == pytest.approx(seen[1] + 40.0)
    assert "change feed: poll on the standby" in log, log
    assert "refresh.database_url is a hot standby" in log
    assert "change listener" not in log


BUSY_TABLES = ("subscriptions", "user_sessions", "invitations", "suppliers")


@contextmanager
def _replay_never_waits(standby: LocalPostgres) -> Iterator[None]:
    """max_standby_streaming_delay = 0 on the standby: replay cancels a conflicting
    query at once instead of waiting 30 s for it, so only hot_standby_feedback keeps the
    group queries alive."""
    with psycopg.connect(standby.url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET max_standby_streaming_delay = 0")
        conn.execute("SELECT pg_reload_conf()")
        eventually(
            lambda: conn.execute("SHOW max_standby_streaming_delay").fetchone() == ("0",),
            10,
            "max_standby_streaming_delay = 0",
        )
        try:
            yield
        finally:
            conn.execute("ALTER SYSTEM RESET max_standby_streaming_delay")
            conn.execute("SELECT pg_reload_conf()")


def test_the_primary_busy_with_updates_and_vacuum_cancels_no_group_query(
    replicated: tuple[LocalPostgres, LocalPostgres], tmp_path: Path
) -> None:
    """With hot_standby_feedback on, the primary's UPDATEs and VACUUMs of the tables the
    groups read while they run every second on the standby cancel none of them, even
    with replay set never to wait for a query (max_standby_streaming_delay = 0; with
    feedback off this cancels group queries within seconds). VACUUM does not truncate
    here: the AccessExclusiveLock of a truncation conflicts on the standby whatever the
    feedback, and the default delay of 30 s is what lets the queries finish then."""
    primary, standby = replicated
    with psycopg.connect(standby.url, autocommit=True) as conn:
        assert conn.execute("SHOW hot_standby_feedback").fetchone() == ("on",)
    config = tmp_path / "c.yml"
    every_second = "".join(f"  {g}:\n    interval_seconds: 1\n" for g in GROUP_NAMES)
    config.write_text("refresh:\n  interval_seconds: 1\ngroups:\n" + every_second)
    env = {"EXECMETRICS_REFRESH_DATABASE_URL": primary.url}
    with psycopg.connect(primary.url, autocommit=True) as conn:
        for table in BUSY_TABLES:  # autovacuum must not truncate either
            conn.execute(f"ALTER TABLE {table} SET (vacuum_truncate = false)")
    wait_replayed(primary, standby)
    try:
        with (
            _replay_never_waits(standby),
            serve_process(standby.url, tmp_path, config=config, env=env) as server,
        ):
            eventually(lambda: server.get("/-/ready").status_code == 200, 60, "ready")
            deadline = time.monotonic() + 8
            with psycopg.connect(primary.url, autocommit=True) as conn:
                while time.monotonic() < deadline:
                    for table in BUSY_TABLES:
                        conn.execute(f"UPDATE {table} SET id = id")  # every row anew
                        conn.execute(f"VACUUM (TRUNCATE false) {table}")
            wait_replayed(primary, standby)
            time.sleep(2)  # the runs that overlapped the last vacuum end
            values = exposition_values(server.get("/metrics").text)
            log = server.stderr()
    finally:
        with psycopg.connect(primary.url, autocommit=True) as conn:
            for table in BUSY_TABLES:
                conn.execute(f"ALTER TABLE {table} RESET (vacuum_truncate)")
    failures = {
        labels: v
        for (name, labels), v in values.items()
        if name == "execmetrics_group_failures_total"
    }
    assert len(failures) == len(GROUP_NAMES) and set(failures.values()) == {0}, failures
    assert "conflict with recovery" not in log
    with psycopg.connect(standby.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT confl_snapshot + confl_lock + confl_bufferpin + confl_deadlock"
            " FROM pg_stat_database_conflicts WHERE datname = current_database()"
        ).fetchone()
    assert row == (0,)


def _refreshed_since(server: Serve, since: float) -> bool:
    values = exposition_values(server.get("/metrics").text)
    return values.get(("execmetrics_refresh_last_success_timestamp_seconds", ()), 0) > since


def test_stopping_the_primary_leaves_the_standby_serving(
    replicated: tuple[LocalPostgres, LocalPostgres], tmp_path: Path
) -> None:
    """The primary stops: the exporter on the standby keeps answering with its values,
    its groups keep computing from the standby, the refresh failures are counted, and
    nothing crashes; once the primary is back the refresh succeeds again."""
    primary, standby = replicated
    config = tmp_path / "c.yml"
    config.write_text(
        "refresh:\n  interval_seconds: 1\ngroups:\n  revenue:\n    interval_seconds: 1\n"
    )
    env = {"EXECMETRICS_REFRESH_DATABASE_URL": primary.url}
    with serve_process(standby.url, tmp_path, config=config, env=env) as server:
        eventually(lambda: server.get("/-/ready").status_code == 200, 60, "ready")
        eventually(lambda: MRR in exposition_values(server.get("/metrics").text), 60, "MRR")
        eventually(lambda: _refreshed_since(server, 0), 30, "a refresh on the primary")
        wait_replayed(primary, standby)
        before = exposition_values(server.get("/metrics").text)
        primary.stop()
        try:
            stopped_at = time.time()
            eventually(
                lambda: (
                    exposition_values(server.get("/metrics").text)[
                        ("execmetrics_refresh_failures_total", ())
                    ]
                    > 0
                ),
                30,
                "a refresh failure counted",
            )
            time.sleep(3)  # three more group runs on the standby
            response = server.get("/metrics")
            ready = server.get("/-/ready").status_code
            alive = server.process.poll() is None
        finally:
            primary.start()
        values = exposition_values(response.text)
        eventually(
            lambda: _refreshed_since(server, stopped_at), 60, "the refresh back on the primary"
        )
        log = server.stderr()
    assert alive and response.status_code == 200 and ready == 200
    assert values[MRR] == before[MRR]
    assert values[("execmetrics_group_failures_total", (("group", "revenue"),))] == 0
    assert values[REVENUE_EVALUATED] > before[REVENUE_EVALUATED]  # still computing
    assert values[("execmetrics_refresh_failures_total", ())] > 0
    assert "Traceback" not in log, log
