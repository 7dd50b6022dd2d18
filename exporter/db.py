"""Connections to the platform's database, and the translation of driver errors.

One pool per process; every connection reads with ``search_path`` set to the
exporter's schema then the source schema, so SQL files use unqualified names.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator

import psycopg
import psycopg.errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from exporter.config import Config
from exporter.errors import ConfigError, DatabaseError
from exporter.redaction import connection_string_error, redact, remember_url
from exporter.vocabulary import FORECAST_JOBS, GroupName

# The jobs that may read at once: one per SQL metric group, the forecast's passes, and
# the view refresh.
CONCURRENT_JOBS = sum(1 for g in GroupName if g.sql) + FORECAST_JOBS + 1


# Waits between attempts to reach the database (start-up, the change listener, a
# failed refresh): 1 s, 2 s, 4 s … capped.
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0


def backoff(attempt: int) -> float:
    """The wait after failed attempt number ``attempt`` (1-based): doubling, capped."""
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** max(0, attempt - 1))


def check_url(url: str) -> str:
    """Refuse a connection string libpq cannot parse: a config error, the password never
    shown (libpq quotes the token it chokes on, which may be the password itself)."""
    remember_url(url)
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise ConfigError(f"database URL: {connection_string_error(str(exc))}") from None
    return url


def describe(exc: BaseException) -> str:
    """One line for a database error: no traceback, no secret."""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "query canceled"
        kind = "statement timeout" if "timeout" in first else "query canceled"
        return f"{kind}: {redact(first)}"
    if isinstance(exc, PoolTimeout):
        return "database unreachable: no connection could be made in time"
    if isinstance(exc, psycopg.OperationalError):
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        detail = next(
            (ln for ln in reversed(lines) if "FATAL" in ln or "failed" in ln),
            lines[-1] if lines else type(exc).__name__,
        )
        return f"database unreachable: {redact(detail)}"
    if isinstance(exc, psycopg.Error):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"database error: {redact(first)}"
    return redact(f"{type(exc).__name__}: {exc}")


def timeout_ms(seconds: float) -> int:
    """A statement_timeout in milliseconds, rounded up: never 0, which means no limit."""
    return max(1, math.ceil(seconds * 1000))


def search_path(config: Config) -> str:
    ident = sql.Identifier
    return (
        sql.SQL("{}, {}")
        .format(ident(config.exporter_schema), ident(config.source_schema))
        .as_string(None)
    )


def connect(url: str, config: Config, *, autocommit: bool = False) -> psycopg.Connection:
    """A single connection (CLI commands); raises DatabaseError on failure."""
    check_url(url)
    try:
        conn = psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=max(1, int(config.database.connect_timeout_seconds)),
            application_name="execmetrics",
        )
    except psycopg.Error as exc:
        raise DatabaseError(describe(exc)) from None
    return conn


class Database:
    """A connection pool configured for the exporter's queries."""

    def __init__(self, url: str, config: Config, *, max_size: int | None = None) -> None:
        self._config = config
        self._search_path = search_path(config)
        self._timeout_ms = timeout_ms(config.database.statement_timeout_seconds)
        check_url(url)
        size = max_size or config.database.pool_max_size
        self.pool = ConnectionPool(
            url,
            # One connection per concurrent job from the start: groups never wait for
            # the pool to grow.
            min_size=min(size, CONCURRENT_JOBS),
            max_size=size,
            kwargs={
                "connect_timeout": max(1, int(config.database.connect_timeout_seconds)),
                "application_name": "execmetrics",
                "autocommit": True,
            },
            configure=self._configure,
            timeout=config.database.connect_timeout_seconds,
            open=False,
            name="execmetrics",
        )
        # The connections inside reading(), so that stop() can cancel their statements.
        self._reading: set[psycopg.Connection] = set()
        self._reading_lock = threading.Lock()
        self._stopping = False

    def _configure(self, conn: psycopg.Connection) -> None:
        conn.execute("SELECT set_config('search_path', %s, false)", (self._search_path,))
        conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(self._timeout_ms),))
        # JIT compilation costs more than these queries save (400 ms on an empty schema).
        conn.execute("SELECT set_config('jit', 'off', false)")

    def open(self, wait: bool = True) -> Database:
        try:
            self.pool.open(wait=wait, timeout=self._config.database.connect_timeout_seconds)
        except (PoolTimeout, psycopg.Error) as exc:
            self.pool.close()
            raise DatabaseError(describe(exc)) from None
        return self

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Database:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def reading(self) -> Iterator[psycopg.Connection]:
        """A connection inside one read-only, repeatable-read transaction: every query
        of a group sees the same state of the data."""
        with self.pool.connection() as conn:
            with self._reading_lock:
                if self._stopping:
                    raise DatabaseError("not read: the exporter is stopping")
                self._reading.add(conn)
            try:
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try:
                    yield conn
                finally:
                    if not conn.closed:
                        conn.execute("ROLLBACK")
            finally:
                with self._reading_lock:
                    self._reading.discard(conn)

    def stop_reading(self) -> None:
        """Cancel the statements in flight inside reading() and refuse new reads: a
        stopping exporter does not wait for a long read (the forecast's first refit, a
        backfill's pass) to finish. Their runs end with a "query canceled" error; the
        writes of connection() are left to finish."""
        with self._reading_lock:
            self._stopping = True
            busy = list(self._reading)
        for conn in busy:
            with contextlib.suppress(psycopg.Error):
                conn.cancel_safe(timeout=max(1.0, self._config.database.connect_timeout_seconds))

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """An autocommit connection (refreshes, health checks)."""
        with self.pool.connection() as conn:
            yield conn
