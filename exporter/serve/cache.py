"""A value derived from the store's current state, rebuilt only when the state moves.

The /metrics body and the landing page are both rendered once per state generation
(the landing page also when its "… ago" times have aged) and then served from memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from exporter.store import State, Store

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    generation: int
    built_at: float  # time.monotonic()
    value: T


class PerState(Generic[T]):
    """``build(state)`` for the current state, kept while the generation is unchanged and
    (when ``max_age_seconds`` is given) for at most that long."""

    def __init__(
        self, store: Store, build: Callable[[State], T], max_age_seconds: float | None = None
    ) -> None:
        self._store = store
        self._build = build
        self._max_age = max_age_seconds
        self._lock = threading.Lock()
        self._entry: _Entry[T] | None = None

    def _fresh(self, entry: _Entry[T] | None, state: State, now: float) -> bool:
        return (
            entry is not None
            and entry.generation == state.generation
            and (self._max_age is None or now - entry.built_at < self._max_age)
        )

    def get(self) -> T:
        state = self._store.current
        entry = self._entry
        if entry is not None and self._fresh(entry, state, time.monotonic()):
            return entry.value
        with self._lock:
            now = time.monotonic()
            entry = self._entry
            if entry is None or not self._fresh(entry, state, now):
                entry = _Entry(state.generation, now, self._build(state))
                self._entry = entry
            return entry.value
