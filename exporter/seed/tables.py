"""The six reference source tables the seed fills, and their COPY column contract."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

TABLES: tuple[str, ...] = (
    "suppliers",
    "couples",
    "subscriptions",
    "fx_rates",
    "user_sessions",
    "invitations",
)

# Contract columns of each table with the PostgreSQL type used for binary COPY.
COLUMNS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "suppliers": (
            ("id", "int8"),
            ("created_at", "timestamptz"),
            ("deleted_at", "timestamptz"),
            ("category", "text"),
            ("country", "text"),
        ),
        "couples": (
            ("id", "int8"),
            ("created_at", "timestamptz"),
            ("deleted_at", "timestamptz"),
            ("wedding_date", "date"),
            ("country", "text"),
        ),
        "subscriptions": (
            ("id", "int8"),
            ("supplier_id", "int8"),
            ("plan", "text"),
            ("status", "text"),
            ("amount_minor", "int8"),
            ("currency", "text"),  # bpchar reads the text binary format
            ("interval_months", "int4"),
            ("started_at", "timestamptz"),
            ("trial_ends_at", "timestamptz"),
            ("ended_at", "timestamptz"),
        ),
        "fx_rates": (
            ("currency", "text"),  # bpchar reads the text binary format
            ("valid_from", "date"),
            ("rate", "numeric"),
        ),
        "user_sessions": (
            ("id", "int8"),
            ("supplier_id", "int8"),
            ("couple_id", "int8"),
            ("created_at", "timestamptz"),
            ("session_duration", "int4"),
        ),
        "invitations": (
            ("id", "int8"),
            ("supplier_id", "int8"),
            ("couple_id", "int8"),
            ("channel", "text"),
            ("sent_at", "timestamptz"),
            ("accepted_at", "timestamptz"),
        ),
    }
)
