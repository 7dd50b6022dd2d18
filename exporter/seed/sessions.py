"""World stage: user sessions — per-user Poisson streams and their rows."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from exporter.seed.clock import DAY, HourlyFactor, _month_bounds, _utc
from exporter.seed.randomness import Stream, poisson_events
from exporter.seed.records import SessionRow
from exporter.seed.shapes import (
    COUPLE_DURATION,
    COUPLE_SESSIONS_PER_DAY,
    DORMANT_SUPPLIER_SESSIONS_PER_DAY,
    P_ABANDONED,
    P_RECENT_OPEN,
    RECENT_OPEN_DECAY,
    RECENT_OPEN_HORIZON,
    SUPPLIER_DURATION,
    SUPPLIER_SESSIONS_PER_DAY,
)
from exporter.seed.state import WorldState


class SessionStage(WorldState):
    """Builds the session streams and generates ``user_sessions`` month by month."""

    # Activity streams -----------------------------------------------------------------

    def _build_session_streams(self) -> tuple[list[Stream], int]:
        """Supplier (actor = id) and couple (actor = -id) session streams, scaled so the
        expected session count meets the scale's target."""
        raw: list[tuple[int, int, float, int, HourlyFactor]] = []
        for supplier in self.suppliers:
            per_second = SUPPLIER_SESSIONS_PER_DAY * supplier.activity / DAY
            for a, b in supplier.engaged:
                raw.append((a, b, per_second, supplier.id, self.supplier_factor))
            stop = self.end if supplier.deleted is None else supplier.deleted
            if supplier.created >= stop:
                continue
            raw.append(
                (
                    supplier.created,
                    stop,
                    DORMANT_SUPPLIER_SESSIONS_PER_DAY / DAY,
                    supplier.id,
                    self.supplier_factor,
                )
            )
        for couple in self.couples:
            if couple.engaged is not None:
                a, b = couple.engaged
                per_second = COUPLE_SESSIONS_PER_DAY * couple.activity / DAY
                raw.append((a, b, per_second, -couple.id, self.couple_factor))
        expected = sum(rate * factor.integral(a, b) for a, b, rate, _, factor in raw)
        scale = self.scale.sessions / expected if expected else 1.0
        streams = [Stream(a, b, rate * scale, actor, f) for a, b, rate, actor, f in raw]
        streams.sort(key=lambda stream: (stream.start, stream.actor))
        return streams, self.scale.sessions

    # Rows -----------------------------------------------------------------------------

    def session_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng("sessions")
        gauss, uniform, exp, fromtimestamp = rng.gauss, rng.random, math.exp, datetime.fromtimestamp
        supplier_mu, supplier_sigma = SUPPLIER_DURATION
        couple_mu, couple_sigma = COUPLE_DURATION
        end = self.end
        bad = self._bad["sessions"]
        bounds = _month_bounds(self.start, end + 1)
        next_id = 1
        for lo, hi, events in poisson_events(self._session_streams, bounds, rng):
            rows: list[SessionRow] = []
            append = rows.append
            recent = hi > end - RECENT_OPEN_HORIZON
            for ts, actor in events:
                if actor > 0:
                    seconds = int(exp(supplier_mu + supplier_sigma * gauss())) + 1
                else:
                    seconds = int(exp(couple_mu + couple_sigma * gauss())) + 1
                p_open = P_ABANDONED
                if recent and end - ts < RECENT_OPEN_HORIZON:
                    p_open += P_RECENT_OPEN * exp((ts - end) / RECENT_OPEN_DECAY)
                duration = seconds if ts + seconds <= end and uniform() >= p_open else None
                if actor > 0:
                    append((ts, actor, None, duration))
                else:
                    append((ts, None, -actor, duration))
            extra = [row for row in bad if lo <= row[0] < hi]
            if extra:
                rows.extend(extra)
                rows.sort(key=lambda row: row[0])
            for ts, supplier, couple, duration in rows:
                yield (next_id, supplier, couple, fromtimestamp(ts, UTC), duration)
                next_id += 1
        for ts, supplier, couple, duration in (row for row in bad if row[0] > end):
            yield (next_id, supplier, couple, _utc(ts), duration)
            next_id += 1
