"""A source whose user_sessions and invitations are declaratively partitioned by month
(with a default partition) gives the same numbers as the plain reference tables: at
several instants, after migrate --notify on the partitioned parents, and after the
rollup refresh that follows detaching a partition (old history archived away)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from exporter.config import Config, parse_config
from exporter.db import Database
from exporter.migrate import migrate
from exporter.refresh import refresh_views
from exporter.seed import seed
from tests.cli_support import cli_env, exposition_values, run_cli

PARTITIONED = (Path(__file__).parents[1] / "examples" / "partitioned_source.sql").read_text()
END = datetime(2026, 6, 1, tzinfo=UTC)
INSTANTS = ("2026-05-31T23:00:00Z", "2026-03-29T00:30:00Z", "2025-10-26T01:30:00Z")
# A 1 s refresh interval: the lease (claimed at most once per 90 % of it) is free again
# after a second, so each refresh below runs.
CONFIG = parse_config(
    {"reporting": {"timezone": "Europe/London"}, "refresh": {"interval_seconds": 1}}
)


def _business(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        k: v
        for k, v in exposition_values(text).items()
        if not k[0].startswith("execmetrics_group_")
    }


def _collect(
    url: str, config_path: Path, at: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    proc = run_cli("--config", str(config_path), "collect", "--at", at, env=cli_env(url))
    assert proc.returncode == 0, proc.stderr
    return _business(proc.stdout)


def _refresh(url: str, config: Config) -> None:
    time.sleep(1)
    with Database(url, config, max_size=2) as db:
        record = refresh_views(db, config)
    assert record.error is None and not record.skipped, record


def _daily(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT * FROM execmetrics.daily_metrics ORDER BY 1, 2").fetchall()


def _rollups_current(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT r.source_filenode = execmetrics.session_storage()"
            " FROM execmetrics.rollup_state AS r WHERE r.source_table = 'user_sessions'"
        ).fetchone()
    return bool(row and row[0])


def test_partitioned_source_gives_the_same_numbers(
    make_database: Callable[[], str], tmp_path: Path
) -> None:
    plain, parted = make_database(), make_database()
    config_path = tmp_path / "c.yml"
    config_path.write_text("reporting:\n  timezone: Europe/London\n")
    migrate(plain, CONFIG, create_source_tables=True, notify=True)
    with psycopg.connect(parted) as conn:
        conn.execute(PARTITIONED)
    result = migrate(parted, CONFIG, notify=True)  # the triggers go on the parents
    assert result is not None
    for url in (plain, parted):
        seed(url, "public", "small", end=END, progress=False, config=CONFIG)
        _refresh(url, CONFIG)
    with psycopg.connect(parted) as conn:
        triggers = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger AS t JOIN pg_class AS c"
                " ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        }
        parts = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'user_sessions'::regclass"
        ).fetchone()
    assert {"user_sessions", "invitations"} <= triggers
    assert parts is not None and parts[0] > 12
    # The rollups describe the partitioned table's storage, so the quality checks read
    # them instead of counting every session each run (a parent has no file node).
    assert _rollups_current(parted) and _rollups_current(plain)
    for at in INSTANTS:
        assert _collect(parted, config_path, at) == _collect(plain, config_path, at), at
    assert _daily(parted) == _daily(plain)

    # Archive the oldest month that holds sessions: detached on one side, deleted on
    # the other. The next refresh must see the rows go, on both.
    with psycopg.connect(parted) as conn:
        row = conn.execute(
            "SELECT tableoid::regclass::text, date_trunc('month', min(created_at))"
            " FROM user_sessions GROUP BY 1 ORDER BY 2 LIMIT 1"
        ).fetchone()
        assert row is not None
        partition, month = row
        conn.execute(f'ALTER TABLE user_sessions DETACH PARTITION "{partition}"')
    with psycopg.connect(plain) as conn:
        deleted = conn.execute(
            "DELETE FROM user_sessions WHERE created_at >= %s AND created_at < %s + interval '1 month'",
            (month, month),
        ).rowcount
    assert deleted > 0
    for url in (plain, parted):
        _refresh(url, CONFIG)
    assert _daily(parted) == _daily(plain)
    for at in INSTANTS:
        assert _collect(parted, config_path, at) == _collect(plain, config_path, at), at
    # The daily full rebuild (or the next migrate) takes the archived month out of the
    # rollups, the same on both sides.
    before = _daily(plain)
    for url in (plain, parted):
        with psycopg.connect(url) as conn:
            conn.execute("SELECT execmetrics.refresh_session_rollups(true)")
    assert _daily(parted) == _daily(plain) != before
