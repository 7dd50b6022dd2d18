"""The world composed from the stages, and ``seed()``: checks the source tables, COPYs
the world in one transaction and translates driver errors."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg
from psycopg import sql
from tqdm import tqdm

from exporter.config import Config
from exporter.contract import BY_NAME, TABLES, SourceTable
from exporter.db import connect, describe
from exporter.errors import ConfigError, DatabaseError, SchemaError
from exporter.seed.activity import (
    fx_rates,
    invitation_rows,
    invitation_streams,
    session_rows,
    session_streams,
)
from exporter.seed.bad_rows import bad_rows
from exporter.seed.people import Horizon, couples, suppliers
from exporter.seed.sampling import HourlyFactor, utc, utc_or_none
from exporter.seed.shapes import (
    COUPLE_HOURS,
    COUPLE_WEEKDAYS,
    DAY,
    INVITE_SEASON,
    SCALES,
    SESSION_SEASON,
    SUPPLIER_HOURS,
    SUPPLIER_WEEKDAYS,
    Scale,
)

PROGRESS_EVERY = 8_192
NAMES: list[str] = [table.name.value for table in TABLES]


@dataclass(frozen=True)
class SeedResult:
    scale: str
    end: datetime
    rows: dict[str, int]
    seconds: float


class TableRows(NamedTuple):
    """One table's rows in contract column order, and how many to expect (for progress)."""

    table: SourceTable
    rows: Iterable[tuple[Any, ...]]
    expected: int


def world(scale: Scale, end: datetime, random_seed: int) -> list[TableRows]:
    """The generated rows of one (scale, end, random_seed), in load order.

    People and subscriptions are built in memory; sessions and invitations are generators
    that draw month by month while they are read.
    """
    end_ts = int(end.timestamp())
    horizon = Horizon(end_ts - scale.history_days * DAY, end_ts)
    people, subscriptions = suppliers(scale.suppliers, horizon, random_seed)
    partners = couples(scale.couples, horizon, random_seed)
    bad = bad_rows(horizon, people, partners, random_seed)
    start = horizon.start
    sessions = session_streams(
        scale.sessions,
        end_ts,
        people,
        partners,
        HourlyFactor(start, end_ts, SESSION_SEASON, SUPPLIER_HOURS, SUPPLIER_WEEKDAYS),
        HourlyFactor(start, end_ts, SESSION_SEASON, COUPLE_HOURS, COUPLE_WEEKDAYS),
    )
    invites, expected_invitations = invitation_streams(
        people, HourlyFactor(start, end_ts, INVITE_SEASON, SUPPLIER_HOURS, SUPPLIER_WEEKDAYS)
    )
    all_subscriptions = sorted(
        subscriptions + bad.subscriptions, key=lambda row: (row.started, row.supplier_id)
    )
    supplier_rows = [
        (s.id, utc(s.created), utc_or_none(s.deleted), s.category, s.country)
        for s in people + bad.suppliers
    ]
    couple_rows = [
        (c.id, utc(c.created), utc_or_none(c.deleted), c.wedding, c.country)
        for c in partners + bad.couples
    ]
    subscription_rows = [
        (
            index,
            s.supplier_id,
            s.plan,
            s.status,
            s.amount_minor,
            s.currency,
            s.interval_months,
            utc(s.started),
            utc_or_none(s.trial_ends),
            utc_or_none(s.ended),
        )
        for index, s in enumerate(all_subscriptions, start=1)
    ]
    rates = fx_rates(horizon, random_seed) + bad.fx_rates
    couple_created = [c.created for c in partners]
    return [
        TableRows(SourceTable.SUPPLIERS, supplier_rows, len(supplier_rows)),
        TableRows(SourceTable.COUPLES, couple_rows, len(couple_rows)),
        TableRows(SourceTable.SUBSCRIPTIONS, subscription_rows, len(subscription_rows)),
        TableRows(SourceTable.FX_RATES, rates, len(rates)),
        TableRows(
            SourceTable.USER_SESSIONS,
            session_rows(sessions, horizon, bad.sessions, random_seed),
            scale.sessions + len(bad.sessions),
        ),
        TableRows(
            SourceTable.INVITATIONS,
            invitation_rows(invites, horizon, couple_created, bad.invitations, random_seed),
            expected_invitations + len(bad.invitations),
        ),
    ]


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
        (schema, NAMES),
    )
    found = {row[0] for row in cur.fetchall()}
    missing = [table for table in NAMES if table not in found]
    if missing:
        raise SchemaError(
            f"source table(s) missing in schema {schema!r}: {', '.join(missing)};"
            " run `execmetrics migrate --create-source-tables` first"
        )
    holding = []
    for table in NAMES:
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
                sql.SQL(", ").join(sql.Identifier(schema, table) for table in NAMES)
            )
        )


def _copy(cur: psycopg.Cursor[Any], schema: str, load: TableRows, progress: bool) -> int:
    columns = BY_NAME[load.table].columns
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(schema, load.table),
        sql.SQL(", ").join(sql.Identifier(column.name) for column in columns),
    )
    count = 0
    with (
        tqdm(
            total=load.expected,
            desc=f"{load.table:<13}",
            unit=" rows",
            unit_scale=load.expected >= 10_000,
            disable=not progress,
            file=sys.stderr,
            dynamic_ncols=True,
        ) as bar,
        cur.copy(statement) as copy,
    ):
        copy.set_types([column.copy_type for column in columns])
        write_row = copy.write_row
        reported = 0
        for row in load.rows:
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
    config: Config | None = None,
) -> SeedResult:
    """Fill the six source tables of ``source_schema`` with the demo data of ``scale``.

    The tables must exist and be empty (``replace=True`` truncates them first). Everything
    is loaded in one transaction, then analysed. ``config`` supplies the connection
    settings (its defaults when omitted).
    """
    began = time.perf_counter()
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    last = _normalise_end(end)
    conn = connect(conninfo, config or Config())
    rows: dict[str, int] = {}
    try:
        with conn, conn.cursor() as cur:
            _check_tables(cur, source_schema, replace)
            for load in world(SCALES[scale], last, random_seed):
                rows[load.table] = _copy(cur, source_schema, load, progress)
            for table in NAMES:
                cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(source_schema, table)))
    except psycopg.Error as exc:
        raise DatabaseError(f"seed failed: {describe(exc)}") from None
    finally:
        conn.close()
    return SeedResult(scale=scale, end=last, rows=rows, seconds=time.perf_counter() - began)
