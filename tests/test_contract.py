"""The reference DDL (sql/reference/source_tables.sql) declares the tables of the source
contract (exporter/contract.py): same tables, columns in order, types, nullability and
primary keys, as PostgreSQL reads them."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from exporter.contract import TABLES
from exporter.sqlfiles import read_sql

# One row per column: (table, position, column, type as PostgreSQL formats it, NOT NULL,
# part of the primary key).
CATALOG = """
SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       coalesce(a.attnum = ANY(k.conkey), false)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
WHERE n.nspname = %s AND c.relkind = 'r'
ORDER BY 1, 2
"""


def _contract_ddl(schema: str) -> list[sql.Composed]:
    statements = []
    for table in TABLES:
        columns = [
            sql.SQL("{} {} {}").format(
                sql.Identifier(column.name),
                sql.SQL(column.sql_type),
                sql.SQL("NULL" if column.nullable else "NOT NULL"),
            )
            for column in table.columns
        ]
        key = sql.SQL("PRIMARY KEY ({})").format(
            sql.SQL(", ").join(sql.Identifier(name) for name in table.primary_key)
        )
        statements.append(
            sql.SQL("CREATE TABLE {} ({})").format(
                sql.Identifier(schema, table.name), sql.SQL(", ").join([*columns, key])
            )
        )
    return statements


def _catalog(conn: psycopg.Connection, schema: str) -> list[tuple[Any, ...]]:
    return conn.execute(CATALOG, (schema,)).fetchall()


def test_reference_ddl_declares_the_contract(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA reference_file")
        conn.execute("CREATE SCHEMA reference_contract")
        conn.execute("SET search_path = reference_file")
        conn.execute(read_sql("reference/source_tables.sql"))
        for statement in _contract_ddl("reference_contract"):
            conn.execute(statement)
        from_file = _catalog(conn, "reference_file")
        from_contract = _catalog(conn, "reference_contract")
    assert {row[0] for row in from_file} == {table.name.value for table in TABLES}
    assert from_file == from_contract
