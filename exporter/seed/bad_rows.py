"""The deliberate SPEC §3 data-quality rows (``shapes.BAD_ROWS``), drawn among the
generated people so they reference real suppliers and couples."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from exporter.contract import SourceTable
from exporter.seed.activity import FxRate, Invitation, Session, rate_months
from exporter.seed.people import Couple, Horizon, Subscription, Supplier
from exporter.seed.sampling import Weighted, between, stage_rng, utc
from exporter.seed.shapes import (
    BAD_ROWS,
    CATEGORIES,
    DAY,
    FUTURE_LAG,
    HOUR,
    INVALID_RATES,
    UNRATED_CURRENCY,
    WEDDING_LEAD_DAYS,
)
from exporter.vocabulary import Check

S = SourceTable


class BadRows(NamedTuple):
    """The bad rows of each table; sessions and invitations sorted by time."""

    suppliers: list[Supplier]
    couples: list[Couple]
    subscriptions: list[Subscription]
    sessions: list[Session]
    invitations: list[Invitation]
    fx_rates: list[FxRate]


def invalid_fx_rates(horizon: Horizon) -> list[FxRate]:
    """One rate of each ``INVALID_RATES`` variant, dated a month apart before the first
    valid rate of the history (``activity.fx_rates``).

    Every subscription starts after the first valid rate of its currency, in any time
    zone, so none reads an invalid one: ignoring them (as the exporter must) or reading
    them gives the same figures, at every scale. Drawn without randomness, so the other
    bad rows stay as they are.
    """
    valid_from = rate_months(horizon)[0]
    rows: list[FxRate] = []
    for variant, (currency, value) in INVALID_RATES.items():
        for _ in range(BAD_ROWS[Check.FX_RATE_INVALID, variant]):
            valid_from = (valid_from - timedelta(days=1)).replace(day=1)
            rows.append(FxRate(currency, valid_from, Decimal(value)))
    return rows


def bad_rows(
    horizon: Horizon,
    suppliers: Sequence[Supplier],
    couples: Sequence[Couple],
    random_seed: int,
) -> BadRows:
    """The rows of every ``BAD_ROWS`` kind, at random instants of the last nine tenths of
    the history (the future ones 1–3 days after its end); the invalid fx rates where no
    subscription reads them (``invalid_fx_rates``)."""
    rng = stage_rng(random_seed, "bad-rows")
    start, end = horizon
    supplier_created = [s.created for s in suppliers]
    couple_created = [c.created for c in couples]

    def count(check: Check, variant: str) -> range:
        return range(BAD_ROWS[check, variant])

    def moment() -> int:
        return rng.randrange(start + horizon.days * DAY // 10, end)

    def supplier_before(ts: int) -> int:
        index = bisect.bisect_right(supplier_created, ts)
        return suppliers[rng.randrange(max(index, 1))].id

    def couple_before(ts: int) -> int:
        index = bisect.bisect_right(couple_created, ts)
        return couples[rng.randrange(max(index, 1))].id

    def future() -> int:
        return end + between(rng, FUTURE_LAG)

    subscriptions: list[Subscription] = []
    for _ in count(Check.SUBSCRIPTION_NEGATIVE_AMOUNT, S.SUBSCRIPTIONS):
        ts = moment()
        subscriptions.append(
            Subscription(supplier_before(ts), "basic", "active", -2_900, "GBP", 1, ts, None, None)
        )
    for _ in count(Check.SUBSCRIPTION_MISSING_FX_RATE, S.SUBSCRIPTIONS):
        ts = moment()
        subscriptions.append(
            Subscription(
                supplier_before(ts), "pro", "active", 6_500, UNRATED_CURRENCY, 1, ts, None, None
            )
        )
    for _ in count(Check.SUBSCRIPTION_ENDED_BEFORE_STARTED, S.SUBSCRIPTIONS):
        ts = moment()
        supplier = supplier_before(ts)
        ended = ts - rng.randrange(HOUR, 30 * DAY)
        subscriptions.append(
            Subscription(supplier, "basic", "canceled", 2_900, "GBP", 1, ts, None, ended)
        )

    sessions: list[Session] = []
    for _ in count(Check.SESSION_USER_NOT_EXACTLY_ONE, "both ids"):
        ts = moment()
        sessions.append(Session(ts, supplier_before(ts), couple_before(ts), rng.randrange(60, 900)))
    for _ in count(Check.SESSION_USER_NOT_EXACTLY_ONE, "neither id"):
        sessions.append(Session(moment(), None, None, rng.randrange(60, 900)))
    for _ in count(Check.SESSION_NONPOSITIVE_DURATION, "zero"):
        ts = moment()
        sessions.append(Session(ts, supplier_before(ts), None, 0))
    for _ in count(Check.SESSION_NONPOSITIVE_DURATION, "negative"):
        ts = moment()
        sessions.append(Session(ts, None, couple_before(ts), -rng.randrange(1, 600)))
    for _ in count(Check.TIMESTAMP_IN_FUTURE, S.USER_SESSIONS):
        if rng.random() < 0.5:
            sessions.append(Session(future(), supplier_before(end), None, rng.randrange(60, 900)))
        else:
            sessions.append(Session(future(), None, couple_before(end), rng.randrange(60, 900)))

    invitations: list[Invitation] = []
    for _ in count(Check.INVITATION_ACCEPTED_BEFORE_SENT, S.INVITATIONS):
        ts = moment()
        supplier, couple = supplier_before(ts), couple_before(ts)
        accepted = ts - rng.randrange(60, 3 * DAY)
        invitations.append(Invitation(ts, supplier, couple, "email", accepted))
    for _ in count(Check.TIMESTAMP_IN_FUTURE, S.INVITATIONS):
        invitations.append(Invitation(future(), supplier_before(end), None, "link", None))

    category = Weighted(CATEGORIES)
    future_suppliers: list[Supplier] = []
    for _ in count(Check.TIMESTAMP_IN_FUTURE, S.SUPPLIERS):
        future_suppliers.append(
            Supplier(
                len(suppliers) + len(future_suppliers) + 1,
                future(),
                category.draw(rng),
                "GB",
                "GBP",
                1.0,
            )
        )
    future_couples: list[Couple] = []
    for _ in count(Check.TIMESTAMP_IN_FUTURE, S.COUPLES):
        created = future()
        wedding = utc(created).date() + timedelta(days=rng.randrange(*WEDDING_LEAD_DAYS))
        future_couples.append(
            Couple(len(couples) + len(future_couples) + 1, created, "GB", wedding, 1.0)
        )
    sessions.sort()
    invitations.sort(key=lambda row: (row.sent, row.supplier_id))
    return BadRows(
        future_suppliers,
        future_couples,
        subscriptions,
        sessions,
        invitations,
        invalid_fx_rates(horizon),
    )
