"""Benchmark: the daily_metrics refresh (naive vs incremental) and each group's time.

Rerunnable against a migrated, loaded database that may be written to (a copy, e.g.
``createdb -T em_medium em_copy``; the runs leave its data as they found it):

    EXECMETRICS_DATABASE_URL=postgresql://.../em_copy python bench/views.py \\
        --at 2026-12-01T00:00Z --repeat 5 --new-rows 1000

It prints medians with their spread (min, max) over ``--repeat`` runs of

* naive: ``REFRESH MATERIALIZED VIEW CONCURRENTLY`` of a materialized view holding the
  plain definition (``daily_metrics_plain``), made in a scratch schema and dropped after;
* full: ``refresh_session_rollups(true)``, the rebuild migrate and the daily full pass run;
* incremental: ``refresh_session_rollups()`` with no new session, and after inserting
  ``--new-rows`` sessions spread over the last local day (inside a transaction that is
  rolled back, so the data stays as it was);
* each metric group at ``--at``, alone (``--groups`` limits which), as the engine runs it.

``--explain FILE`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of one group query (a path under
sql/groups/) at ``--at`` in the engine's transaction settings, and nothing else.
"""

from __future__ import annotations

import argparse
import statistics
from datetime import datetime
from pathlib import Path

import psycopg

from bench.timing import group_durations, timed
from exporter.config import Config, load_config
from exporter.db import Database, search_path
from exporter.engine import Engine, group_settings
from exporter.groups import GROUPS
from exporter.groups.base import parameters
from exporter.instant import Instant, parse_instant
from exporter.migrate import ensure_schema
from exporter.sqlfiles import read_sql

SCRATCH = "bench_views"

# Sessions spread over the last day, with ids above every existing one.
NEW_SESSIONS = """
INSERT INTO user_sessions (id, supplier_id, couple_id, created_at, session_duration)
SELECT top.id + g,
       CASE WHEN g %% 10 = 0 THEN 1 + g %% 1000 END,
       CASE WHEN g %% 10 <> 0 THEN 1 + g %% 5000 END,
       clock_timestamp() - (g %% 1440) * interval '1 minute',
       60 + g %% 3600
FROM (SELECT coalesce(max(id), 0) AS id FROM user_sessions) AS top,
     generate_series(1, %(rows)s) AS g
"""


def _spread(values: list[float]) -> str:
    return (
        f"{statistics.median(values) * 1000:9.1f} ms "
        f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}, n {len(values)})"
    )


def bench_refresh(url: str, config: Config, repeat: int, new_rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET search_path = {search_path(config)}")
        conn.execute(f"DROP SCHEMA IF EXISTS {SCRATCH} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCRATCH}")
        try:
            conn.execute(
                f"CREATE MATERIALIZED VIEW {SCRATCH}.daily_metrics_naive AS "
                "SELECT * FROM daily_metrics_plain"
            )
            conn.execute(f"CREATE UNIQUE INDEX ON {SCRATCH}.daily_metrics_naive (day)")
            naive = timed(
                lambda: conn.execute(
                    f"REFRESH MATERIALIZED VIEW CONCURRENTLY {SCRATCH}.daily_metrics_naive"
                ),
                repeat,
            )
        finally:
            conn.execute(f"DROP SCHEMA {SCRATCH} CASCADE")
        full = timed(lambda: conn.execute("SELECT refresh_session_rollups(true)"), repeat)
        steady = timed(lambda: conn.execute("SELECT refresh_session_rollups()"), repeat)
        after: list[float] = []
        for _ in range(repeat):
            with conn.transaction(force_rollback=True):
                conn.execute(NEW_SESSIONS, {"rows": new_rows})
                after += timed(lambda: conn.execute("SELECT refresh_session_rollups()"), 1)
        conn.execute("SELECT refresh_session_rollups(true)")
    sessions_median = statistics.median(after)
    print(f"daily_metrics refresh, {repeat} runs each:")
    print(f"  naive REFRESH CONCURRENTLY   {_spread(naive)}")
    print(f"  full rebuild                 {_spread(full)}")
    print(f"  incremental, no new row      {_spread(steady)}")
    print(f"  incremental, {new_rows:>6} new rows  {_spread(after)}")
    print(f"  incremental / naive          {sessions_median / statistics.median(naive):.1%}")


def bench_groups(url: str, config: Config, at: datetime, repeat: int, only: list[str]) -> None:
    groups = [g for g in GROUPS if not only or g.name in only]
    with Database(url, config, max_size=1) as db:
        engine = Engine(db, config, groups)
        print(f"groups at {at.isoformat()}, each alone, {repeat} runs after a warm-up:")
        for group in groups:
            engine.run_group(group, at)
            values = group_durations(engine, group, at, repeat)
            print(f"  {group.name:<11} {_spread(values)}")


def explain(url: str, config: Config, at: datetime, sql_file: str) -> None:
    instant = Instant.at(at, config.reporting.zone)
    with psycopg.connect(url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute(f"SET LOCAL search_path = {search_path(config)}")
        group = next(g for g in GROUPS if any(q.sql_file == sql_file for q in g.queries))
        for name, value in group_settings(config, group.name):
            conn.execute("SELECT set_config(%s, %s, true)", (name, value))
        rows = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + read_sql(f"groups/{sql_file}"),
            parameters(instant, config),
        ).fetchall()
        conn.rollback()
    print("\n".join(r[0] for r in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--at", default="2026-12-01T00:00Z", help="evaluation instant")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--new-rows", type=int, default=1000)
    parser.add_argument("--config")
    parser.add_argument("--groups", nargs="*", default=[], help="only these groups")
    parser.add_argument("--no-refresh", action="store_true", help="groups only")
    parser.add_argument("--no-groups", action="store_true", help="refresh only")
    parser.add_argument("--explain", metavar="FILE", help="EXPLAIN one query of sql/groups/")
    args = parser.parse_args()
    config = load_config(Path(args.config) if args.config else None)
    url = config.database_url()
    at = parse_instant(args.at)
    ensure_schema(url, config)
    if args.explain:
        explain(url, config, at, args.explain)
        return
    if not args.no_refresh:
        bench_refresh(url, config, args.repeat, args.new_rows)
    if not args.no_groups:
        bench_groups(url, config, at, args.repeat, args.groups)


if __name__ == "__main__":
    main()
