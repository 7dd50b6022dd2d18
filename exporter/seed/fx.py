"""World stage: monthly EUR and USD rates to GBP over the history."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from exporter.seed.clock import _utc
from exporter.seed.shapes import FX_MONTHLY_VOLATILITY, FX_START
from exporter.seed.state import WorldState


class FxStage(WorldState):
    """Generates ``fx_rates``: a mean-reverting monthly random walk per currency."""

    def fx_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("fx")
        first = _utc(self.start).date().replace(day=1)
        month = (first - timedelta(days=1)).replace(day=1)
        last = _utc(self.end).date()
        months: list[date] = []
        while month <= last:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        for currency, base in FX_START.items():
            level = math.log(base)
            for valid_from in months:
                yield (currency, valid_from, Decimal(f"{math.exp(level):.6f}"))
                level += 0.1 * (math.log(base) - level) + rng.gauss(0.0, FX_MONTHLY_VOLATILITY)

    def fx_count(self) -> int:
        first = _utc(self.start).date().replace(day=1)
        last = _utc(self.end).date()
        months = (last.year - first.year) * 12 + last.month - first.month + 2
        return months * len(FX_START)
