"""The latest snapshots: one immutable state, swapped as a whole after every run.

Readers (the collector, the landing page, /-/ready) take ``store.current`` once and
read a consistent view; writers (scheduler jobs) publish a new state. A failed run
keeps the previous good samples, records its error and counts the failure.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from exporter.snapshot import Snapshot
from exporter.vocabulary import GroupName


@dataclass(frozen=True)
class RunRecord:
    """The outcome of the last run of a job, whatever it was."""

    finished_at: datetime
    duration_seconds: float
    error: str | None
    skipped: bool = False  # another replica holds the refresh lease: not a success


@dataclass(frozen=True)
class GroupState:
    name: str
    good: Snapshot | None = None  # the last successful run
    last_run: RunRecord | None = None
    failures: int = 0


@dataclass(frozen=True)
class RefreshState:
    last_run: RunRecord | None = None
    last_success: datetime | None = None
    failures: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class ReportsState:
    """Scheduled board reports: failed attempts by stage, last success by kind."""

    failures: Mapping[str, int] = field(default_factory=dict)
    last_success: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    generation: int
    groups: Mapping[str, GroupState]
    refresh: RefreshState = field(default_factory=RefreshState)
    reports: ReportsState = field(default_factory=ReportsState)
    # Why the jobs are not running yet (the database is unreachable at start), or None.
    waiting: str | None = None

    @property
    def unready(self) -> list[str]:
        """The groups readiness waits for that have not succeeded yet, sorted: every group
        but the forecast, an estimate refit on a slow schedule from the others' history."""
        return sorted(
            name for name, g in self.groups.items() if g.good is None and name != GroupName.FORECAST
        )

    @property
    def ready(self) -> bool:
        """Every group readiness waits for has succeeded at least once."""
        return not self.unready


class Store:
    def __init__(self, group_names: tuple[str, ...]) -> None:
        self._lock = threading.Lock()
        self._state = State(
            generation=0,
            groups=MappingProxyType({n: GroupState(n) for n in group_names}),
        )
        self._changed = threading.Condition(self._lock)

    @property
    def current(self) -> State:
        return self._state

    def publish_group(self, snapshot: Snapshot) -> State:
        """Record a group's run."""
        with self._lock:
            old = self._state.groups[snapshot.group]
            record = RunRecord(
                finished_at=snapshot.finished_at,
                duration_seconds=snapshot.duration_seconds,
                error=snapshot.error,
            )
            new = replace(
                old,
                good=snapshot if snapshot.ok else old.good,
                last_run=record,
                failures=old.failures + (0 if snapshot.ok else 1),
            )
            groups = dict(self._state.groups)
            groups[snapshot.group] = new
            self._state = replace(
                self._state,
                generation=self._state.generation + 1,
                groups=MappingProxyType(groups),
            )
            self._changed.notify_all()
            return self._state

    def publish_refresh(self, record: RunRecord) -> State:
        with self._lock:
            old = self._state.refresh
            succeeded = record.error is None and not record.skipped
            new = RefreshState(
                last_run=record,
                last_success=record.finished_at if succeeded else old.last_success,
                failures=old.failures + (0 if record.error is None else 1),
                skipped=old.skipped + (1 if record.skipped else 0),
            )
            self._state = replace(self._state, generation=self._state.generation + 1, refresh=new)
            self._changed.notify_all()
            return self._state

    def publish_report(
        self, *, failed_stage: str | None = None, built: tuple[str, datetime] | None = None
    ) -> State:
        """Count a failed report attempt, or record a report built (kind, when)."""
        with self._lock:
            old = self._state.reports
            failures = dict(old.failures)
            last = dict(old.last_success)
            if failed_stage is not None:
                failures[failed_stage] = failures.get(failed_stage, 0) + 1
            if built is not None:
                last[built[0]] = built[1]
            new = ReportsState(MappingProxyType(failures), MappingProxyType(last))
            self._state = replace(self._state, generation=self._state.generation + 1, reports=new)
            self._changed.notify_all()
            return self._state

    def publish_waiting(self, reason: str | None) -> State:
        """Record why the jobs cannot start yet (None once they run)."""
        with self._lock:
            self._state = replace(
                self._state, generation=self._state.generation + 1, waiting=reason
            )
            self._changed.notify_all()
            return self._state

    def wait_for(self, generation: int, timeout: float) -> State:
        """Block until the state is newer than ``generation`` (or the timeout passes)."""
        with self._changed:
            self._changed.wait_for(lambda: self._state.generation > generation, timeout)
            return self._state
