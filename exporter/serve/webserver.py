"""The uvicorn server behind ``serve``, hardened for an open network.

* SIGTERM and SIGINT stop it cleanly and the process exits 0 (uvicorn re-raises the
  signal after its shutdown, which makes the exit status 143).
* Header timeout: a connection must complete its request headers within
  ``http.header_timeout_seconds`` of connecting, or of its previous response; a
  half-open or trickling client is closed silently (uvicorn has no such timeout).
* Idle timeout: ``http.idle_timeout_seconds`` between keep-alive requests
  (uvicorn's ``timeout_keep_alive``).
* Connection cap: beyond ``http.max_connections`` open connections a new one is
  closed at once, before any file descriptor or task piles up; scrapers below the
  cap are unaffected. The process's open-file limit is raised to fit the cap. The
  long-lived /events streams count against it and have a smaller cap of their own
  (``http.max_event_streams``), so open browsers never use up the scrapers' share.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
from collections.abc import Callable, Generator
from contextlib import contextmanager
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

log = logging.getLogger("execmetrics")

# File descriptors beyond the connection cap: the listener, the pool, logs, TLS files.
_FD_MARGIN = 256


def fit_open_files(max_connections: int) -> int:
    """Raise the soft open-file limit to fit the cap; the cap the limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + _FD_MARGIN
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        allowed = max(16, soft - _FD_MARGIN)
        log.warning(
            "open-file limit %d is too low for http.max_connections %d: capping at %d",
            soft,
            max_connections,
            allowed,
        )
        return allowed
    return max_connections


def guarded_protocol(header_timeout: float, max_connections: int) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol with a header timeout and a connection cap."""

    class Guarded(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
        _header_timer: asyncio.TimerHandle | None = None
        _accepted = False

        def connection_made(self, transport: Any) -> None:
            if len(self.connections) >= max_connections:
                transport.abort()  # over the cap: no state kept, nothing logged
                return
            self._accepted = True
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            armed = self.cycle
            self._header_timer = self.loop.call_later(header_timeout, self._expire, armed)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _expire(self, armed: object) -> None:
            # Still no new request since the timer was armed: close silently.
            if self.cycle is armed and not self.transport.is_closing():
                self.transport.abort()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._accepted:
                super().connection_lost(exc)

    return Guarded


class Server(uvicorn.Server):
    """A signal ends the server and the process exits normally (status 0).

    ``before_shutdown`` hooks run first when it stops: the /events streams end there,
    since uvicorn then waits for every open response to finish.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.before_shutdown: list[Callable[[], None]] = []

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for hook in self.before_shutdown:
            hook()
        await super().shutdown(sockets)

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with super().capture_signals():
            try:
                yield
            finally:
                # uvicorn re-raises captured signals once its handlers are restored.
                self._captured_signals.clear()
