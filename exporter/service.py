"""Library entry points behind the CLI commands (tests call these too)."""

from __future__ import annotations

import logging
import re
import socket
from dataclasses import dataclass
from datetime import datetime

import psycopg

from exporter.config import Config
from exporter.db import Database, connect, describe
from exporter.engine import Engine
from exporter.errors import ConfigError, DatabaseError
from exporter.exposition import render
from exporter.groups import GROUPS
from exporter.migrate import MigrationResult, migrate, schema_status
from exporter.store import Store

log = logging.getLogger("execmetrics")

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


def ensure_schema(url: str, config: Config) -> MigrationResult | None:
    """Migrate when the exporter's schema is missing or behind; None when it was current."""
    with connect(url, config) as conn:
        try:
            status = schema_status(conn, config)
        except psycopg.Error as exc:
            raise DatabaseError(describe(exc)) from None
    if status is None:
        return None
    log.info("%s: migrating", status)
    return migrate(url, config)


@dataclass(frozen=True)
class Collected:
    exposition: bytes
    errors: dict[str, str]


def collect(url: str, config: Config, at: datetime | None) -> Collected:
    """Compute every group once at ``at`` and render the exposition text."""
    ensure_schema(url, config)
    store = Store(tuple(g.name for g in GROUPS))
    with Database(url, config, max_size=len(GROUPS)) as db:
        for snapshot in Engine(db, config).run_all(at).values():
            store.publish_group(snapshot)
    state = store.current
    errors = {
        name: g.last_run.error
        for name, g in state.groups.items()
        if g.last_run is not None and g.last_run.error is not None
    }
    return Collected(render(state, config), errors)


def serve(url: str, config: Config, listen: tuple[str, int] | None = None) -> None:
    """Run the scheduler and the HTTP server until interrupted."""
    import uvicorn

    from exporter.http import create_app
    from exporter.scheduler import MetricScheduler

    host, port = listen or (config.http.listen_address, config.http.port)
    sock = listen_socket(host, port)
    ensure_schema(url, config)
    db = Database(url, config, max_size=max(config.database.pool_max_size, len(GROUPS) + 1))
    db.open()
    store = Store(tuple(g.name for g in GROUPS))
    scheduler = MetricScheduler(Engine(db, config), db, store, config)

    def started() -> None:
        scheduler.start()
        shown = f"[{host}]" if ":" in host else host
        log.info("serving on http://%s:%d/ (metrics at /metrics)", shown, port)

    def stopping() -> None:
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
