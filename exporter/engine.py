"""Evaluate metric groups at an instant T, or at many, each on its own pooled connection.

``run_group`` never raises: a failure becomes a Snapshot carrying the error, so the
scheduler can keep the previous values and count the failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from exporter.config import Config
from exporter.db import Database, describe, timeout_ms
from exporter.errors import DatabaseError
from exporter.groups import GROUPS, Group
from exporter.groups.base import context, parameters, to_samples
from exporter.instant import Instant
from exporter.migrate import RUN_MIGRATE, view_layer_fingerprint
from exporter.snapshot import Evaluation, Sample, Snapshot, merge
from exporter.sqlfiles import read_sql
from exporter.vocabulary import GroupName

# Settings of every group's transaction (set_config(..., true): they end with it).
# JIT off: the groups' plans read at most a few hundred thousand rows, where compiling
# costs more than it saves (on the medium data set JIT took 0.75 s of growth/loop's
# 0.98 s and most of the revenue queries' time; docs/performance.md). work_mem: the
# 60-day activity aggregate and its joins spill to disk at the server default of 4MB.
GROUP_SETTINGS = (("jit", "off"), ("work_mem", "32MB"))

# (instant, group) tasks evaluated at once by evaluate_many.
DEFAULT_JOBS = 4


def group_settings(config: Config, group: GroupName) -> list[tuple[str, str]]:
    """The settings a group's transaction runs with: its timeout, then GROUP_SETTINGS."""
    timeout = timeout_ms(config.groups.schedule(group).timeout_seconds)
    return [("statement_timeout", str(timeout)), *GROUP_SETTINGS]


class SchemaChanged(Exception):
    """The view layer in the database is not the one built for this config."""


class Engine:
    def __init__(self, db: Database, config: Config, groups: Iterable[Group] = GROUPS) -> None:
        self.db = db
        self.config = config
        self.groups = tuple(groups)
        self._ctx = context(config)
        self._fingerprint = view_layer_fingerprint(config)

    def instant(self, at: datetime | None = None, wall: datetime | None = None) -> Instant:
        """T (default: now) and the run's wall clock (default: now, the same reading)."""
        now = datetime.now(UTC)
        return Instant.at(at or now, self.config.reporting.zone, wall or now)

    def run_group(
        self, group: Group, at: datetime | None = None, wall: datetime | None = None
    ) -> Snapshot:
        instant = self.instant(at, wall)
        started = datetime.now(UTC)
        clock = time.perf_counter()
        params = parameters(instant, self.config)
        try:
            samples: list[Sample] = []
            with self.db.reading() as conn:
                for name, value in group_settings(self.config, group.name):
                    conn.execute("SELECT set_config(%s, %s, true)", (name, value))
                # Another config may have migrated this schema since we started: its
                # numbers would go out under our labels (currency, time zone).
                built = conn.execute("SELECT checksum FROM view_layer").fetchone()
                if built is None or built[0] != self._fingerprint:
                    raise SchemaChanged(
                        f"the exporter schema {self.config.exporter_schema!r} was migrated "
                        f"with other settings or by another release: {RUN_MIGRATE}"
                    )
                for query in group.queries:
                    cur = conn.execute(read_sql(f"groups/{query.sql_file}"), params)
                    columns = [d.name for d in cur.description or ()]
                    samples.extend(to_samples(query, columns, cur.fetchall(), self._ctx))
            error = None
        except psycopg.Error as exc:
            samples, error = [], describe(exc)
        except SchemaChanged as exc:
            samples, error = [], str(exc)
        except Exception as exc:  # a bug must not stop the scheduler; it is reported
            samples, error = [], f"{type(exc).__name__}: {exc}"
        return Snapshot(
            group=group.name,
            at=instant.t,
            started_at=started,
            duration_seconds=time.perf_counter() - clock,
            samples=tuple(samples),
            error=error,
        )

    def run_all(
        self, at: datetime | None = None, wall: datetime | None = None
    ) -> dict[str, Snapshot]:
        """Every group at the same instant and wall clock, concurrently."""
        instant = self.instant(at, wall)
        with ThreadPoolExecutor(max_workers=len(self.groups), thread_name_prefix="group") as ex:
            futures = {
                g.name: ex.submit(self.run_group, g, instant.t, instant.wall) for g in self.groups
            }
            return {name: f.result() for name, f in futures.items()}


def evaluate(
    url: str, config: Config, at: datetime | None, wall: datetime | None = None
) -> Evaluation:
    """Open a pool, compute every group once at ``at`` (default: now) with the wall clock
    ``wall`` (default: now), close the pool."""
    with Database(url, config, max_size=len(GROUPS)) as db:
        return merge(Engine(db, config).run_all(at, wall).values())


@dataclass(frozen=True)
class History:
    """The evaluations of a backfill, one per instant, in time order."""

    evaluations: tuple[tuple[datetime, Evaluation], ...]
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.evaluations) / self.seconds if self.seconds > 0 else float("inf")


def evaluate_many(
    url: str,
    config: Config,
    at: list[datetime],
    *,
    jobs: int = DEFAULT_JOBS,
    progress: Callable[[int], object] | None = None,
    wall: datetime | None = None,
    groups: Iterable[Group] = GROUPS,
) -> History:
    """Every group (of ``groups``, default all) at every instant, ``jobs`` (instant,
    group) tasks at a time.

    Every task reads the same wall clock, ``wall`` (default: now, read once here), so
    the future-timestamp check of every instant is relative to one reading of the clock.
    """
    clock = time.perf_counter()
    jobs = max(1, jobs)
    wall = wall or datetime.now(UTC)
    with (
        Database(url, config, max_size=max(2, jobs)) as db,
        ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="backfill") as pool,
    ):
        engine = Engine(db, config, groups)
        tasks: dict[Future[Snapshot], datetime] = {}
        for t in at:
            for group in engine.groups:
                tasks[pool.submit(engine.run_group, group, t, wall)] = t
        done_per_instant: dict[datetime, list[Snapshot]] = {t: [] for t in at}
        pending = set(tasks)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION, timeout=1.0)
            for future in finished:
                snapshot = future.result()
                if snapshot.error is not None:
                    for other in pending:
                        other.cancel()
                    raise DatabaseError(
                        f"backfill: group {snapshot.group} at {snapshot.at.isoformat()}: "
                        f"{snapshot.error}"
                    )
                t = tasks[future]
                done_per_instant[t].append(snapshot)
                if len(done_per_instant[t]) == len(engine.groups) and progress is not None:
                    progress(1)
    evaluations = tuple((t, merge(done_per_instant[t])) for t in at)
    return History(evaluations, time.perf_counter() - clock)
