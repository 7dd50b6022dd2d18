"""Create or upgrade the exporter's schema, idempotently and with a recorded version.

Only ``migrate`` changes the database's schema (SPEC §5). In one transaction under an
advisory lock (two replicas migrating at once wait for each other):

1. the source contract (exporter/contract.py): every table and column present with a
   type that holds it. With ``create_source_tables`` (demos and tests) and none of the
   six tables present, the reference tables are created; otherwise missing tables are
   an error naming the schema and the tables. An existing source table is never altered;
2. the exporter's schema must be its own: never the source schema, and holding only
   objects an earlier migrate created (they are recorded in ``owned_objects``); anything
   else there stops migrate before it drops or creates anything;
3. versioned migrations ``sql/migrations/V<n>__<name>.sql``, each applied once and
   recorded in ``schema_migrations`` with its checksum;
4. the settings row, from the config;
5. the view layer ``sql/views/*.sql`` (views, materialized views, reader grants),
   rebuilt only when its fingerprint changed: the files, the exporter schema's name and
   the settings the views bake in. Every other command compares that fingerprint with
   its own config's (``schema_status``) and refuses to run on a mismatch;
6. the rollups of the sessions (``daily_metrics``, ``session_quality_days``), rebuilt in
   full: the refresh job then keeps them up to date incrementally;
7. only when asked (``--notify`` / ``--no-notify``): the statement-level change
   triggers on the six source tables, which ``serve`` listens to (sql/notify/). The
   tables are the platform's, so they carry a trigger only by that explicit choice;
   without either option migrate leaves them as they are.

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

from exporter import contract
from exporter.config import Config
from exporter.db import connect, describe, search_path
from exporter.errors import DatabaseError, SchemaError
from exporter.sqlfiles import read_sql, sql_files

_VERSIONED = re.compile(r"^V(?P<version>\d+)__(?P<name>[a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x6578656D  # "exem"
RUN_MIGRATE = "run `execmetrics migrate` with this config"

# The bookkeeping tables migrate itself creates in the exporter's schema.
_BOOKKEEPING = ("schema_migrations", "owned_objects")
# The objects of a schema created by migrate before ownership was recorded: its
# bookkeeping tables and whatever the view layer builds (views, materialized views,
# functions), all of which migrate rebuilds anyway.
_LEGACY_TABLES = ("schema_migrations", "settings", "view_layer")
_LEGACY_KINDS = ("view", "materialized view", "function")
# The trigger function of the change notifications (sql/migrations/V030): created by a
# versioned migration, not by the view layer, so a rebuild of the views never drops it
# (and with it, CASCADE, the triggers on the source tables).
NOTIFY_FUNCTION = "notify_source_change()"
NOTIFY_CHANNEL = "execmetrics_changes"

_OBJECTS = """
SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                      WHEN 'f' THEN 'foreign table' ELSE 'type' END AS kind,
       c.relname::text AS name
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
UNION ALL
SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = %(schema)s
UNION ALL
SELECT 'type', t.typname::text
FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
WHERE n.nspname = %(schema)s AND t.typtype IN ('e', 'd', 'r')
"""


@dataclass
class MigrationResult:
    created_reference_tables: bool = False
    applied: list[str] = field(default_factory=list)
    rebuilt_views: bool = False
    version: int = 0
    changed_settings: list[str] = field(default_factory=list)
    # The source tables now carrying the change trigger (None: --notify not given).
    notify_tables: list[str] | None = None


def _checksum(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


# --------------------------------------------------------------------------- source contract


def _existing_columns(conn: psycopg.Connection, schema: str) -> dict[str, dict[str, str]]:
    rows = conn.execute(
        """
        SELECT c.table_name, c.column_name, c.data_type
        FROM information_schema.columns AS c
        WHERE c.table_schema = %s AND c.table_name = ANY(%s)
        """,
        (schema, [t.name.value for t in contract.TABLES]),
    ).fetchall()
    found: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        found.setdefault(table, {})[column] = data_type
    return found


def check_source(conn: psycopg.Connection, config: Config) -> bool:
    """Validate the source contract (names and types); True when no source table exists."""
    schema = config.source_schema
    found = _existing_columns(conn, schema)
    if not found:
        return True
    missing = [t.name.value for t in contract.TABLES if t.name.value not in found]
    if missing:
        raise SchemaError(
            f"source schema {schema!r} lacks the table(s) {', '.join(missing)} "
            f"(it has {', '.join(sorted(found))})"
        )
    for table in contract.TABLES:
        columns = found[table.name.value]
        absent = [c.name for c in table.columns if c.name not in columns]
        if absent:
            raise SchemaError(
                f"source table {schema}.{table.name} lacks the column(s) {', '.join(absent)}"
            )
        for column in table.columns:
            actual = columns[column.name]
            if column.accepts and actual not in column.accepts:
                raise SchemaError(
                    f"source column {schema}.{table.name}.{column.name} has type {actual}, "
                    f"expected {column.sql_type} (or {', '.join(column.accepts)})"
                )
    return False


def require_source(conn: psycopg.Connection, config: Config) -> None:
    """The source contract holds; no table at all is an error naming what is missing."""
    if check_source(conn, config):
        exists = conn.execute(
            "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = %s)",
            (config.source_schema,),
        ).fetchone()
        where = "holds none" if exists and exists[0] else "does not exist, so it holds none"
        raise SchemaError(
            f"source schema {config.source_schema!r} {where} of the source tables "
            f"({', '.join(t.name.value for t in contract.TABLES)}); check source.schema "
            "(reference tables for a demo: `execmetrics migrate --create-source-tables`)"
        )


# --------------------------------------------------------------------------- ownership


def _objects(conn: psycopg.Connection, schema: str) -> set[tuple[str, str]]:
    return {(k, n) for k, n in conn.execute(_OBJECTS, {"schema": schema})}


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = %s)", (schema,)
    ).fetchone()
    return bool(row and row[0])


def _owned(
    conn: psycopg.Connection, schema: str, present: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """What migrate created in ``schema`` (recorded, or read from an earlier version's layout)."""
    if ("table", "owned_objects") in present:
        rows = conn.execute(
            sql.SQL("SELECT kind, name FROM {}.owned_objects").format(sql.Identifier(schema))
        ).fetchall()
        return {(k, n) for k, n in rows} | {("table", t) for t in _BOOKKEEPING}
    if ("table", "schema_migrations") in present and ("table", "view_layer") in present:
        return {o for o in present if o[0] in _LEGACY_KINDS} | {
            ("table", t) for t in (*_LEGACY_TABLES, *_migration_tables())
        }
    return set()


_CREATE_TABLE = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)", re.IGNORECASE)


