"""Create or upgrade the exporter's schema, idempotently and with a recorded version.

Order, in one transaction under an advisory lock (two replicas starting at once wait
for each other):

1. the source contract: when none of the six source tables exist in
   ``source.schema``, create the reference tables (demos and tests); when only some
   exist, fail naming the missing ones; an existing source table is never altered;
2. versioned migrations ``sql/migrations/V<n>__<name>.sql``, each applied once and
   recorded in ``schema_migrations`` with its checksum;
3. the settings row, from the config;
4. the view layer ``sql/views/*.sql`` (views, materialized views, reader grants),
   rebuilt only when its files or the settings changed.

Why not a migration library: the work is ~100 lines of plain SQL files run in order,
and the view layer must be rebuilt from the config's schema names and settings, which
yoyo and alembic do not model; a hand-written runner keeps it one transaction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from exporter.config import Config
from exporter.contract import TABLES
from exporter.db import connect, describe, search_path
from exporter.errors import DatabaseError, SchemaError
from exporter.sqlfiles import read_sql, sql_files

SOURCE_TABLES: dict[str, tuple[str, ...]] = {t.name.value: t.column_names for t in TABLES}

_VERSIONED = re.compile(r"^V(?P<version>\d+)__(?P<name>[a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x6578656D  # "exem"


@dataclass
class MigrationResult:
    created_reference_tables: bool = False
    applied: list[str] = field(default_factory=list)
    rebuilt_views: bool = False
    version: int = 0


def _checksum(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _existing_columns(conn: psycopg.Connection, schema: str) -> dict[str, set[str]]:
    rows = conn.execute(
        """
        SELECT c.table_name, c.column_name
        FROM information_schema.columns AS c
        WHERE c.table_schema = %s AND c.table_name = ANY(%s)
        """,
        (schema, list(SOURCE_TABLES)),
    ).fetchall()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return found


def check_source(conn: psycopg.Connection, config: Config) -> bool:
    """Validate the source contract; True when no source table exists yet."""
    found = _existing_columns(conn, config.source_schema)
    if not found:
        return True
    missing = [t for t in SOURCE_TABLES if t not in found]
    if missing:
        raise SchemaError(
            f"source schema {config.source_schema!r} lacks the table(s) {', '.join(missing)} "
            f"(it has {', '.join(sorted(found))})"
        )
    for table, columns in SOURCE_TABLES.items():
        absent = [c for c in columns if c not in found[table]]
        if absent:
            raise SchemaError(
                f"source table {config.source_schema}.{table} lacks the column(s) "
                f"{', '.join(absent)}"
            )
    return False


def _set_search_path(conn: psycopg.Connection, path: str) -> None:
    conn.execute("SELECT set_config('search_path', %s, true)", (path,))


def _apply_versioned(conn: psycopg.Connection, result: MigrationResult) -> None:
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    applied = {v: c for v, c in conn.execute("SELECT version, checksum FROM schema_migrations")}
    for path in sql_files("migrations", "V*.sql"):
        m = _VERSIONED.match(path.name)
        if m is None:
            raise SchemaError(f"migration file with a malformed name: {path.name}")
        version, text = int(m["version"]), path.read_text(encoding="utf-8")
        checksum = _checksum(text)
        if version in applied:
            if applied[version] != checksum:
                raise SchemaError(
                    f"migration {path.name} changed after it was applied; add a new one instead"
                )
            continue
        conn.execute(text)
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
            (version, m["name"], checksum),
        )
        result.applied.append(path.name)
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    result.version = int(row[0]) if row else 0


def _settings_values(config: Config) -> tuple[str, ...]:
    return (
        config.reporting.timezone,
        config.reporting.currency,
        str(config.engagement.session_cap),
        config.source_schema,
    )


def _write_settings(conn: psycopg.Connection, config: Config) -> tuple[str, ...]:
    values = _settings_values(config)
    conn.execute(
        """
        INSERT INTO settings (reporting_timezone, reporting_currency, session_cap, source_schema)
        VALUES (%s, %s, %s, %s)
        ON CONFLICT (singleton) DO UPDATE SET
            reporting_timezone = excluded.reporting_timezone,
            reporting_currency = excluded.reporting_currency,
            session_cap = excluded.session_cap,
            source_schema = excluded.source_schema,
            updated_at = now()
        WHERE (settings.reporting_timezone, settings.reporting_currency,
               settings.session_cap, settings.source_schema)
              IS DISTINCT FROM (excluded.reporting_timezone, excluded.reporting_currency,
                                excluded.session_cap, excluded.source_schema)
        """,
        (values[0], values[1], int(values[2]), values[3]),
    )
    return values


def _drop_view_layer(conn: psycopg.Connection, schema: str) -> None:
    rows = conn.execute(
        """
        SELECT c.relname, c.relkind
        FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('v', 'm')
        """,
        (schema,),
    ).fetchall()
    for name, kind in rows:
        what = sql.SQL("MATERIALIZED VIEW" if kind == "m" else "VIEW")
        conn.execute(
            sql.SQL("DROP {} IF EXISTS {}.{} CASCADE").format(
                what, sql.Identifier(schema), sql.Identifier(name)
            )
        )


def _build_view_layer(
    conn: psycopg.Connection, config: Config, settings: tuple[str, ...], force: bool
) -> bool:
    files = sql_files("views")
    texts = [p.read_text(encoding="utf-8") for p in files]
    checksum = _checksum(config.exporter_schema, *settings, *[p.name for p in files], *texts)
    row = conn.execute("SELECT checksum FROM view_layer").fetchone()
    if row is not None and row[0] == checksum and not force:
        return False
    _drop_view_layer(conn, config.exporter_schema)
    for text in texts:
        conn.execute(text)
    conn.execute(
        """
        INSERT INTO view_layer (checksum) VALUES (%s)
        ON CONFLICT (singleton) DO UPDATE SET checksum = excluded.checksum, built_at = now()
        """,
        (checksum,),
    )
    return True


def migrate_connection(
    conn: psycopg.Connection, config: Config, *, force_views: bool = False
) -> MigrationResult:
    """Run every step on ``conn`` inside one transaction (committed by the caller)."""
    result = MigrationResult()
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    if check_source(conn, config):
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(config.source_schema))
        )
        _set_search_path(conn, sql.Identifier(config.source_schema).as_string(conn))
        conn.execute(read_sql("reference/source_tables.sql"))
        result.created_reference_tables = True
    conn.execute(
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(config.exporter_schema))
    )
    _set_search_path(conn, search_path(config))
    _apply_versioned(conn, result)
    settings = _write_settings(conn, config)
    result.rebuilt_views = _build_view_layer(conn, config, settings, force_views)
    return result


def migrate(url: str, config: Config, *, force_views: bool = False) -> MigrationResult:
    """Create or upgrade the exporter's schema (and the reference tables when needed)."""
    with connect(url, config) as conn:
        try:
            result = migrate_connection(conn, config, force_views=force_views)
            conn.commit()
        except SchemaError:
            conn.rollback()
            raise
        except psycopg.Error as exc:
            conn.rollback()
            raise DatabaseError(f"migrate failed: {describe(exc)}") from None
    return result


def schema_status(conn: psycopg.Connection, config: Config) -> str | None:
    """None when the exporter's schema is migrated and current, else why not."""
    exists = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL",
        (f"{sql.Identifier(config.exporter_schema).as_string(conn)}.view_layer",),
    ).fetchone()
    if not exists or not exists[0]:
        return f"the exporter schema {config.exporter_schema!r} is not migrated"
    latest = max(
        (
            int(m["version"])
            for p in sql_files("migrations", "V*.sql")
            if (m := _VERSIONED.match(p.name))
        ),
        default=0,
    )
    row = conn.execute(
        sql.SQL("SELECT coalesce(max(version), 0) FROM {}.schema_migrations").format(
            sql.Identifier(config.exporter_schema)
        )
    ).fetchone()
    if row is None or int(row[0]) < latest:
        return f"the exporter schema {config.exporter_schema!r} is behind (run migrate)"
    current = conn.execute(
        sql.SQL(
            "SELECT reporting_timezone, reporting_currency, session_cap::text, source_schema"
            " FROM {}.settings"
        ).format(sql.Identifier(config.exporter_schema))
    ).fetchone()
    if current is None or tuple(current) != _settings_values(config):
        return "the exporter schema was built for other settings"
    return None
