"""Library entry points behind the CLI commands (tests call these too)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from exporter.config import Config
from exporter.db import CONCURRENT_JOBS, Database
from exporter.engine import Engine, evaluate
from exporter.exposition import render
from exporter.groups import GROUPS
from exporter.http import listen_socket
from exporter.migrate import require_current
from exporter.store import Store

log = logging.getLogger("execmetrics")


def ensure_schema(url: str, config: Config) -> None:
    """Stop with a SchemaError (exit 4) saying to run migrate unless the exporter's schema
    is migrated, current and built for this config. Never changes the schema (SPEC §5)."""
    require_current(url, config)


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


def serve(url: str, config: Config, listen: tuple[str, int] | None = None) -> None:
    """Run the scheduler and the HTTP server until interrupted."""
    import uvicorn

    from exporter.http import create_app
    from exporter.scheduler import MetricScheduler

    host, port = listen or (config.http.listen_address, config.http.port)
    sock = listen_socket(host, port)
    ensure_schema(url, config)
    db = Database(url, config, max_size=max(config.database.pool_max_size, CONCURRENT_JOBS))
    db.open()
    store = Store(tuple(g.name for g in GROUPS))
    scheduler = MetricScheduler(Engine(db, config), db, store, config)
    reports = None
    if config.reports.enabled:
        from exporter.report.jobs import ReportJobs

        reports = ReportJobs(url, config, store)

    def started() -> None:
        scheduler.start()
        if reports is not None:
            reports.schedule(scheduler.scheduler)
        shown = f"[{host}]" if ":" in host else host
        log.info("serving on http://%s:%d/ (metrics at /metrics)", shown, port)

    def stopping() -> None:
        if reports is not None:
            reports.stop()
        scheduler.stop()
        db.close()

    app = create_app(store, config, on_startup=started, on_shutdown=stopping)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="on"
        )
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        if scheduler.scheduler.running:
            stopping()
