"""World stage: one supplier's subscription history — trials, plan changes, churn and
reactivations."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from exporter.seed.clock import DAY, HOUR, _add_months, _utc, _utc_or_none
from exporter.seed.randomness import Weighted, _between
from exporter.seed.records import SubscriptionRow, Supplier
from exporter.seed.shapes import (
    DISCOUNTS,
    INTERVAL_PRICE_FACTOR,
    MAX_REACTIVATIONS,
    MONTHLY_CHANGE,
    MONTHLY_CHURN,
    MONTHLY_PRICE,
    P_DISCOUNT,
    P_INTERVAL_REDRAW,
    P_PAST_DUE,
    P_REACTIVATE,
    P_SUBSCRIBE,
    P_TRIAL,
    P_TRIAL_CANCEL,
    P_UPGRADE,
    PLAN_ORDER,
    REACTIVATION_GAP,
    SUBSCRIBE_LAG_MEAN,
    TRIAL,
)
from exporter.seed.state import WorldState


class SubscriptionStage(WorldState):
    """Draws the subscription rows of one supplier; ``PeopleStage`` calls it per supplier."""

    # Subscriptions --------------------------------------------------------------------

    def _price(self, rng: random.Random, plan: str, currency: str, interval: int) -> int:
        if plan == "free":
            return 0
        amount = MONTHLY_PRICE[currency][plan] * interval * INTERVAL_PRICE_FACTOR[interval]
        if rng.random() < P_DISCOUNT:
            amount *= 1 - rng.choice(DISCOUNTS)
        return round(amount)

    def _run_period(
        self, rng: random.Random, start: int, interval: int, trial_end: int | None
    ) -> tuple[int | None, str]:
        """How one subscription row ends: (ended_at or None, 'open' | 'churn' | 'change')."""
        if trial_end is not None and rng.random() < P_TRIAL_CANCEL:
            at = start + rng.randrange(HOUR, TRIAL)
            return (at, "churn") if at <= self.end else (None, "open")
        anchor = start if trial_end is None else trial_end
        p_change = 1 - (1 - MONTHLY_CHANGE) ** interval
        p_churn = 1 - (1 - MONTHLY_CHURN[interval]) ** interval
        previous, k = start, 1
        while True:
            boundary = _add_months(anchor, k * interval)
            if rng.random() < p_change:
                at = rng.randrange(previous + DAY, boundary)
                return (at, "change") if at <= self.end else (None, "open")
            if boundary > self.end:
                return None, "open"
            if rng.random() < p_churn:
                return boundary, "churn"
            previous, k = boundary, k + 1

    def _subscription_history(
        self,
        supplier: Supplier,
        rng: random.Random,
        plans: Weighted[str],
        intervals: Weighted[int],
    ) -> list[SubscriptionRow]:
        rows: list[SubscriptionRow] = []
        if rng.random() >= P_SUBSCRIBE:
            return rows
        start = supplier.created + int(rng.expovariate(1 / SUBSCRIBE_LAG_MEAN))
        plan = plans.draw(rng)
        interval = 1 if plan == "free" else intervals.draw(rng)
        trial_end = start + TRIAL if plan != "free" and rng.random() < P_TRIAL else None
        reactivations = 0
        while start <= self.end:
            ended, why = self._run_period(rng, start, interval, trial_end)
            if ended is not None:
                status = "canceled"
            elif trial_end is not None and trial_end > self.end:
                status = "trialing"
            else:
                late = plan != "free" and rng.random() < P_PAST_DUE
                status = "past_due" if late else "active"
            amount = self._price(rng, plan, supplier.currency, interval)
            rows.append(
                (plan, status, amount, supplier.currency, interval, start, trial_end, ended)
            )
            if ended is None:
                break
            trial_end = None
            if why == "change":
                plan = self._changed_plan(rng, plan)
                if plan == "free":
                    interval = 1
                elif rows[-1][0] == "free" or rng.random() < P_INTERVAL_REDRAW:
                    interval = intervals.draw(rng)
                start = ended
                continue
            if reactivations >= MAX_REACTIVATIONS or rng.random() >= P_REACTIVATE:
                break
            reactivations += 1
            start = ended + _between(rng, REACTIVATION_GAP)
            plan = plans.draw(rng)
            interval = 1 if plan == "free" else intervals.draw(rng)
        return rows

    @staticmethod
    def _changed_plan(rng: random.Random, plan: str) -> str:
        """One step up or down the plan ladder (free → basic → pro → premium)."""
        rank = PLAN_ORDER.index(plan)
        up = rank == 0 or (rank < len(PLAN_ORDER) - 1 and rng.random() < P_UPGRADE)
        return PLAN_ORDER[rank + 1] if up else PLAN_ORDER[rank - 1]

    # Rows -----------------------------------------------------------------------------

    def subscription_rows(self) -> Iterator[tuple[Any, ...]]:
        for index, (supplier_id, row) in enumerate(self.subscriptions, start=1):
            plan, status, amount, currency, interval, started, trial_end, ended = row
            yield (
                index, supplier_id, plan, status, amount, currency, interval,
                _utc(started), _utc_or_none(trial_end), _utc_or_none(ended),
            )  # fmt: skip
