"""HTTP: /metrics, the landing page, /events, /-/healthy and /-/ready. Never touches
the database.

/metrics serves the exposition rendered once per state generation (gzip when the
scraper accepts it); / renders the landing page from the same state, and /events
streams its cards as they change (exporter/serve/events.py) to the page's script /live.js.
"""

from __future__ import annotations

import base64
import binascii
import re
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from exporter.config import Config
from exporter.errors import ConfigError
from exporter.serve.cache import PerState
from exporter.serve.events import EventStreams
from exporter.serve.exposition import CONTENT_TYPE, ExpositionCache
from exporter.serve.landing import render_landing
from exporter.serve.webconfig import WebConfig
from exporter.store import Store

# The landing page loads nothing from another origin: its only style is inline, its
# only script is /live.js from this server (no inline script), which may only open
# /events here, and no other site may frame it.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; "
        "style-src 'unsafe-inline'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class BasicAuth(BaseHTTPMiddleware):
    """Every path but the health probes needs a user of the web config's basic_auth_users."""

    OPEN = frozenset({"/-/healthy", "/-/ready"})

    def __init__(self, app: object, web: WebConfig) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self._web = web

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.path not in self.OPEN:
            given = _credentials(request.headers.get("authorization", ""))
            if given is None or not self._web.check_password(*given):
                return PlainTextResponse(
                    "Unauthorized\n",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="execmetrics", charset="UTF-8"'},
                )
        return await call_next(request)


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` header (RFC 9110 §12.5.3) accepts gzip: a ``gzip``
    token with a quality above 0, or failing that a ``*`` with a quality above 0."""
    qualities: dict[str, float] = {}
    for token in header.split(","):
        coding, *params = token.split(";")
        coding = coding.strip().lower()
        if coding:
            qualities[coding] = _quality(params)
    if "gzip" in qualities:
        return qualities["gzip"] > 0
    if "x-gzip" in qualities:
        return qualities["x-gzip"] > 0
    return qualities.get("*", 0.0) > 0


_LISTEN = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})$")


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT``."""
    m = _LISTEN.match(text.strip())
    if m is None or not 0 < int(m["port"]) < 65536:
        raise ConfigError(f"--listen: expected HOST:PORT, got {text!r}")
    return (m["v6"] or m["host"], int(m["port"]))


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket for the HTTP server; a refusal becomes one line."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, reuse_port=False)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # Accepted connections inherit this on Linux. asyncio sets it only on sockets it
    # creates itself; without it a keep-alive scrape waits ~40 ms on delayed ACKs.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class LandingCache(PerState[str]):
    """The landing page, re-rendered when the state moves or its "ago" times age."""

    MAX_AGE_SECONDS = 5.0

    def __init__(self, store: Store, config: Config) -> None:
        super().__init__(store, lambda state: render_landing(state, config), self.MAX_AGE_SECONDS)


LIVE_SCRIPT = Path(__file__).resolve().parent / "static" / "live.js"


def create_app(
    store: Store,
    config: Config,
    on_startup: Callable[[], None] | None = None,
    on_shutdown: Callable[[], None] | None = None,
    web: WebConfig | None = None,
) -> Starlette:
    exposition = ExpositionCache(store, config)
    landing = LandingCache(store, config)
    streams = EventStreams(store, config)
    script = LIVE_SCRIPT.read_bytes()

    async def metrics(request: Request) -> Response:
        rendered = exposition.get()
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            return Response(
                rendered.gzipped,
                media_type=CONTENT_TYPE,
                headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
            )
        return Response(rendered.body, media_type=CONTENT_TYPE, headers={"Vary": "Accept-Encoding"})

    async def index(request: Request) -> Response:
        return HTMLResponse(landing.get(), headers=SECURITY_HEADERS)

    async def live_js(request: Request) -> Response:
        return Response(
            script,
            media_type="text/javascript; charset=utf-8",
            headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
        )

    async def events(request: Request) -> Response:
        if streams.full:
            return PlainTextResponse(
                "Too many event streams open; retry later\n",
                status_code=503,
                headers={"Retry-After": "15"},
            )
        return StreamingResponse(
            streams.stream(),
            media_type="text/event-stream",
            headers={
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",  # a proxy in front must not hold events back
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def healthy(request: Request) -> Response:
        return PlainTextResponse("Healthy\n")

    async def ready(request: Request) -> Response:
        state = store.current
        if state.ready:
            return PlainTextResponse("Ready\n")
        if state.waiting is not None:
            return PlainTextResponse(
                f"Not ready: waiting for the database: {state.waiting}\n", status_code=503
            )
        return PlainTextResponse(
            f"Not ready: waiting for the first success of {', '.join(state.unready)}\n",
            status_code=503,
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        streams.start()
        if on_startup is not None:
            on_startup()
        try:
            yield
        finally:
            streams.close()
            if on_shutdown is not None:
                on_shutdown()

    routes = [
        Route("/", index),
        Route("/metrics", metrics),
        Route("/live.js", live_js),
        Route("/events", events),
        Route("/-/healthy", healthy, methods=["GET", "HEAD"]),
        Route("/-/ready", ready, methods=["GET", "HEAD"]),
    ]
    if config.reports.enabled:
        routes += report_routes(config)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=(
            [Middleware(BasicAuth, web=web)] if web is not None and web.basic_auth_users else []
        ),
    )
    app.state.events = streams  # the server ends the streams first when it stops
    return app


def report_routes(config: Config) -> list[Route]:
    """/reports/ (the list), /reports/latest.pdf and /reports/NAME from the directory."""
    from exporter.history.report import archive

    directory = config.reports.directory

    async def listing(request: Request) -> Response:
        from exporter.serve.landing import render_reports

        return HTMLResponse(render_reports(archive.entries(directory), config))

    async def latest(request: Request) -> Response:
        path = archive.latest_pdf(directory)
        if path is None:
            return PlainTextResponse("No board report has been built yet\n", status_code=404)
        return FileResponse(path, media_type="application/pdf", filename=path.name)

    async def one(request: Request) -> Response:
        path = archive.resolve(directory, request.path_params["name"])
        if path is None:
            return PlainTextResponse("Not found\n", status_code=404)
        kind = "application/pdf" if path.suffix == ".pdf" else "text/csv; charset=utf-8"
        return FileResponse(path, media_type=kind, filename=path.name)

    return [
        Route("/reports/", listing),
        Route("/reports/latest.pdf", latest),
        Route("/reports/{name}", one),
    ]
