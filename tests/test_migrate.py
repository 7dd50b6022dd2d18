"""migrate: recorded versions, idempotence, settings-driven rebuilds, least privilege."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from exporter.config import parse_config
from exporter.errors import SchemaError
from exporter.migrate import ensure_schema, migrate
from exporter.sqlfiles import read_sql
from tests.support import MIGRATIONS, SCHEMA_VERSION


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def test_versions_are_recorded_and_a_second_run_changes_nothing(db_url: str) -> None:
    config = parse_config({})
    first = migrate(db_url, config, create_source_tables=True)
    assert first.created_reference_tables and first.rebuilt_views
    assert first.applied == [f"V{v:03d}__{name}.sql" for v, name in MIGRATIONS]
    second = migrate(db_url, config)
    assert not second.created_reference_tables
    assert second.applied == [] and not second.rebuilt_views
    assert second.version == first.version == SCHEMA_VERSION
    versions = _rows(db_url, "SELECT version, name FROM execmetrics.schema_migrations")
    assert versions == MIGRATIONS


def test_new_settings_rebuild_the_view_layer(db_url: str) -> None:
    migrate(db_url, parse_config({}), create_source_tables=True)
    assert ensure_schema(db_url, parse_config({})) is None
    london = parse_config({"reporting": {"timezone": "Europe/London"}})
    with pytest.raises(SchemaError) as refused:  # only migrate changes the schema
        ensure_schema(db_url, london)
    assert "reporting.timezone UTC (config: Europe/London)" in str(refused.value)
    rebuilt = migrate(db_url, london)
    assert rebuilt.rebuilt_views
    assert rebuilt.changed_settings == ["reporting.timezone UTC -> Europe/London"]
    assert _rows(db_url, "SELECT reporting_timezone FROM execmetrics.settings") == [
        ("Europe/London",)
    ]
    assert ensure_schema(db_url, london) is None


def test_existing_source_tables_are_never_altered(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        conn.execute(read_sql("reference/source_tables.sql"))
        conn.execute("ALTER TABLE suppliers ADD COLUMN note text")
    result = migrate(db_url, parse_config({}))
    assert not result.created_reference_tables
    columns = _rows(
        db_url,
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = 'suppliers' ORDER BY ordinal_position",
    )
    assert [c[0] for c in columns][-1] == "note"


def test_missing_contract_columns_are_named(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        for table in ("couples", "subscriptions", "fx_rates", "user_sessions", "invitations"):
            conn.execute(sql.SQL("CREATE TABLE {} (id bigint)").format(sql.Identifier(table)))
        conn.execute("CREATE TABLE suppliers (id bigint, created_at timestamptz)")
    with pytest.raises(SchemaError) as caught:
        migrate(db_url, parse_config({}))
    assert "public.suppliers lacks the column(s) deleted_at, category, country" in str(caught.value)


@pytest.fixture
def limited_owner_url(pg_server_url: str) -> Iterator[str]:
    """A database owned by a role with no CREATEROLE and no superuser right."""
    role = f"exporter_{uuid.uuid4().hex[:8]}"
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOCREATEROLE").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(role)
            )
        )
    try:
        yield psycopg.conninfo.make_conninfo(pg_server_url, dbname=name, user=role)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_an_owner_without_createrole_can_migrate(limited_owner_url: str) -> None:
    result = migrate(limited_owner_url, parse_config({}), create_source_tables=True)
    assert result.rebuilt_views
    owner = _rows(
        limited_owner_url,
        "SELECT current_user, rolcreaterole, rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    assert owner[0][1:] == (False, False)
    assert _rows(limited_owner_url, "SELECT count(*) FROM execmetrics.daily_metrics") == [(0,)]
