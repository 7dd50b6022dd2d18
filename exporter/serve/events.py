"""``/events``: the landing page's cards (and computation table) as Server-Sent
Events, live in the browser.

One event per new set of values (a state that reads as before sends nothing), its
data the JSON of ``landing.live_values``; the first event of a stream is the current
values, preceded by a ``retry:`` hint so that the browser's
EventSource reconnects within a few seconds after the server restarts. A comment line
every ``KEEPALIVE_SECONDS`` keeps proxies from closing a quiet stream and finds
clients that went away.

A stream is a long-lived connection: it counts against ``http.max_connections`` like
any other, and at most ``http.max_event_streams`` are open at once (beyond that,
503 with Retry-After), so that browsers can never crowd out the scrapers. When the
server shuts down every stream ends at once (``close``), before uvicorn waits for
open responses to finish.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

from exporter.config import Config
from exporter.serve.landing import live_values
from exporter.store import Store

RETRY_MILLISECONDS = 3000
KEEPALIVE_SECONDS = 15.0


class EventStreams:
    """Watches the store from one thread and wakes every open stream on new values."""

    def __init__(self, store: Store, config: Config) -> None:
        self._store = store
        self._config = config
        self.max_streams = config.http.max_event_streams
        self.open_streams = 0
        self._version = 0
        self._data = self._encode(live_values(store.current, config))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _encode(values: dict[str, Any]) -> str:
        return json.dumps(values, ensure_ascii=False, separators=(",", ":"))

    def start(self) -> None:
        """Begin watching (from the server's event loop, at startup)."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._thread = threading.Thread(target=self._watch, name="execmetrics-events", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        state = self._store.current
        while not self._closing.is_set():
            state = self._store.wait_for(state.generation, timeout=1.0)
            data = self._encode(live_values(state, self._config))
            if data != self._data and self._loop is not None:
                try:
                    self._loop.call_soon_threadsafe(self._publish, data)
                except RuntimeError:  # the loop has closed: the server is gone
                    return

    def _publish(self, data: str) -> None:
        self._data = data
        self._version += 1
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    def close(self) -> None:
        """End every stream now and stop watching (idempotent; from the event loop). The
        watching thread sees it within a second and ends."""
        self._closing.set()
        if self._changed is not None:
            self._changed.set()

    @property
    def full(self) -> bool:
        return self.open_streams >= self.max_streams

    async def stream(self) -> AsyncIterator[str]:
        """The text of one client's stream, until it goes away or the server stops."""
        self.open_streams += 1
        try:
            sent = -1
            yield f"retry: {RETRY_MILLISECONDS}\n\n"
            while not self._closing.is_set():
                if sent != self._version:
                    sent = self._version
                    yield f"id: {sent}\ndata: {self._data}\n\n"
                    continue
                changed = self._changed
                if changed is None:
                    return
                try:
                    await asyncio.wait_for(changed.wait(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            self.open_streams -= 1
