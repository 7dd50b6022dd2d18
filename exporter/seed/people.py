"""World stage: suppliers and couples — sign-ups, attributes, engagement, deletion."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from exporter.seed.clock import DAY, HOUR, _merge, _season, _utc, _utc_or_none
from exporter.seed.randomness import Weighted, _between
from exporter.seed.records import Couple, Supplier
from exporter.seed.shapes import (
    AFTER_WEDDING,
    AFTER_WEDDING_DELETE_LAG,
    CATEGORIES,
    COUPLE_ACTIVITY_SIGMA,
    COUPLE_COUNTRIES,
    COUPLE_DELETE_LAG,
    COUPLE_HOURS,
    CURRENCY_OF_COUNTRY,
    EXPLORE,
    GROWTH_FLOOR,
    INTERVALS,
    P_COUPLE_DELETE,
    P_COUPLE_DELETE_AFTER_WEDDING,
    P_SUPPLIER_DELETE,
    P_WEDDING_DATE,
    PLANS,
    SIGNUP_SEASON,
    SUPPLIER_ACTIVITY_SIGMA,
    SUPPLIER_COUNTRIES,
    SUPPLIER_DELETE_LAG,
    SUPPLIER_HOURS,
    UNDATED_ENGAGED,
    WEDDING_LEAD_DAYS,
    WEDDING_MONTH_WEIGHT,
    WEDDING_WEEKDAY_WEIGHT,
)
from exporter.seed.subscriptions import SubscriptionStage


class PeopleStage(SubscriptionStage):
    """Builds ``suppliers`` (each with its subscription history) and ``couples``."""

    # Sign-ups -------------------------------------------------------------------------

    def _signup_times(self, rng: random.Random, count: int, hours: Sequence[float]) -> list[int]:
        """Sorted sign-up instants: growth over the history × spring/summer season."""
        days = self.scale.history_days
        day_pick = Weighted(
            [
                (
                    index,
                    (GROWTH_FLOOR + (1 - GROWTH_FLOOR) * index / days)
                    * _season(
                        _utc(self.start + index * DAY + DAY // 2).timetuple().tm_yday, SIGNUP_SEASON
                    ),
                )
                for index in range(days)
            ]
        )
        first_hour = _utc(self.start).hour
        hour_pick = Weighted([(h, hours[(first_hour + h) % 24]) for h in range(24)])
        times = [
            self.start + day_pick.draw(rng) * DAY + hour_pick.draw(rng) * HOUR + rng.randrange(HOUR)
            for _ in range(count)
        ]
        times.sort()
        return times

    # Suppliers and subscriptions ------------------------------------------------------

    def _build_suppliers(self) -> None:
        rng = self.rng("suppliers")
        category = Weighted(CATEGORIES)
        country = Weighted(SUPPLIER_COUNTRIES)
        for index, created in enumerate(
            self._signup_times(rng, self.scale.suppliers, SUPPLIER_HOURS), start=1
        ):
            where = country.draw(rng)
            self.suppliers.append(
                Supplier(
                    id=index,
                    created=created,
                    category=category.draw(rng),
                    country=where,
                    currency=CURRENCY_OF_COUNTRY.get(where or "", "GBP"),
                    activity=rng.lognormvariate(0.0, SUPPLIER_ACTIVITY_SIGMA),
                )
            )
        subs_rng = self.rng("subscriptions")
        plans = Weighted(PLANS)
        intervals = Weighted(INTERVALS)
        for supplier in self.suppliers:
            rows = self._subscription_history(supplier, subs_rng, plans, intervals)
            self.subscriptions.extend((supplier.id, row) for row in rows)
            explore = (supplier.created, supplier.created + _between(subs_rng, EXPLORE))
            live = [(row[5], self.end if row[7] is None else row[7]) for row in rows]
            engaged = _merge([explore, *live])
            still_live = any(row[7] is None for row in rows)
            if not still_live and subs_rng.random() < P_SUPPLIER_DELETE:
                deleted = engaged[-1][1] + _between(subs_rng, SUPPLIER_DELETE_LAG)
                if deleted <= self.end:
                    supplier.deleted = deleted
            limit = self.end if supplier.deleted is None else supplier.deleted
            supplier.engaged = [(a, min(b, limit)) for a, b in engaged if a < limit]

    # Couples --------------------------------------------------------------------------

    def _build_couples(self) -> None:
        rng = self.rng("couples")
        country = Weighted(COUPLE_COUNTRIES)
        first_day = _utc(self.start).date() + timedelta(days=WEDDING_LEAD_DAYS[0])
        last_day = _utc(self.end).date() + timedelta(days=WEDDING_LEAD_DAYS[1] + 1)
        wedding_days: list[date] = []
        cum: list[float] = [0.0]
        day = first_day
        while day <= last_day:
            wedding_days.append(day)
            cum.append(
                cum[-1]
                + WEDDING_MONTH_WEIGHT[day.month - 1] * WEDDING_WEEKDAY_WEIGHT[day.weekday()]
            )
            day += timedelta(days=1)
        for index, created in enumerate(
            self._signup_times(rng, self.scale.couples, COUPLE_HOURS), start=1
        ):
            wedding: date | None = None
            if rng.random() < P_WEDDING_DATE:
                signed_up = _utc(created).date()
                lo = (signed_up - first_day).days + WEDDING_LEAD_DAYS[0]
                hi = (signed_up - first_day).days + WEDDING_LEAD_DAYS[1]
                target = cum[lo] + rng.random() * (cum[hi + 1] - cum[lo])
                wedding = wedding_days[min(bisect.bisect_right(cum, target) - 1, hi)]
            couple = Couple(
                id=index,
                created=created,
                country=country.draw(rng),
                wedding=wedding,
                activity=rng.lognormvariate(0.0, COUPLE_ACTIVITY_SIGMA),
            )
            if wedding is None:
                engaged_end = created + _between(rng, UNDATED_ENGAGED)
            else:
                wedding_ts = int(
                    datetime(wedding.year, wedding.month, wedding.day, tzinfo=UTC).timestamp()
                )
                engaged_end = wedding_ts + AFTER_WEDDING
                if rng.random() < P_COUPLE_DELETE_AFTER_WEDDING:
                    deleted = wedding_ts + _between(rng, AFTER_WEDDING_DELETE_LAG)
                    if deleted <= self.end:
                        couple.deleted = deleted
            if couple.deleted is None and rng.random() < P_COUPLE_DELETE:
                deleted = created + _between(rng, COUPLE_DELETE_LAG)
                if deleted <= self.end:
                    couple.deleted = deleted
            limit = min(engaged_end, self.end if couple.deleted is None else couple.deleted)
            if limit > created:
                couple.engaged = (created, limit)
            self.couples.append(couple)
        self.couple_created = [couple.created for couple in self.couples]

    # Rows -----------------------------------------------------------------------------

    def supplier_rows(self) -> Iterator[tuple[Any, ...]]:
        for s in self.suppliers:
            yield (s.id, _utc(s.created), _utc_or_none(s.deleted), s.category, s.country)

    def couple_rows(self) -> Iterator[tuple[Any, ...]]:
        for c in self.couples:
            yield (c.id, _utc(c.created), _utc_or_none(c.deleted), c.wedding, c.country)
