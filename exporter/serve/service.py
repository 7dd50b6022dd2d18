"""Library entry points behind the CLI commands (tests call these too)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import uvicorn

from exporter.config import Config
from exporter.engine import evaluate
from exporter.errors import DatabaseError
from exporter.groups import GROUPS
from exporter.migrate import ensure_schema
from exporter.serve.exposition import render
from exporter.serve.http import listen_socket
from exporter.store import Store
from exporter.vocabulary import GroupName

log = logging.getLogger("execmetrics")


@dataclass(frozen=True)
class Collected:
    exposition: bytes
    errors: dict[str, str]


def collect(url: str, config: Config, at: datetime | None) -> Collected:
    """Compute every group once at ``at`` and render the exposition text."""
    ensure_schema(url, config)
    evaluation = evaluate(url, config, at)
    store = Store(tuple(g.name for g in GROUPS))
    for snapshot in evaluation.snapshots.values():
        store.publish_group(snapshot)
    return Collected(render(store.current, config), evaluation.errors)


def serve(
    url: str,
    config: Config,
    listen: tuple[str, int] | None = None,
    web_config: Path | None = None,
) -> None:
    """Run the scheduler and the HTTP server until SIGTERM or SIGINT (then return).

    When the database is unreachable at start the server still listens (healthy, not
    ready) and the backend retries; every other start-up problem raises at once.
    """
    from exporter.serve.backend import Backend
    from exporter.serve.http import create_app
    from exporter.serve.webconfig import load_web_config
    from exporter.serve.webserver import Server, fit_open_files, guarded_protocol

    web = load_web_config(web_config) if web_config is not None else None
    host, port = listen or (config.http.listen_address, config.http.port)
    sock = listen_socket(host, port)
    store = Store((*(g.name for g in GROUPS), GroupName.FORECAST))
    reports = None
    if config.reports.enabled:
        from exporter.history.report.jobs import ReportJobs

        reports = ReportJobs(url, config, store)
    backend = Backend(url, config, store, prepare=lambda: ensure_schema(url, config))
    if reports is not None:
        backend.on_started = lambda scheduler: reports.schedule(scheduler.scheduler)
    try:
        backend.connect()
    except DatabaseError as exc:
        store.publish_waiting(str(exc))
        log.warning("%s; serving /-/healthy and retrying", exc)
    except BaseException:
        sock.close()
        raise
    scheme = "https" if web is not None and web.tls_server_config is not None else "http"

    def started() -> None:
        backend.start()
        shown = f"[{host}]" if ":" in host else host
        log.info("serving on %s://%s:%d/ (metrics at /metrics)", scheme, shown, port)
        if host in ("0.0.0.0", "::"):
            log.warning(
                "listening on every interface (%s): meant for a container's own network,"
                " published on 127.0.0.1 by the host; elsewhere use 127.0.0.1 or --web-config",
                shown,
            )

    def stopping() -> None:
        if reports is not None:
            reports.stop()
        backend.stop()

    app = create_app(store, config, on_startup=started, on_shutdown=stopping, web=web)
    max_connections = fit_open_files(config.http.max_connections)
    tls: dict[str, object] = {}
    if web is not None and web.tls_server_config is not None:
        tls = web.tls_server_config.uvicorn_options()
    server = Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            http=guarded_protocol(config.http.header_timeout_seconds, max_connections),
            timeout_keep_alive=config.http.idle_timeout_seconds,
            server_header=False,
            **tls,  # type: ignore[arg-type]
        )
    )
    server.before_shutdown.append(app.state.events.close)
    backend.on_fatal = lambda exc: setattr(server, "should_exit", True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        backend.stop()
    if backend.fatal is not None:
        raise backend.fatal
