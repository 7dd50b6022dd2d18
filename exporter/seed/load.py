"""The loader: ``seed()`` checks the source tables, COPYs the world in one transaction
and translates driver errors."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from tqdm import tqdm

from exporter.db import describe
from exporter.errors import ConfigError, DatabaseError, SchemaError
from exporter.seed.scales import SCALES, SeedResult
from exporter.seed.tables import COLUMNS, TABLES
from exporter.seed.world import World

PROGRESS_EVERY = 8_192
CONNECT_TIMEOUT = 10


def _describe(exc: BaseException, conninfo: str) -> str:
    """One line for a driver error, with the connection password blanked out."""
    text = describe(exc)
    try:
        password = psycopg.conninfo.conninfo_to_dict(conninfo).get("password")
    except psycopg.Error:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return text


def default_end(now: datetime | None = None) -> datetime:
    """Now (or ``now``) truncated to the hour, in UTC."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def _normalise_end(end: datetime | None) -> datetime:
    if end is None:
        return default_end()
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return end.astimezone(UTC).replace(microsecond=0)


def _check_tables(cur: psycopg.Cursor[Any], schema: str, replace: bool) -> None:
    cur.execute(
        "SELECT c.relname FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)",
        (schema, list(TABLES)),
    )
    found = {row[0] for row in cur.fetchall()}
    missing = [table for table in TABLES if table not in found]
    if missing:
        raise SchemaError(
            f"source table(s) missing in schema {schema!r}: {', '.join(missing)};"
            " run `execmetrics migrate` first"
        )
    holding = []
    for table in TABLES:
        cur.execute(
            sql.SQL("SELECT EXISTS (SELECT 1 FROM {}.{})").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        )
        row = cur.fetchone()
        if row is not None and row[0]:
            holding.append(table)
    if holding and not replace:
        raise SchemaError(
            f"source tables in schema {schema!r} already hold data ({', '.join(holding)});"
            " pass --replace to truncate them and seed again"
        )
    if replace:
        cur.execute(
            sql.SQL("TRUNCATE {}").format(
                sql.SQL(", ").join(sql.Identifier(schema, table) for table in TABLES)
            )
        )


def _copy(
    cur: psycopg.Cursor[Any],
    schema: str,
    table: str,
    rows: Iterator[tuple[Any, ...]],
    expected: int,
    progress: bool,
) -> int:
    columns = COLUMNS[table]
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(schema, table),
        sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns),
    )
    count = 0
    with (
        tqdm(
            total=expected,
            desc=f"{table:<13}",
            unit=" rows",
            unit_scale=expected >= 10_000,
            disable=not progress,
            file=sys.stderr,
            dynamic_ncols=True,
        ) as bar,
        cur.copy(statement) as copy,
    ):
        copy.set_types([kind for _, kind in columns])
        write_row = copy.write_row
        reported = 0
        for row in rows:
            write_row(row)
            count += 1
            if count - reported >= PROGRESS_EVERY:
                bar.update(count - reported)
                reported = count
        bar.total = count
        bar.update(count - reported)
    return count


def seed(
    conninfo: str,
    source_schema: str,
    scale: str,
    *,
    end: datetime | None = None,
    replace: bool = False,
    progress: bool = True,
    random_seed: int = 20261129,
) -> SeedResult:
    """Fill the six source tables of ``source_schema`` with the demo data of ``scale``.

    The tables must exist and be empty (``replace=True`` truncates them first). Everything
    is loaded in one transaction, then analysed.
    """
    began = time.perf_counter()
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    last = _normalise_end(end)
    try:
        conn = psycopg.connect(
            conninfo, connect_timeout=CONNECT_TIMEOUT, application_name="execmetrics-seed"
        )
    except psycopg.Error as exc:
        raise DatabaseError(_describe(exc, conninfo)) from None
    rows: dict[str, int] = {}
    try:
        with conn, conn.cursor() as cur:
            _check_tables(cur, source_schema, replace)
            world = World(SCALES[scale], last, random_seed)
            for table, generate, expected in world.tables():
                rows[table] = _copy(cur, source_schema, table, generate(), expected, progress)
            for table in TABLES:
                cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(source_schema, table)))
    except psycopg.Error as exc:
        raise DatabaseError(f"seed failed: {_describe(exc, conninfo)}") from None
    finally:
        conn.close()
    return SeedResult(scale=scale, end=last, rows=rows, seconds=time.perf_counter() - began)
