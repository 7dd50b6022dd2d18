"""Timing for the benchmarks: the time of each of several runs of one step."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from exporter.engine import Engine
from exporter.groups import Group


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    """Seconds taken by each of ``repeat`` calls of ``run``."""
    out = []
    for _ in range(repeat):
        clock = time.perf_counter()
        run()
        out.append(time.perf_counter() - clock)
    return out


def group_durations(engine: Engine, group: Group, at: datetime, repeat: int) -> list[float]:
    """The engine's own duration of each of ``repeat`` runs of one group at ``at``."""
    out = []
    for _ in range(repeat):
        snap = engine.run_group(group, at)
        if snap.error:
            raise SystemExit(f"group {group.name} failed: {snap.error}")
        out.append(snap.duration_seconds)
    return out