def _migration_tables() -> set[str]:
    """The tables the versioned migrations create (a schema migrated before ownership
    was recorded may hold any of them)."""
    return {
        name
        for path in sql_files("migrations", "V*.sql")
        for name in _CREATE_TABLE.findall(path.read_text(encoding="utf-8"))
    }


def _check_ownership(conn: psycopg.Connection, config: Config) -> set[tuple[str, str]]:
    """Refuse a schema that is not the exporter's own; return what it holds."""
    schema = config.exporter_schema
    if schema == config.source_schema:
        raise SchemaError(
            f"exporter.schema and source.schema are both {schema!r}: the exporter needs a "
            "schema of its own (migrate would rebuild objects there)"
        )
    if not _schema_exists(conn, schema):
        return set()
    present = _objects(conn, schema)
    foreign = sorted(present - _owned(conn, schema, present))
    if foreign:
        shown = ", ".join(f"{kind} {name}" for kind, name in foreign[:5])
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise SchemaError(
            f"exporter schema {schema!r} holds objects migrate did not create ({shown}{more}); "
            "choose another exporter.schema"
        )
    return present


def _record_owned(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(read_sql("migrate/owned_objects.sql"))
    conn.execute("DELETE FROM owned_objects")
    present = _objects(conn, schema) - {("table", t) for t in _BOOKKEEPING}
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO owned_objects (kind, name) VALUES (%s, %s)", sorted(present))


# --------------------------------------------------------------------------- steps


def _set_search_path(conn: psycopg.Connection, path: str) -> None:
    conn.execute("SELECT set_config('search_path', %s, true)", (path,))


def _migration_files() -> list[tuple[int, str, str]]:
    out = []
    for path in sql_files("migrations", "V*.sql"):
        m = _VERSIONED.match(path.name)
        if m is None:
            raise SchemaError(f"migration file with a malformed name: {path.name}")
        out.append((int(m["version"]), path.name, path.read_text(encoding="utf-8")))
    return out


def _apply_versioned(conn: psycopg.Connection, result: MigrationResult) -> None:
    conn.execute(read_sql("migrate/schema_migrations.sql"))
    applied = {v: c for v, c in conn.execute("SELECT version, checksum FROM schema_migrations")}
    for version, filename, text in _migration_files():
        checksum = _checksum(text)
        if version in applied:
            if applied[version] != checksum:
                raise SchemaError(
                    f"migration {filename} changed after it was applied; add a new one instead"
                )
            continue
        conn.execute(text)
        m = _VERSIONED.match(filename)
        assert m is not None
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
            (version, m["name"], checksum),
        )
        result.applied.append(filename)
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    result.version = int(row[0]) if row else 0


