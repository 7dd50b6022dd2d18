"""The source contract (SPEC §1): the six platform tables the exporter reads, declared once.

`migrate`'s checks of a platform's schema, the reference DDL, the seed's COPY and the
tests' loaders all read these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SourceTable(StrEnum):
    SUPPLIERS = "suppliers"
    COUPLES = "couples"
    SUBSCRIPTIONS = "subscriptions"
    FX_RATES = "fx_rates"
    USER_SESSIONS = "user_sessions"
    INVITATIONS = "invitations"


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # as written in DDL
    copy_type: str  # the PostgreSQL type name binary COPY writes the value as
    nullable: bool = False
    # information_schema.columns.data_type values that hold this column without loss
    accepts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: SourceTable
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


_BIGINT = ("bigint", "integer", "smallint", "numeric")
_INT = ("integer", "smallint", "bigint")
_TSTZ = ("timestamp with time zone",)
_TEXT = ("text", "character varying", "character")
_DATE = ("date",)


def _id(name: str = "id", nullable: bool = False) -> Column:
    return Column(name, "bigint", "int8", nullable, _BIGINT)


def _tstz(name: str, nullable: bool = False) -> Column:
    return Column(name, "timestamptz", "timestamptz", nullable, _TSTZ)


def _text(name: str, nullable: bool = True) -> Column:
    return Column(name, "text", "text", nullable, _TEXT)


def _currency(name: str = "currency") -> Column:
    # bpchar reads the text binary format
    return Column(name, "char(3)", "text", False, _TEXT)


TABLES: tuple[Table, ...] = (
    Table(
        SourceTable.SUPPLIERS,
        (
            _id(),
            _tstz("created_at"),
            _tstz("deleted_at", nullable=True),
            _text("category"),
            _text("country"),
        ),
        ("id",),
    ),
    Table(
        SourceTable.COUPLES,
        (
            _id(),
            _tstz("created_at"),
            _tstz("deleted_at", nullable=True),
            Column("wedding_date", "date", "date", True, _DATE),
            _text("country"),
        ),
        ("id",),
    ),
    Table(
        SourceTable.SUBSCRIPTIONS,
        (
            _id(),
            _id("supplier_id"),
            _text("plan"),
            _text("status"),
            _id("amount_minor"),
            _currency(),
            Column("interval_months", "int", "int4", False, _INT),
            _tstz("started_at"),
            _tstz("trial_ends_at", nullable=True),
            _tstz("ended_at", nullable=True),
        ),
        ("id",),
    ),
    Table(
        SourceTable.FX_RATES,
        (
            _currency(),
            Column("valid_from", "date", "date", False, _DATE),
            Column("rate", "numeric", "numeric", False, ("numeric", "double precision", "real")),
        ),
        ("currency", "valid_from"),
    ),
    Table(
        SourceTable.USER_SESSIONS,
        (
            _id(),
            _id("supplier_id", nullable=True),
            _id("couple_id", nullable=True),
            _tstz("created_at"),
            Column("session_duration", "int", "int4", True, _INT),
        ),
        ("id",),
    ),
    Table(
        SourceTable.INVITATIONS,
        (
            _id(),
            _id("supplier_id"),
            _id("couple_id", nullable=True),
            _text("channel"),
            _tstz("sent_at"),
            _tstz("accepted_at", nullable=True),
        ),
        ("id",),
    ),
)

BY_NAME: dict[str, Table] = {t.name.value: t for t in TABLES}
