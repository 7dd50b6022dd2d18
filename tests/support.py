"""Test helpers: load contract rows into the source tables, build rows, run the engine.

Rows are plain dicts holding only the SPEC §1 contract columns, so the same lists feed
the database (``load``) and the pure-Python oracle (``tests/oracle.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from exporter import contract
from tests.instants import LONG_AGO

if TYPE_CHECKING:
    from exporter.config import Config
    from exporter.snapshot import Evaluation

# The contract columns of SPEC §1, in table order.
COLUMNS: dict[str, tuple[str, ...]] = {t.name.value: t.column_names for t in contract.TABLES}
TABLES = tuple(COLUMNS)

Row = dict[str, Any]

# --------------------------------------------------------------------------- builders


def _row(table: str, *values: Any) -> Row:
    """A row of ``table``: its contract columns, in order, given these values."""
    return dict(zip(COLUMNS[table], values, strict=True))


def supplier(
    id: int,
    created_at: datetime = LONG_AGO,
    deleted_at: datetime | None = None,
    category: str = "photography",
    country: str | None = "GB",
) -> Row:
    return _row("suppliers", id, created_at, deleted_at, category, country)


def couple(
    id: int,
    created_at: datetime = LONG_AGO,
    deleted_at: datetime | None = None,
    wedding_date: date | None = None,
    country: str | None = "GB",
) -> Row:
    return _row("couples", id, created_at, deleted_at, wedding_date, country)


def people(n: int) -> dict[str, list[Row]]:
    """Suppliers and couples 1..n, as ``run``'s keyword tables."""
    return {
        "suppliers": [supplier(i) for i in range(1, n + 1)],
        "couples": [couple(i) for i in range(1, n + 1)],
    }


def with_suppliers(subscriptions: list[Row]) -> dict[str, list[Row]]:
    """The subscriptions and a supplier row for each supplier they name, as ``run``'s
    keyword tables."""
    ids = sorted({s["supplier_id"] for s in subscriptions})
    return {"suppliers": [supplier(i) for i in ids], "subscriptions": subscriptions}


def sub(
    id: int,
    supplier_id: int,
    amount_minor: int = 1000,
    started_at: datetime = LONG_AGO,
    ended_at: datetime | None = None,
    trial_ends_at: datetime | None = None,
    currency: str = "GBP",
    interval_months: int = 1,
    plan: str = "basic",
    status: str = "active",
) -> Row:
    values = (id, supplier_id, plan, status, amount_minor, currency, interval_months)
    return _row("subscriptions", *values, started_at, trial_ends_at, ended_at)


def rate(currency: str, valid_from: date | str, value: Decimal | str | float) -> Row:
    if isinstance(valid_from, str):
        valid_from = date.fromisoformat(valid_from)
    return _row("fx_rates", currency, valid_from, Decimal(str(value)))


def session(
    id: int,
    created_at: datetime,
    supplier_id: int | None = None,
    couple_id: int | None = None,
    duration: int | None = 60,
) -> Row:
    return _row("user_sessions", id, supplier_id, couple_id, created_at, duration)


def invite(
    id: int,
    supplier_id: int,
    sent_at: datetime,
    accepted_at: datetime | None = None,
    couple_id: int | None = None,
    channel: str | None = "email",
) -> Row:
    if accepted_at is not None and couple_id is None:
        couple_id = 1000 + id
    return _row("invitations", id, supplier_id, couple_id, channel, sent_at, accepted_at)


# --------------------------------------------------------------------------- database


def load(url: str, schema: str = "public", /, **tables: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows (dicts of contract columns) into the named source tables."""
    unknown = set(tables) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not a source table: {sorted(unknown)}")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table, rows in tables.items():
            rows = list(rows)
            if not rows:
                continue
            cols = COLUMNS[table]
            for row in rows:
                extra = set(row) - set(cols)
                if extra:
                    raise ValueError(f"{table}: not contract columns: {sorted(extra)}")
            stmt = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                sql.Identifier(schema, table),
                sql.SQL(", ").join(sql.Identifier(c) for c in cols),
                sql.SQL(", ").join(sql.Placeholder() for _ in cols),
            )
            cur.executemany(stmt, [tuple(r.get(c) for c in cols) for r in rows])


def truncate(url: str, schema: str = "public") -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            sql.SQL("TRUNCATE {}").format(
                sql.SQL(", ").join(sql.Identifier(schema, t) for t in TABLES)
            )
        )


def source_tables_exist(url: str, schema: str = "public") -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema = %s AND table_name = ANY(%s)",
            (schema, list(TABLES)),
        ).fetchone()
    return bool(row and row[0] == len(TABLES))


def schema_objects(url: str) -> set[tuple[str, str, str]]:
    """(schema, name, relkind) of every relation outside PostgreSQL's own schemas."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        ).fetchall()
    return {(a, b, c) for a, b, c in rows}


# One database per test module, its source tables truncated before each test: creating a
# database costs ~0.4 s, which over ~80 hand-computed tests would break the suite's time
# budget. Each test still runs migrate (settings follow its config) + load + evaluate.
# A test module opts in with ``SHARED_DATABASE = True`` (see conftest's ``db_url``).


def emptied(url: str) -> str:
    """The database with empty source tables (when they exist yet)."""
    if source_tables_exist(url):
        truncate(url)
    return url


def config(
    tz: str = "UTC",
    currency: str = "GBP",
    viral_window: str = "30d",
    session_cap: int = 14400,
    top_n: int = 10,
) -> Config:
    from exporter.config import parse_config

    return parse_config(
        {
            "reporting": {"timezone": tz, "currency": currency},
            "viral": {"window": viral_window},
            "engagement": {"session_cap": session_cap},
            "breakdowns": {"top_n": top_n},
        }
    )


# The exporter's migrations, as the schema_migrations table should list them after a
# migrate: written out here, so a migration added or renamed without its test fails.
MIGRATIONS = [
    (1, "settings"),
    (10, "refresh_lease"),
    (20, "daily_metrics_rollup"),
    (30, "change_notify"),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(url: str, cfg: Config) -> None:
    """migrate, creating the reference source tables on a fresh database."""
    from exporter.migrate import migrate as _migrate

    _migrate(url, cfg, create_source_tables=True)


def evaluate(url: str, cfg: Config, at: datetime, wall: datetime | None = None) -> Evaluation:
    """Run the engine at ``at`` with the wall clock ``wall`` (default: now) and insist that
    every group computed."""
    from exporter.engine import evaluate as _evaluate

    ev = _evaluate(url, cfg, at, wall)
    assert not ev.errors, ev.errors
    return ev


def run(
    url: str,
    at: datetime,
    cfg: Config | None = None,
    /,
    *,
    wall: datetime | None = None,
    **tables: Iterable[Mapping[str, Any]],
) -> Evaluation:
    """migrate + load + evaluate on a fresh database: the hand-computed tests' one call."""
    cfg = cfg if cfg is not None else config()
    migrate(url, cfg)
    load(url, cfg.source_schema, **tables)
    return evaluate(url, cfg, at, wall)
