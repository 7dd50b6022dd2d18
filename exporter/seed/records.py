"""The in-memory records of the synthetic world: users and the rows generated from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Supplier:
    id: int
    created: int
    category: str
    country: str | None
    currency: str
    activity: float
    deleted: int | None = None
    engaged: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Couple:
    id: int
    created: int
    country: str | None
    wedding: date | None
    activity: float
    deleted: int | None = None
    engaged: tuple[int, int] | None = None


SubscriptionRow = tuple[str, str, int, str, int, int, int | None, int | None]
# (plan, status, amount_minor, currency, interval_months, started, trial_ends, ended)
SessionRow = tuple[int, int | None, int | None, int | None]  # (created, supplier, couple, dur.)
InvitationRow = tuple[int, int, int | None, str | None, int | None]
# (sent, supplier, couple, channel, accepted)
