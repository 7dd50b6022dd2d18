"""World stage: the deliberate SPEC §3 data-quality rows (``BAD_ROWS``)."""

from __future__ import annotations

import bisect
from datetime import timedelta
from typing import Any

from exporter.seed.clock import DAY, HOUR, _utc
from exporter.seed.randomness import Weighted, _between
from exporter.seed.records import Couple, InvitationRow, SessionRow, SubscriptionRow, Supplier
from exporter.seed.scales import BAD_ROWS, UNRATED_CURRENCY
from exporter.seed.shapes import CATEGORIES, FUTURE_LAG, WEDDING_LEAD_DAYS
from exporter.seed.state import WorldState


class BadRowStage(WorldState):
    """Mixes the bad rows in: subscriptions, suppliers and couples in place; sessions and
    invitations returned for their generators."""

    # Deliberate data-quality rows -----------------------------------------------------

    def _build_bad_rows(self) -> dict[str, list[Any]]:
        rng = self.rng("bad-rows")
        end = self.end

        def moment() -> int:
            return rng.randrange(self.start + self.scale.history_days * DAY // 10, end)

        def supplier_before(ts: int) -> int:
            index = bisect.bisect_right([s.created for s in self.suppliers], ts)
            return self.suppliers[rng.randrange(max(index, 1))].id

        def couple_before(ts: int) -> int:
            index = bisect.bisect_right(self.couple_created, ts)
            return self.couples[rng.randrange(max(index, 1))].id

        def future() -> int:
            return end + _between(rng, FUTURE_LAG)

        subscriptions: list[tuple[int, SubscriptionRow]] = []
        for _ in range(BAD_ROWS["subscription_negative_amount"]):
            ts = moment()
            subscriptions.append(
                (supplier_before(ts), ("basic", "active", -2_900, "GBP", 1, ts, None, None))
            )
        for _ in range(BAD_ROWS["subscription_currency_without_rate"]):
            ts = moment()
            subscriptions.append(
                (supplier_before(ts), ("pro", "active", 6_500, UNRATED_CURRENCY, 1, ts, None, None))
            )
        for _ in range(BAD_ROWS["subscription_ended_before_start"]):
            ts = moment()
            subscriptions.append(
                (
                    supplier_before(ts),
                    (
                        "basic",
                        "canceled",
                        2_900,
                        "GBP",
                        1,
                        ts,
                        None,
                        ts - rng.randrange(HOUR, 30 * DAY),
                    ),
                )
            )
        sessions: list[SessionRow] = []
        for _ in range(BAD_ROWS["session_both_ids"]):
            ts = moment()
            sessions.append((ts, supplier_before(ts), couple_before(ts), rng.randrange(60, 900)))
        for _ in range(BAD_ROWS["session_neither_id"]):
            sessions.append((moment(), None, None, rng.randrange(60, 900)))
        for _ in range(BAD_ROWS["session_zero_duration"]):
            ts = moment()
            sessions.append((ts, supplier_before(ts), None, 0))
        for _ in range(BAD_ROWS["session_negative_duration"]):
            ts = moment()
            sessions.append((ts, None, couple_before(ts), -rng.randrange(1, 600)))
        for _ in range(BAD_ROWS["future_sessions"]):
            if rng.random() < 0.5:
                sessions.append((future(), supplier_before(end), None, rng.randrange(60, 900)))
            else:
                sessions.append((future(), None, couple_before(end), rng.randrange(60, 900)))
        invitations: list[InvitationRow] = []
        for _ in range(BAD_ROWS["invitation_accepted_before_sent"]):
            ts = moment()
            invitations.append(
                (
                    ts,
                    supplier_before(ts),
                    couple_before(ts),
                    "email",
                    ts - rng.randrange(60, 3 * DAY),
                )
            )
        for _ in range(BAD_ROWS["future_invitations"]):
            invitations.append((future(), supplier_before(end), None, "link", None))
        category = Weighted(CATEGORIES)
        for _ in range(BAD_ROWS["future_suppliers"]):
            self.suppliers.append(
                Supplier(len(self.suppliers) + 1, future(), category.draw(rng), "GB", "GBP", 1.0)
            )
        for _ in range(BAD_ROWS["future_couples"]):
            created = future()
            wedding = _utc(created).date() + timedelta(days=rng.randrange(*WEDDING_LEAD_DAYS))
            self.couples.append(Couple(len(self.couples) + 1, created, "GB", wedding, 1.0))
        self.subscriptions.extend(subscriptions)
        self.subscriptions.sort(key=lambda item: (item[1][5], item[0]))
        sessions.sort()
        invitations.sort(key=lambda row: (row[0], row[1]))
        return {"sessions": sessions, "invitations": invitations}