# The settings the view layer bakes in, with the config key each comes from.
SETTINGS_KEYS = (
    "reporting.timezone",
    "reporting.currency",
    "engagement.session_cap",
    "source.schema",
)


def _settings_values(config: Config) -> tuple[str, ...]:
    return (
        config.reporting.timezone,
        config.reporting.currency,
        str(config.engagement.session_cap),
        config.source_schema,
    )


def view_layer_fingerprint(config: Config) -> str:
    """What the view layer is built from: its files, the schema names, the settings."""
    files = sql_files("views")
    texts = [p.read_text(encoding="utf-8") for p in files]
    return _checksum(
        config.exporter_schema, *_settings_values(config), *[p.name for p in files], *texts
    )


def _write_settings(conn: psycopg.Connection, config: Config) -> list[str]:
    values = _settings_values(config)
    before = conn.execute(
        "SELECT reporting_timezone, reporting_currency, session_cap::text, source_schema"
        " FROM settings"
    ).fetchone()
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
    if before is None:
        return []
    return [
        f"{key} {old} -> {new}"
        for key, old, new in zip(SETTINGS_KEYS, before, values, strict=True)
        if old != new
    ]


def _drop_view_layer(conn: psycopg.Connection, schema: str) -> None:
    """Drop the views, materialized views and functions migrate recorded as its own."""
    rows = conn.execute(
        "SELECT kind, name FROM owned_objects WHERE kind = ANY(%s)", (list(_LEGACY_KINDS),)
    ).fetchall()
    present = _objects(conn, schema)
    order = {"materialized view": 0, "view": 1, "function": 2}
    for kind, name in sorted(rows, key=lambda r: (order[r[0]], r[1])):
        if (kind, name) not in present or (kind, name) == ("function", NOTIFY_FUNCTION):
            continue  # gone with an earlier CASCADE, or not the view layer's
        if kind == "function":
            conn.execute(
                sql.SQL("DROP FUNCTION IF EXISTS {}.{} CASCADE").format(
                    sql.Identifier(schema),
                    sql.SQL(name),  # regprocedure text: name(args)
                )
            )
        else:
            conn.execute(
                sql.SQL("DROP {} IF EXISTS {}.{} CASCADE").format(
                    sql.SQL(kind.upper()), sql.Identifier(schema), sql.Identifier(name)
                )
            )
        present = _objects(conn, schema)


def _build_view_layer(conn: psycopg.Connection, config: Config, force: bool) -> bool:
    checksum = view_layer_fingerprint(config)
    row = conn.execute("SELECT checksum FROM view_layer").fetchone()
    if row is not None and row[0] == checksum and not force:
        return False
    _drop_view_layer(conn, config.exporter_schema)
    for path in sql_files("views"):
        conn.execute(path.read_text(encoding="utf-8"))
    conn.execute(
        """
        INSERT INTO view_layer (checksum) VALUES (%s)
        ON CONFLICT (singleton) DO UPDATE SET checksum = excluded.checksum, built_at = now()
        """,
        (checksum,),
    )
    return True


def notify_trigger(config: Config) -> str:
    """The name of this exporter schema's change trigger on each source table."""
    return f"{config.exporter_schema}_notify"[:63]


def notifying_tables(conn: psycopg.Connection, config: Config) -> list[str]:
    """The source tables that carry this exporter schema's change trigger. Reads only."""
    rows = conn.execute(
        read_sql("notify/installed.sql"),
        {"source_schema": config.source_schema, "trigger": notify_trigger(config)},
    ).fetchall()
    return [r[0] for r in rows]


def _set_notify(conn: psycopg.Connection, config: Config, install: bool) -> list[str]:
    """Install (or remove) the change trigger on every source table."""
    names = {
        "trigger": sql.Identifier(notify_trigger(config)),
        "function": sql.Identifier(config.exporter_schema, NOTIFY_FUNCTION.removesuffix("()")),
    }
    for table in contract.TABLES:
        target = sql.Identifier(config.source_schema, table.name.value)
        conn.execute(sql.SQL(read_sql("notify/drop_trigger.sql")).format(table=target, **names))
        if install:
            conn.execute(
                sql.SQL(read_sql("notify/create_trigger.sql")).format(table=target, **names)
            )
    return notifying_tables(conn, config)


def in_recovery(conn: psycopg.Connection) -> bool:
    """Whether ``conn`` reaches a hot standby, where nothing can be written."""
    row = conn.execute(read_sql("replica/in_recovery.sql")).fetchone()
    return bool(row and row[0])


