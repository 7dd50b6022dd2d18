"""HTTP: /metrics, the landing page, /-/healthy and /-/ready. Never touches the database.

/metrics serves the exposition rendered once per state generation (gzip when the
scraper accepts it); / renders the landing page from the same state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from exporter.config import Config
from exporter.exposition import CONTENT_TYPE, ExpositionCache
from exporter.landing import render_landing
from exporter.store import Store


class LandingCache:
    """The landing page, re-rendered when the state moves or at most every 5 s."""

    def __init__(self, store: Store, config: Config) -> None:
        self._store = store
        self._config = config
        self._lock = threading.Lock()
        self._cached: tuple[int, float, str] | None = None

    def get(self) -> str:
        state = self._store.current
        now = time.monotonic()
        cached = self._cached
        if cached is not None and cached[0] == state.generation and now - cached[1] < 5:
            return cached[2]
        with self._lock:
            html = render_landing(state, self._config)
            self._cached = (state.generation, now, html)
            return html


def create_app(
    store: Store,
    config: Config,
    on_startup: Callable[[], None] | None = None,
    on_shutdown: Callable[[], None] | None = None,
) -> Starlette:
    exposition = ExpositionCache(store, config)
    landing = LandingCache(store, config)

    async def metrics(request: Request) -> Response:
        rendered = exposition.get()
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(
                rendered.gzipped,
                media_type=CONTENT_TYPE,
                headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
            )
        return Response(rendered.body, media_type=CONTENT_TYPE)

    async def index(request: Request) -> Response:
        return HTMLResponse(landing.get())

    async def healthy(request: Request) -> Response:
        return PlainTextResponse("Healthy\n")

    async def ready(request: Request) -> Response:
        state = store.current
        if state.ready:
            return PlainTextResponse("Ready\n")
        waiting = sorted(n for n, g in state.groups.items() if g.good is None)
        return PlainTextResponse(
            f"Not ready: waiting for the first success of {', '.join(waiting)}\n",
            status_code=503,
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if on_startup is not None:
            on_startup()
        try:
            yield
        finally:
            if on_shutdown is not None:
                on_shutdown()

    return Starlette(
        routes=[
            Route("/", index),
            Route("/metrics", metrics),
            Route("/-/healthy", healthy, methods=["GET", "HEAD"]),
            Route("/-/ready", ready, methods=["GET", "HEAD"]),
        ],
        lifespan=lifespan,
    )
