"""The named demo scales, the SPEC §3 bad-row counts every scale carries, and the
result of one seed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType


@dataclass(frozen=True)
class Scale:
    """Populations and history length of one named demo scale."""

    name: str
    suppliers: int
    couples: int
    history_days: int
    sessions: int  # target session count; per-user session rates are scaled to meet it


SCALES: Mapping[str, Scale] = MappingProxyType(
    {
        "small": Scale(
            "small", suppliers=1_000, couples=10_000, history_days=365, sessions=150_000
        ),
        "medium": Scale(
            "medium", suppliers=20_000, couples=200_000, history_days=730, sessions=5_000_000
        ),
        "large": Scale(
            "large", suppliers=20_000, couples=200_000, history_days=1_461, sessions=10_000_000
        ),
    }
)

# How many rows of each SPEC §3 data-quality kind every scale carries.
BAD_ROWS: Mapping[str, int] = MappingProxyType(
    {
        "subscription_negative_amount": 3,
        "subscription_currency_without_rate": 3,
        "subscription_ended_before_start": 3,
        "session_both_ids": 3,
        "session_neither_id": 3,
        "session_zero_duration": 3,
        "session_negative_duration": 3,
        "invitation_accepted_before_sent": 3,
        "future_suppliers": 2,
        "future_couples": 2,
        "future_sessions": 3,
        "future_invitations": 3,
    }
)
# The currency of the subscriptions that have no fx rate.
UNRATED_CURRENCY = "CHF"


@dataclass(frozen=True)
class SeedResult:
    scale: str
    end: datetime
    rows: dict[str, int]
    seconds: float
