"""The state the stages of ``World`` share (set by ``World.__init__``) and their
random streams."""

from __future__ import annotations

import random
from typing import Any

from exporter.seed.clock import HourlyFactor
from exporter.seed.randomness import Stream
from exporter.seed.records import Couple, SubscriptionRow, Supplier
from exporter.seed.scales import Scale


class WorldState:
    """What every stage of ``World`` reads and extends; ``World.__init__`` sets it."""

    scale: Scale
    end: int
    start: int
    seed: int
    supplier_factor: HourlyFactor
    couple_factor: HourlyFactor
    invite_factor: HourlyFactor
    suppliers: list[Supplier]
    couples: list[Couple]
    couple_created: list[int]
    subscriptions: list[tuple[int, SubscriptionRow]]  # (supplier id, row)
    _bad: dict[str, list[Any]]
    _session_streams: list[Stream]
    expected_sessions: int
    _invite_streams: list[Stream]
    expected_invitations: int

    def rng(self, stage: str) -> random.Random:
        return random.Random(f"execmetrics-seed/{self.seed}/{stage}")
