"""The synthetic ``World``: the stages composed, built in order, and the tables in load
order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from exporter.seed.bad_rows import BadRowStage
from exporter.seed.clock import DAY, HourlyFactor
from exporter.seed.fx import FxStage
from exporter.seed.invitations import InvitationStage
from exporter.seed.people import PeopleStage
from exporter.seed.records import Couple, SubscriptionRow, Supplier
from exporter.seed.scales import Scale
from exporter.seed.sessions import SessionStage
from exporter.seed.shapes import (
    COUPLE_HOURS,
    COUPLE_WEEKDAYS,
    INVITE_SEASON,
    SESSION_SEASON,
    SUPPLIER_HOURS,
    SUPPLIER_WEEKDAYS,
)


class World(PeopleStage, FxStage, SessionStage, InvitationStage, BadRowStage):
    """The generated rows of one (scale, end, random_seed).

    Users and subscriptions are held in memory; sessions and invitations are generators.
    """

    def __init__(self, scale: Scale, end: datetime, random_seed: int) -> None:
        self.scale = scale
        self.end = int(end.timestamp())
        self.start = self.end - scale.history_days * DAY
        self.seed = random_seed
        self.supplier_factor = HourlyFactor(
            self.start, self.end, SESSION_SEASON, SUPPLIER_HOURS, SUPPLIER_WEEKDAYS
        )
        self.couple_factor = HourlyFactor(
            self.start, self.end, SESSION_SEASON, COUPLE_HOURS, COUPLE_WEEKDAYS
        )
        self.invite_factor = HourlyFactor(
            self.start, self.end, INVITE_SEASON, SUPPLIER_HOURS, SUPPLIER_WEEKDAYS
        )
        self.suppliers: list[Supplier] = []
        self.couples: list[Couple] = []
        self.subscriptions: list[tuple[int, SubscriptionRow]] = []  # (supplier id, row)
        self._build_suppliers()
        self._build_couples()
        self._bad = self._build_bad_rows()
        self._session_streams, self.expected_sessions = self._build_session_streams()
        self._invite_streams, self.expected_invitations = self._build_invite_streams()

    # Tables ---------------------------------------------------------------------------

    def tables(self) -> list[tuple[str, Callable[[], Iterator[tuple[Any, ...]]], int]]:
        """(table, row generator, expected row count) in load order."""
        bad = self._bad
        return [
            ("suppliers", self.supplier_rows, len(self.suppliers)),
            ("couples", self.couple_rows, len(self.couples)),
            ("subscriptions", self.subscription_rows, len(self.subscriptions)),
            ("fx_rates", self.fx_rows, self.fx_count()),
            ("user_sessions", self.session_rows, self.expected_sessions + len(bad["sessions"])),
            (
                "invitations",
                self.invitation_rows,
                self.expected_invitations + len(bad["invitations"]),
            ),
        ]