def migrate_connection(
    conn: psycopg.Connection,
    config: Config,
    *,
    force_views: bool = False,
    create_source_tables: bool = False,
    notify: bool | None = None,
) -> MigrationResult:
    """Run every step on ``conn`` inside one transaction (committed by the caller)."""
    result = MigrationResult()
    if in_recovery(conn):
        raise SchemaError(
            "the database is a hot standby (read-only, replaying its primary): "
            "run migrate against the primary"
        )
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    schema = config.exporter_schema
    present = _check_ownership(conn, config)
    if check_source(conn, config):
        if not create_source_tables:
            require_source(conn, config)
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(config.source_schema))
        )
        _set_search_path(conn, sql.Identifier(config.source_schema).as_string(conn))
        conn.execute(read_sql("reference/source_tables.sql"))
        result.created_reference_tables = True
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    _set_search_path(conn, search_path(config))
    if ("table", "owned_objects") not in present:
        _record_owned(conn, schema)  # a new schema, or one an earlier version created
    _apply_versioned(conn, result)
    result.changed_settings = _write_settings(conn, config)
    result.rebuilt_views = _build_view_layer(conn, config, force_views)
    conn.execute(read_sql("refresh/rebuild.sql"))
    if notify is not None:
        result.notify_tables = _set_notify(conn, config, notify)
    _record_owned(conn, schema)
    return result


def migrate(
    url: str,
    config: Config,
    *,
    force_views: bool = False,
    create_source_tables: bool = False,
    notify: bool | None = None,
) -> MigrationResult:
    """Create or upgrade the exporter's schema (and, when asked, the reference tables and
    the change triggers: ``notify`` True installs them, False removes them)."""
    with connect(url, config) as conn:
        try:
            result = migrate_connection(
                conn,
                config,
                force_views=force_views,
                create_source_tables=create_source_tables,
                notify=notify,
            )
            conn.commit()
        except SchemaError:
            conn.rollback()
            raise
        except psycopg.Error as exc:
            conn.rollback()
            raise DatabaseError(f"migrate failed: {describe(exc)}") from None
    return result


# --------------------------------------------------------------------------- every other command


def schema_status(conn: psycopg.Connection, config: Config) -> str | None:
    """None when the source contract holds and the exporter's schema is migrated, current
    and built for this config's settings; else why not (one line that says what to do).
    Reads only."""
    if check_source(conn, config):
        require_source(conn, config)
    schema = config.exporter_schema
    ident = sql.Identifier(schema)
    exists = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
        (f"{ident.as_string(conn)}.view_layer", f"{ident.as_string(conn)}.settings"),
    ).fetchone()
    if not exists or not all(exists):
        return f"the exporter schema {schema!r} is not migrated: {RUN_MIGRATE}"
    latest = max((v for v, _, _ in _migration_files()), default=0)
    row = conn.execute(
        sql.SQL("SELECT coalesce(max(version), 0) FROM {}.schema_migrations").format(ident)
    ).fetchone()
    version = int(row[0]) if row else 0
    if version < latest:
        return (
            f"the exporter schema {schema!r} is behind (version {version}, this release "
            f"needs {latest}): {RUN_MIGRATE}"
        )
    if version > latest:
        return (
            f"the exporter schema {schema!r} was migrated by a newer release (version "
            f"{version}, this one knows {latest}): upgrade execmetrics"
        )
    current = conn.execute(
        sql.SQL(
            "SELECT reporting_timezone, reporting_currency, session_cap::text, source_schema"
            " FROM {}.settings"
        ).format(ident)
    ).fetchone()
    if current is None:
        return f"the exporter schema {schema!r} has no settings: {RUN_MIGRATE}"
    differ = [
        f"{key} {old} (config: {new})"
        for key, old, new in zip(SETTINGS_KEYS, current, _settings_values(config), strict=True)
        if old != new
    ]
    if differ:
        return (
            f"the exporter schema {schema!r} was migrated with other settings "
            f"({', '.join(differ)}): {RUN_MIGRATE}, or point exporter.schema elsewhere"
        )
    built = conn.execute(sql.SQL("SELECT checksum FROM {}.view_layer").format(ident)).fetchone()
    if built is None or built[0] != view_layer_fingerprint(config):
        return f"the exporter schema {schema!r} has an outdated view layer: {RUN_MIGRATE}"
    return None


def ensure_schema(url: str, config: Config) -> None:
    """The check before every read: stop (SchemaError, exit 4, saying to run migrate)
    unless the exporter's schema is migrated, current and built for this config.
    Reads only: never changes the schema (SPEC §5)."""
    with connect(url, config) as conn:
        try:
            status = schema_status(conn, config)
        except psycopg.Error as exc:
            raise DatabaseError(describe(exc)) from None
        finally:
            conn.rollback()
    if status is not None:
        raise SchemaError(status)
