"""The exporter's roles (sql/views/90_roles.sql): execmetrics_compute reads the source
tables and writes nothing, yet refreshes the views through the lease functions;
grafana_reader gets its own timeouts and, on a dedicated database, no temp tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

from exporter import contract
from exporter.config import parse_config
from exporter.db import Database
from exporter.migrate import migrate
from exporter.refresh import refresh_views
from exporter.sqlfiles import read_sql
from tests.support import TABLES

COMPUTE = "execmetrics_compute"
READER = "grafana_reader"
CONFIG = parse_config({})


@pytest.fixture
def db(db_url: str) -> str:
    migrate(db_url, CONFIG, create_source_tables=True)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.platform_secrets (id int)")
    return db_url


@contextmanager
def login_as(url: str, role: str) -> Iterator[str]:
    """Let ``role`` log in (trust auth on the test server) for the block; its URL."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        yield psycopg.conninfo.make_conninfo(url, user=role)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(role)))


def refused(url: str, statement: str, *, read_write: bool = True) -> str:
    """Run ``statement``; the error it must raise (permission or read-only)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path = execmetrics, public")
        with pytest.raises(psycopg.Error) as caught, conn.transaction():
            if read_write:
                conn.execute("SET TRANSACTION READ WRITE")
            conn.execute(statement)
    return str(caught.value)


def test_compute_reads_source_tables_and_is_read_only_by_default(db: str) -> None:
    with login_as(db, COMPUTE) as url, psycopg.connect(url) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        for table in TABLES:
            conn.execute(sql.SQL("SELECT count(*) FROM public.{}").format(sql.Identifier(table)))
        conn.execute("SELECT count(*) FROM execmetrics.daily_metrics")
        conn.rollback()
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TEMP TABLE t (i int)")


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO public.suppliers (id, created_at, category) VALUES (1, now(), 'x')",
        "DELETE FROM public.invitations",
        "UPDATE public.fx_rates SET rate = 1",
        "SELECT * FROM public.platform_secrets",
        "CREATE TABLE execmetrics.mine (i int)",
        "CREATE TABLE public.mine (i int)",
        "DROP TABLE execmetrics.daily_metrics",
        "DELETE FROM execmetrics.daily_metrics",
        "SELECT execmetrics.refresh_session_rollups(true)",
        "UPDATE execmetrics.refresh_lease SET claimed_at = now()",
        "INSERT INTO execmetrics.settings DEFAULT VALUES",
    ],
)
def test_compute_is_refused(db: str, statement: str) -> None:
    with login_as(db, COMPUTE) as url:
        message = refused(url, statement)
    assert "permission denied" in message or "must be owner" in message, message


def test_compute_refreshes_through_the_lease_functions(db: str) -> None:
    with login_as(db, COMPUTE) as url, Database(url, CONFIG) as database:
        record = refresh_views(database, CONFIG, holder="test:1:a")
        again = refresh_views(database, CONFIG, holder="test:2:b")
    assert record.error is None and not record.skipped, record
    assert again.error is None and again.skipped  # the lease is fresh: the second skips
    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT holder, refreshes FROM execmetrics.refresh_lease").fetchone()
    assert row == ("test:1:a", 1)


def test_refresh_without_the_lease_does_nothing(db: str) -> None:
    with login_as(db, COMPUTE) as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path = execmetrics, public")
        with conn.transaction():
            conn.execute("SET TRANSACTION READ WRITE")
            got = conn.execute(read_sql("refresh/views.sql"), {"holder": "nobody"}).fetchone()
    assert got == (False,)


def test_grafana_reader_has_its_own_timeouts(db: str) -> None:
    with login_as(db, READER) as url, psycopg.connect(url) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("30s",)
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone() == ("1min",)


def test_grafana_reader_gets_no_temp_tables_on_a_dedicated_database(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as owner:
        owner.execute(read_sql("roles/dedicated_database.sql"))
    with login_as(db, READER) as url:
        message = refused(url, "CREATE TEMP TABLE scratch (i int)")
    assert "permission denied to create temporary tables" in message


def test_grafana_reader_is_refused_writes_and_ddl(db: str) -> None:
    with login_as(db, READER) as url:
        for statement in (
            "CREATE TABLE execmetrics.mine (i int)",
            "INSERT INTO public.suppliers (id, created_at, category) VALUES (1, now(), 'x')",
            "SELECT claim_refresh_lease('me', 1)",
        ):
            message = refused(url, statement)
            assert "permission denied" in message, (statement, message)


def test_compute_may_read_exactly_the_contract_tables_of_the_source_schema(db: str) -> None:
    with psycopg.connect(db) as conn:
        granted = {
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.role_table_grants"
                " WHERE grantee = %s AND table_schema = 'public' AND privilege_type = 'SELECT'",
                (COMPUTE,),
            )
        }
        others = conn.execute(
            "SELECT count(*) FROM information_schema.role_table_grants"
            " WHERE grantee = %s AND privilege_type <> 'SELECT'",
            (COMPUTE,),
        ).fetchone()
    assert granted == {t.name.value for t in contract.TABLES}
    assert others == (0,)


def test_compute_listens_for_the_change_triggers(db: str) -> None:
    """serve's change listener runs as the read-only role (exporter/serve/changes.py)."""
    migrate(db, CONFIG, notify=True)
    with login_as(db, COMPUTE) as url, psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        conn.execute("LISTEN execmetrics_changes")
        with psycopg.connect(db, autocommit=True) as platform:
            platform.execute("DELETE FROM public.subscriptions")
        assert [n.payload for n in conn.notifies(timeout=1.0)] == ["subscriptions"]
    trigger = (
        "CREATE TRIGGER mine AFTER INSERT ON public.suppliers"
        " FOR EACH STATEMENT EXECUTE FUNCTION execmetrics.notify_source_change()"
    )
    with login_as(db, COMPUTE) as url:
        assert "permission denied" in refused(url, trigger)
