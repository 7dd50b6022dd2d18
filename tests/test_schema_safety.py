"""Only migrate changes the schema (SPEC §5), and it touches only what it created.

Every other command reads: on a schema that is missing, behind or built for other
settings it stops saying to run migrate. migrate refuses a schema holding objects it
did not create, and creates source tables only when asked.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from exporter.config import parse_config
from exporter.db import Database
from exporter.engine import Engine
from exporter.errors import SchemaError
from exporter.groups import GROUPS
from exporter.migrate import ensure_schema, migrate
from exporter.sqlfiles import read_sql
from tests.support import load, schema_objects, sub


def _exec(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def test_migrate_refuses_a_schema_holding_objects_it_did_not_create(db_url: str) -> None:
    _exec(db_url, read_sql("reference/source_tables.sql"))
    _exec(db_url, "CREATE SCHEMA execmetrics")
    _exec(db_url, "CREATE TABLE execmetrics.ledger (id int)")
    _exec(db_url, "CREATE VIEW execmetrics.platform_report AS SELECT 1 AS x")
    before = schema_objects(db_url)
    with pytest.raises(SchemaError) as caught:
        migrate(db_url, parse_config({}))
    message = str(caught.value)
    assert "holds objects migrate did not create" in message
    assert "table ledger" in message and "view platform_report" in message
    assert schema_objects(db_url) == before  # nothing dropped, nothing created


def test_an_object_added_after_migrate_is_never_dropped(db_url: str) -> None:
    migrate(db_url, parse_config({}), create_source_tables=True)
    _exec(db_url, "CREATE VIEW execmetrics.someone_elses AS SELECT 1 AS x")
    with pytest.raises(SchemaError, match="view someone_elses"):
        migrate(db_url, parse_config({"reporting": {"timezone": "Europe/London"}}))
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT x FROM execmetrics.someone_elses").fetchone() == (1,)


def test_an_empty_exporter_schema_is_adopted(db_url: str) -> None:
    _exec(db_url, "CREATE SCHEMA execmetrics")
    result = migrate(db_url, parse_config({}), create_source_tables=True)
    assert result.rebuilt_views


def test_a_schema_from_before_ownership_was_recorded_is_upgraded(db_url: str) -> None:
    migrate(db_url, parse_config({}), create_source_tables=True)
    _exec(db_url, "DROP TABLE execmetrics.owned_objects")
    result = migrate(db_url, parse_config({}), force_views=True)
    assert result.rebuilt_views
    ensure_schema(db_url, parse_config({}))


def test_source_tables_are_created_only_when_asked(db_url: str) -> None:
    before = schema_objects(db_url)
    with pytest.raises(SchemaError) as caught:
        migrate(db_url, parse_config({}))
    assert "source schema 'public' holds none of the source tables" in str(caught.value)
    assert schema_objects(db_url) == before
    typo = parse_config({"source": {"schema": "pubic"}})
    with pytest.raises(SchemaError) as caught:
        migrate(db_url, typo, create_source_tables=False)
    assert "'pubic' does not exist" in str(caught.value)
    assert "suppliers, couples, subscriptions" in str(caught.value)
    assert schema_objects(db_url) == before


def test_a_wrong_column_type_names_the_table_and_column(db_url: str) -> None:
    _exec(db_url, read_sql("reference/source_tables.sql"))
    _exec(db_url, "ALTER TABLE subscriptions ALTER COLUMN amount_minor TYPE text")
    with pytest.raises(SchemaError) as caught:
        migrate(db_url, parse_config({}))
    assert "public.subscriptions.amount_minor has type text, expected bigint" in str(caught.value)


def test_collect_refuses_a_schema_built_for_other_settings(db_url: str) -> None:
    gbp, eur = parse_config({}), parse_config({"reporting": {"currency": "EUR"}})
    migrate(db_url, gbp, create_source_tables=True)
    before = schema_objects(db_url)
    with pytest.raises(SchemaError) as caught:
        ensure_schema(db_url, eur)
    assert "reporting.currency GBP (config: EUR)" in str(caught.value)
    assert "run `execmetrics migrate`" in str(caught.value)
    ensure_schema(db_url, gbp)
    assert schema_objects(db_url) == before


def test_a_running_engine_stops_when_another_config_migrates(db_url: str) -> None:
    """A replica started with GBP keeps its last values instead of publishing EUR
    figures under the GBP label once someone migrates the schema for EUR."""
    gbp, eur = parse_config({}), parse_config({"reporting": {"currency": "EUR"}})
    migrate(db_url, gbp, create_source_tables=True)
    load(db_url, subscriptions=[sub(1, 1, amount_minor=1000)])
    at = datetime(2024, 6, 1, tzinfo=UTC)
    with Database(db_url, gbp, max_size=2) as db:
        engine = Engine(db, gbp, GROUPS)
        revenue = next(g for g in GROUPS if g.name == "revenue")
        assert engine.run_group(revenue, at).error is None
        migrate(db_url, eur)
        snapshot = engine.run_group(revenue, at)
    assert snapshot.error is not None and "migrated with other settings" in snapshot.error
    assert snapshot.samples == ()


def test_behind_and_outdated_view_layers_are_refused(db_url: str) -> None:
    cfg = parse_config({})
    migrate(db_url, cfg, create_source_tables=True)
    _exec(db_url, "UPDATE execmetrics.view_layer SET checksum = 'old'")
    with pytest.raises(SchemaError, match="outdated view layer"):
        ensure_schema(db_url, cfg)
    migrate(db_url, cfg)
    _exec(db_url, "DELETE FROM execmetrics.schema_migrations")
    with pytest.raises(SchemaError, match="is behind"):
        ensure_schema(db_url, cfg)
