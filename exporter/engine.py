"""Evaluate metric groups at an instant T, or at many, each on its own pooled connection.

``run_group`` never raises: a failure becomes a Snapshot carrying the error, so the
scheduler can keep the previous values and count the failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

import psycopg

from exporter.config import Config
from exporter.db import Database, describe, timeout_ms
from exporter.errors import DatabaseError
from exporter.groups import GROUPS, Group
from exporter.groups.base import (
    context,
    many_parameters,
    parameters,
    rows_by_instant,
    to_samples,
)
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

# A pass over many instants sorts and hashes the sessions of its whole span at once (a
# year of daily instants reads 14 months of sessions): in memory rather than on disk.
PASS_SETTINGS = (("work_mem", "256MB"),)

# What chunks cuts into runs: instants, or the days whose local midnights they are.
Moment = TypeVar("Moment", datetime, date)

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
        """The group at one instant: the one-instant case of ``run_group_at``."""
        return self.run_group_at(group, [self.instant(at, wall)])[0]

    def run_group_at(self, group: Group, instants: Sequence[Instant]) -> list[Snapshot]:
        """The group at every instant, in one transaction: each many-instant query once
        for all of them, every other query once per instant. One snapshot per instant, in
        their order; a failure is every snapshot's error."""
        started = datetime.now(UTC)
        clock = time.perf_counter()
        per_instant: list[list[Sample]] = [[] for _ in instants]
        try:
            with self.db.reading() as conn:
                settings = group_settings(self.config, group.name)
                if len(instants) > 1:
                    settings += PASS_SETTINGS
                for name, value in settings:
                    conn.execute("SELECT set_config(%s, %s, true)", (name, value))
                # Another config may have migrated this schema since we started: its
                # numbers would go out under our labels (currency, time zone).
                built = conn.execute("SELECT checksum FROM view_layer").fetchone()
                if built is None or built[0] != self._fingerprint:
                    raise SchemaChanged(
                        f"the exporter schema {self.config.exporter_schema!r} was migrated "
                        f"with other settings or by another release: {RUN_MIGRATE}"
                    )
                many = None
                for query in group.queries:
                    text = read_sql(f"groups/{query.sql_file}")
                    if query.many:
                        many = many or many_parameters(instants, self.config)
                        cur = conn.execute(text, many)
                        columns = [d.name for d in cur.description or ()]
                        by_instant = rows_by_instant(query, columns, cur.fetchall())
                        for k, rows in by_instant.items():
                            per_instant[k].extend(to_samples(query, columns, rows, self._ctx))
                        continue
                    for k, instant in enumerate(instants):
                        cur = conn.execute(text, parameters(instant, self.config))
                        columns = [d.name for d in cur.description or ()]
                        per_instant[k].extend(to_samples(query, columns, cur.fetchall(), self._ctx))
            error = None
        except psycopg.Error as exc:
            error = describe(exc)
        except SchemaChanged as exc:
            error = str(exc)
        except Exception as exc:  # a bug must not stop the scheduler; it is reported
            error = f"{type(exc).__name__}: {exc}"
        duration = time.perf_counter() - clock
        return [
            Snapshot(
                group=group.name,
                at=instant.t,
                started_at=started,
                duration_seconds=duration,
                samples=tuple(samples) if error is None else (),
                error=error,
            )
            for instant, samples in zip(instants, per_instant, strict=True)
        ]

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


def chunks(at: Iterable[Moment], jobs: int) -> list[list[Moment]]:
    """The instants (or days) in time order, without repeats, cut into at most ``jobs``
    runs of consecutive ones: each run is one many-instant pass per group (a sweep reads
    only its run's span)."""
    ordered = sorted(set(at))
    size = max(1, -(-len(ordered) // max(1, jobs)))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


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
    """Every group (of ``groups``, default all) at every instant: the instants are cut
    into ``jobs`` runs of consecutive instants, and each (group, run) is one task, ``jobs``
    of them at a time.

    Every task reads the same wall clock, ``wall`` (default: now, read once here), so
    the future-timestamp check of every instant is relative to one reading of the clock.
    """
    clock = time.perf_counter()
    jobs = max(1, jobs)
    wall = wall or datetime.now(UTC)
    runs = chunks(at, jobs)
    with (
        Database(url, config, max_size=max(2, jobs)) as db,
        ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="backfill") as pool,
    ):
        engine = Engine(db, config, groups)
        tasks: dict[Future[list[Snapshot]], int] = {}
        for r, run in enumerate(runs):
            instants = [engine.instant(t, wall) for t in run]
            for group in engine.groups:
                tasks[pool.submit(engine.run_group_at, group, instants)] = r
        done: dict[datetime, list[Snapshot]] = {t: [] for run in runs for t in run}
        groups_left = {r: len(engine.groups) for r in range(len(runs))}
        pending = set(tasks)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION, timeout=1.0)
            for future in finished:
                snapshots = future.result()
                for snapshot in snapshots:
                    if snapshot.error is not None:
                        for other in pending:
                            other.cancel()
                        raise DatabaseError(
                            f"backfill: group {snapshot.group} at {snapshot.at.isoformat()}: "
                            f"{snapshot.error}"
                        )
                    done[snapshot.at].append(snapshot)
                r = tasks[future]
                groups_left[r] -= 1
                if groups_left[r] == 0 and progress is not None:
                    progress(len(runs[r]))
    evaluations = tuple((t, merge(done[t])) for t in at)
    return History(evaluations, time.perf_counter() - clock)
